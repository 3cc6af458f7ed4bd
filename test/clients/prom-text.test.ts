import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { formatFromContentType, parseExposition, parseFloatStrict, type Exposition } from '../../clients/prom-text.ts'

function ok(text: string, format: 'prometheus' | 'openmetrics' = 'prometheus'): Exposition {
  const r = parseExposition(text, format)
  if (!r.ok) throw new Error(`unexpected parse problem at line ${r.problem.line}: ${r.problem.message}`)
  return r.exposition
}

// The example from prometheus/docs content/docs/instrumenting/exposition_formats.md ("Text format example").
const SPEC_EXAMPLE = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="0.2"} 100392
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="1"} 133988
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.05"} 3272
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.9"} 9001
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`

describe('Prometheus text 0.0.4', () => {
  it('parses the format spec example', () => {
    const e = ok(SPEC_EXAMPLE)
    expect(e.families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['http_requests_total', 'counter', 2],
      ['msdos_file_access_time_seconds', 'untyped', 1],
      ['metric_without_timestamp_and_labels', 'untyped', 1],
      ['something_weird', 'untyped', 1],
      ['http_request_duration_seconds', 'histogram', 8],
      ['rpc_duration_seconds', 'summary', 7],
    ])
    expect(e.sampleCount).toBe(20)
    const req = e.families[0]!
    expect(req.help).toBe('The total number of HTTP requests.')
    expect(req.samples[1]).toEqual({ name: 'http_requests_total', labels: { method: 'post', code: '400' }, value: 3, timestampMs: 1395066363000, line: 4 })
    expect(e.families[1]!.samples[0]!.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' })
    expect(e.families[1]!.samples[0]!.value).toBe(1.458255915e9)
    expect(e.families[3]!.samples[0]).toMatchObject({ value: Infinity, timestampMs: -3982045 })
  })

  it.each([
    ['NaN', NaN],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['-0.5e-3', -0.0005],
    ['12', 12],
    ['.5', 0.5],
  ])('value %s', (text, value) => {
    const s = ok(`m ${text}\n`).families[0]!.samples[0]!
    expect(s.value).toBe(value)
  })

  it('allows a trailing comma in labels, spaces, HELP escapes and other comments', () => {
    const e = ok('# just a comment\n# HELP m a \\\\ b\\nc\n# TYPE m gauge\nm{ a="1" , b="2", } 3\n')
    expect(e.families[0]).toMatchObject({ name: 'm', type: 'gauge', help: 'a \\ b\nc' })
    expect(e.families[0]!.samples[0]!.labels).toEqual({ a: '1', b: '2' })
  })

  it.each([
    ['m{a="1"} ', 1, /value/],
    ['m{a="1} 1', 1, /unterminated/],
    ['m{a="\\x"} 1', 1, /invalid escape/],
    ['m{a="1",a="2"} 1', 1, /duplicate label "a"/],
    ['ok 1\nm{1a="x"} 1', 2, /label name/],
    ['ok 1\n\nm 1 2 3', 3, /value \[timestamp\]/],
    ['m abc', 1, /invalid sample value "abc"/],
    ['m 1 1.5', 1, /timestamp/],
    ['# TYPE m flux\nm 1', 1, /unknown metric type "flux"/],
    ['# TYPE m gauge\n# TYPE m gauge\nm 1', 2, /second TYPE/],
    ['m 1\n# TYPE m gauge', 2, /after its samples/],
    ['{a="1"} 1', 1, /metric name/],
    // histograms: le="+Inf" is mandatory and must equal _count
    ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1', 2, /no le="\+Inf" bucket/],
    ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3', 5, /differs from its le="\+Inf" bucket/],
    ['# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="+Inf"} 2', 3, /not cumulative/],
    ['# TYPE h histogram\nh_bucket 5', 2, /no le label/],
    ['# TYPE s summary\ns 5', 2, /no quantile label/],
  ])('malformed %j → line %i', (text, line, message) => {
    const r = parseExposition(text, 'prometheus')
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.problem.line).toBe(line)
      expect(r.problem.message).toMatch(message)
    }
  })

  it('keeps histogram series with different labels apart', () => {
    const e = ok(
      '# TYPE h histogram\nh_bucket{path="/a",le="1"} 1\nh_bucket{path="/a",le="+Inf"} 2\nh_count{path="/a"} 2\n' +
        'h_bucket{path="/b",le="+Inf"} 7\nh_count{path="/b"} 7\n',
    )
    expect(e.families[0]!.samples).toHaveLength(5)
  })
})

// Shapes from OpenObservability/OpenMetrics specification/OpenMetrics.md.
describe('OpenMetrics 1.0', () => {
  const OM = `# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
