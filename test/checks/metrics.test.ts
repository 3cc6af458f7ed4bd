import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { judgeMetrics, metricsEndpoint, normalizeRequirements, type MetricRequirement, type MetricsObservation } from '../../checks/metrics.ts'
import { compileSchema } from '../../lib/config.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { loadKind } from '../../checks/registry.ts'
import { kindEntrySchema } from '../../smoke/target-schema.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'

const PROM = 'text/plain; version=0.0.4; charset=utf-8'
const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

const PROM_BODY = `# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{method="GET",code="200"} 40
http_requests_total{method="POST",code="200"} 2
http_requests_total{method="GET",code="500"} 0
# HELP http_request_duration_seconds Latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 30
http_request_duration_seconds_bucket{le="+Inf"} 42
http_request_duration_seconds_sum 3.2
http_request_duration_seconds_count 42
# TYPE queue_depth gauge
queue_depth{queue="celery"} NaN
`

const OM_BODY = `# TYPE webhook_deliveries counter
# HELP webhook_deliveries Deliveries by result.
webhook_deliveries_total{result="accepted"} 3
webhook_deliveries_created{result="accepted"} 1700000000.0
webhook_deliveries_total{result="rejected"} 1
# EOF
`

let server: Server
let base = ''
const seenHeaders: IncomingHttpHeaders[] = []
const hanging: ServerResponse[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    seenHeaders.push(req.headers)
    const send = (status: number, type: string, body: string) => res.writeHead(status, { 'content-type': type }).end(body)
    switch (req.url) {
      case '/metrics':
        return send(200, PROM, PROM_BODY)
      case '/om':
        return send(200, OM, OM_BODY)
      case '/om-no-eof':
        return send(200, OM, OM_BODY.replace('# EOF\n', ''))
      case '/broken':
        return send(200, PROM, PROM_BODY.replace('queue_depth{queue="celery"} NaN', 'queue_depth{queue="celery} NaN'))
      case '/html':
        return send(200, 'text/html', '<h1>hi</h1>')
      case '/big':
        return send(200, PROM, 'x 1\n'.repeat(10_000))
      case '/hang':
        hanging.push(res)
        return
      default:
        return send(404, 'text/plain', 'not found')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  for (const r of hanging) r.destroy()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('metricsEndpoint against a loopback exporter', () => {
  it('Prometheus text: families present, counter sum above the minimum', async () => {
    const r = await metricsEndpoint({
      url: `${base}/metrics`,
      require: [{ name: 'http_requests_total', labels: { code: '200' }, min: 1 }, 'http_request_duration_seconds', 'queue_depth'],
    })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence).toMatchObject({ status: 200, format: 'prometheus', families: 3, samples: 8 })
    expect(r.evidence.required![0]).toMatchObject({ present: true, matchedCount: 2, sum: 42 })
    expect(r.evidence.required![1]).toMatchObject({ present: true, samples: [{ name: 'http_request_duration_seconds_count', value: 42 }] })
    expect(r.evidence.required![2]).toMatchObject({ samples: [{ value: 'NaN' }] })
    expect(r.message).toMatch(/^200, 3 families, 8 samples; present: http_requests_total\{code="200"\} = 42 ≥ 1/)
    // Prometheus-style negotiation: OpenMetrics preferred.
    expect(seenHeaders.at(-1)!.accept).toMatch(/^application\/openmetrics-text/)
  })

  it('OpenMetrics: a counter is found with or without _total', async () => {
    const r = await metricsEndpoint({ url: `${base}/om`, require: ['webhook_deliveries', { name: 'webhook_deliveries_total', labels: { result: 'accepted' }, min: 3 }] })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.format).toBe('openmetrics')
    expect(r.evidence.required!.map((x) => x.sum)).toEqual([4, 3])
  })

  it.each([
    ['/om-no-eof', [], /invalid OpenMetrics exposition: line 5: missing "# EOF"/],
    ['/broken', [], /invalid Prometheus text exposition: line 13: unterminated value for label "queue"/],
    ['/html', [], /not a Prometheus text exposition \(content-type text\/html\)/],
    ['/nope', [], /expected status 200, got 404/],
    ['/metrics', ['process_cpu_seconds_total'], /^process_cpu_seconds_total is missing$/],
    ['/metrics', [{ name: 'http_requests_total', labels: { code: '503' } }], /http_requests_total\{code="503"\} is declared but has no matching samples/],
    ['/metrics', [{ name: 'http_requests_total', labels: { code: '500' }, min: 1 }], /http_requests_total\{code="500"\} is 0, below the minimum 1/],
    ['/metrics', [{ name: 'queue_depth', min: 0 }], /queue_depth is NaN, below the minimum 0/],
  ] as const)('%s require %j fails: %s', async (path, require, message) => {
    const r = await metricsEndpoint({ url: `${base}${path}`, require: require as unknown as MetricRequirement[] })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(message)
  })

  it('a body over maxBodyBytes fails instead of judging a cut exposition', async () => {
    const r = await metricsEndpoint({ url: `${base}/big`, maxBodyBytes: 1000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/larger than maxBodyBytes/)
  })

  it('a hanging endpoint fails in the headers phase', async () => {
    const r = await metricsEndpoint({ url: `${base}/hang`, headersTimeout: 200 })
    expect(r).toMatchObject({ status: 'fail', evidence: { error: { phase: 'headers' } } })
  })

  it('Authorization never reaches evidence', async () => {
    const r = await metricsEndpoint({ url: `${base}/metrics`, headers: { Authorization: 'Bearer s3cr3t-token' } })
    expect(JSON.stringify(r)).not.toContain('s3cr3t-token')
    expect(seenHeaders.at(-1)!.authorization).toBe('Bearer s3cr3t-token')
  })
})

describe('judgeMetrics (pure)', () => {
  const obs = (body: string, contentType = PROM): MetricsObservation => ({ status: 200, contentType, body })
  it.each<[string, MetricsObservation, (MetricRequirement | string)[], 'pass' | 'fail', RegExp]>([
    ['empty exposition parses', obs(''), [], 'pass', /^200, 0 families, 0 samples$/],
    ['no content type: text format', { status: 200, body: 'up 1\n' }, ['up'], 'pass', /present: up$/],
    ['+Inf meets any minimum', obs('x +Inf\n'), [{ name: 'x', min: 1e300 }], 'pass', /x = \+Inf ≥ 1e\+300/],
    ['labels must all match', obs('x{a="1",b="2"} 1\n'), [{ name: 'x', labels: { a: '1', b: '3' } }], 'fail', /declared but has no matching samples/],
    ['escaped label values match unescaped', obs('x{path="C:\\\\dir",msg="say \\"hi\\""} 1\n'), [{ name: 'x', labels: { path: 'C:\\dir', msg: 'say "hi"' } }], 'pass', /present/],
    ['summary family stands for its _count', obs('# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 9\ns_count 0\n'), [{ name: 's', min: 1 }], 'fail', /s is 0, below the minimum 1/],
    ['histogram series named directly', obs('# TYPE h histogram\nh_bucket{le="+Inf"} 5\nh_count 5\nh_sum 2\n'), [{ name: 'h_sum', min: 2 }], 'pass', /h_sum = 2/],
    ['connection error', { error: { message: 'connection refused to 127.0.0.1:9', code: 'ECONNREFUSED' } }, [], 'fail', /^connection refused/],
    ['protobuf is not text', { status: 200, contentType: 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily', body: '' }, [], 'fail', /not a Prometheus text exposition/],
  ])('%s', (_name, o, req, status, message) => {
    const v = judgeMetrics(o, normalizeRequirements(req))
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
  })

  it.each([
    ['bad name', [{ name: '1abc' }]],
    ['bad min', [{ name: 'x', min: 'one' as unknown as number }]],
    ['bad labels', [{ name: 'x', labels: { a: 1 as unknown as string } }]],
  ])('normalizeRequirements rejects %s', (_n, req) => {
    expect(() => normalizeRequirements(req)).toThrow(InvalidArgumentError)
  })
})

describe('the metrics kind (target-file entries)', () => {
  it.each([
    [{}, true],
    [{ url: '/metrics', require: ['up', { name: 'http_requests_total', labels: { code: '200' }, min: 1 }] }, true],
    [{ require: 'http_requests_total' }, true],
    [{ require: [{ name: 'x', extra: 1 }] }, false],
    [{ require: ['not a name'] }, false],
  ] as const)('schema %#: %j valid=%s', async (entry, ok) => {
    const validate = compileSchema(kindEntrySchema((await loadKind('metrics'))!))
    expect(validate({ id: 'x', kind: 'metrics', ...entry })).toBe(ok)
  })

  it('default /metrics against baseUrl with a requirement; one name alone is a list of one', async () => {
    const spec = await buildKind({ id: 'm', kind: 'metrics', require: [{ name: 'http_requests', min: 1 }] }, testBuildContext('/tmp', { baseUrl: base }))
    expect(spec.title).toBe(`Metrics endpoint ${base}/metrics exposes http_requests`)
    const r = await spec.run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence).toMatchObject({ families: 3, samples: 8 })
    const one = await (await buildKind({ id: 'm', kind: 'metrics', url: `${base}/metrics`, require: 'queue_depth' }, testBuildContext('/tmp'))).run(AbortSignal.timeout(5000))
    expect(one.status, one.message).toBe('pass')
    expect(one.evidence).toMatchObject({ required: [{ name: 'queue_depth', present: true }] })
  })
})