# TYPE http_requests counter
# HELP http_requests Requests "served".
http_requests_total{code="200"} 5 1605281325.5
http_requests_created{code="200"} 1605281325.0
# TYPE foo histogram
foo_bucket{le="0.0"} 0
foo_bucket{le="1e-05"} 0 # {trace_id="KOO5S4vxi0o"} 0.67
foo_bucket{le="+Inf"} 17
foo_count 17
foo_sum 324789.3
foo_created 1520430000.123
# TYPE build info
build_info{version="1.2"} 1
# EOF
`
  it('parses families, _created, UNIT, exemplars and seconds timestamps', () => {
    const e = ok(OM, 'openmetrics')
    expect(e.families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['acme_http_router_request_seconds', 'summary', 3],
      ['http_requests', 'counter', 2],
      ['foo', 'histogram', 6],
      ['build', 'info', 1],
    ])
    expect(e.families[0]!.unit).toBe('seconds')
    expect(e.families[1]!.help).toBe('Requests "served".')
    expect(e.families[1]!.samples[0]).toMatchObject({ name: 'http_requests_total', value: 5, timestampMs: 1605281325500 })
  })

  it.each([
    ['no # EOF', OM.replace('# EOF\n', ''), /missing "# EOF"/],
    ['content after # EOF', OM + 'x 1\n', /after "# EOF"/],
    ['an empty line', OM.replace('# TYPE foo', '\n# TYPE foo'), /empty line/],
    ['a plain comment', '# hello\n# EOF\n', /only "# TYPE"/],
    ['a counter sample without _total', '# TYPE c counter\nc 1\n# EOF\n', /must end in _total/],
    ['interleaved families', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF\n', /interleaved/],
    ['a carriage return', '# TYPE a gauge\r\na 1\n# EOF\n', /carriage return/],
    ['type unknown to OpenMetrics', '# TYPE a untyped\na 1\n# EOF\n', /unknown metric type/],
  ])('rejects %s', (_name, text, message) => {
    const r = parseExposition(text, 'openmetrics')
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.problem.message).toMatch(message)
  })

  it('accepts # EOF without a final newline', () => {
    expect(ok('# TYPE a gauge\na 1\n# EOF', 'openmetrics').sampleCount).toBe(1)
  })
})

describe('helpers', () => {
  it.each([
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['text/plain; version=0.0.4; charset=utf-8', 'prometheus'],
    ['text/plain', 'prometheus'],
    [undefined, 'prometheus'],
    ['application/json', undefined],
    ['text/html; charset=utf-8', undefined],
  ])('formatFromContentType(%j) = %j', (ct, format) => {
    expect(formatFromContentType(ct)).toBe(format)
  })
  it.each([
    ['Inf', Infinity],
    ['-inf', -Infinity],
    ['1e3', 1000],
    ['0x10', NaN],
    ['', NaN],
    ['1.', 1],
  ])('parseFloatStrict(%j) = %s', (s, v) => {
    expect(parseFloatStrict(s)).toBe(v)
  })
})

// Independent oracle: Prometheus's own parser (expfmt) via `promtool check metrics` from the Debian
// `prometheus` package. Skipped only where promtool is not installed (CI installs it via .ci/run).
const PROMTOOL = '/usr/bin/promtool'
describe.skipIf(!existsSync(PROMTOOL))('agrees with promtool check metrics (0.0.4)', () => {
  const promtool = (text: string) => {
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 10_000 })
    const m = /parsing error in line (\d+)/.exec(r.stdout + r.stderr)
    return m ? Number(m[1]) : 0
  }
  it('the spec example parses for both', () => {
    expect(promtool(SPEC_EXAMPLE)).toBe(0)
    expect(parseExposition(SPEC_EXAMPLE, 'prometheus').ok).toBe(true)
  })
  it.each([
    'ok 1\nm{a="\\x"} 1\n',
    'm{a="1} 1\n',
    'ok 1\nok2 2\nm abc\n',
    'm 1 1.5\n',
    '# TYPE m flux\nm 1\n',
    'ok 1\nm{a="1",a="2"} 1\n',
    '# TYPE m gauge\n# TYPE m gauge\nm 1\n',
  ])('%j is rejected at the same line', (text) => {
    const r = parseExposition(text, 'prometheus')
    expect(r.ok).toBe(false)
    expect(promtool(text)).toBeGreaterThan(0)
    if (!r.ok) expect(r.problem.line).toBe(promtool(text))
  })
})
