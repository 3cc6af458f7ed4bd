import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { judgePromQuery, promQuery, type PromQueryExpectation } from '../../checks/prom-query.ts'
import { promTargetsUp } from '../../checks/prom-targets.ts'
import { noFiringAlerts } from '../../checks/prom-alerts.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { matchesLabels, parseLabelSelector, type PromApiOutcome, type PromQueryData } from '../../clients/prometheus.ts'
import { prometheusUnavailableReason, startPrometheus, type PrometheusServer } from '../../sandbox/prometheus.ts'

// A loopback exporter whose exposition the tests control.
let exposition = [
  '# TYPE error_ratio gauge',
  'error_ratio 0.01',
  '# TYPE latency_seconds gauge',
  'latency_seconds{path="/a"} 0.1',
  'latency_seconds{path="/b"} 0.7',
  '# TYPE zero gauge',
  'zero 0',
  '',
].join('\n')

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

const exporter = createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain; version=0.0.4')
  res.end(exposition)
})

let prom: PrometheusServer | undefined
let exporterPort = 0
let closedPort = 0
const missing = prometheusUnavailableReason()

beforeAll(async () => {
  exporterPort = await listen(exporter)
  // A port that nobody listens on: bind, learn the number, close.
  const tmp = createServer()
  closedPort = await listen(tmp)
  await new Promise((r) => tmp.close(r))
  if (missing) return
  const started = await startPrometheus({
    scrapeUrl: [`http://127.0.0.1:${exporterPort}/metrics`, `http://127.0.0.1:${closedPort}/metrics`],
    jobName: 'demo',
    rules: [
      'groups:',
      '- name: test',
      '  rules:',
      '  - alert: DemoDown',
      '    expr: vector(1)',
      '    labels: {severity: critical, service: demo}',
      '    annotations: {summary: demo is down}',
      '  - alert: OtherSlow',
      '    expr: vector(1)',
      '    for: 1h',
      '    labels: {severity: warning, service: other}',
    ].join('\n'),
  })
  if (!started.ok) throw new Error(started.reason)
  prom = started
  await prom.waitForFirstScrape(20_000)
}, 60_000)

afterAll(async () => {
  await prom?.stop()
  exporter.close()
})

// Skipped only when Debian's prometheus binary is not installed (CI installs it in .ci/run).
describe.skipIf(missing !== undefined)('against a real Prometheus', () => {
  const url = () => prom!.url

  it('passes when the threshold is met and fails when it is missed', async () => {
    const ok = await promQuery({ url: url(), query: 'error_ratio', op: '<', threshold: 0.05 })
    expect(ok.status, ok.message).toBe('pass')
    expect(ok.message).toContain('error_ratio')
    expect(ok.evidence.series?.[0]).toMatchObject({ value: '0.01', ok: true })
    const bad = await promQuery({ url: url(), query: 'error_ratio', op: '<', threshold: 0.005 })
    expect(bad.status).toBe('fail')
    expect(bad.message).toMatch(/= 0\.01, expected < 0\.005/)
  })

  it('requires every series of a vector to satisfy the threshold and lists each', async () => {
    const r = await promQuery({ url: url(), query: 'latency_seconds', op: '<', threshold: 0.5 })
    expect(r.status).toBe('fail')
    expect(r.message).toContain('1 of 2 series')
    expect(r.message).toContain('path="/b"')
    expect(r.evidence.seriesCount).toBe(2)
    expect(r.evidence.series?.map((s) => s.ok)).toEqual([false, true])
    const ok = await promQuery({ url: url(), query: 'latency_seconds', op: '<=', threshold: 0.7 })
    expect(ok.status).toBe('pass')
    expect(ok.message).toBe('all 2 series <= 0.7')
  })

  it('treats an empty result as a failure unless onEmpty is pass', async () => {
    const r = await promQuery({ url: url(), query: 'no_such_metric', op: '<', threshold: 1 })
    expect(r.status).toBe('fail')
    expect(r.message).toContain('no series')
    const p = await promQuery({ url: url(), query: 'no_such_metric', op: '<', threshold: 1, onEmpty: 'pass' })
    expect(p.status).toBe('pass')
    expect(p.message).toContain('onEmpty is pass')
  })

  it('treats NaN (0/0) as a failure unless onNaN is pass', async () => {
    const r = await promQuery({ url: url(), query: 'sum(zero) / sum(zero)', op: '<', threshold: 0.05 })
    expect(r.status).toBe('fail')
    expect(r.message).toContain('NaN')
    expect(r.evidence.series?.[0]?.value).toBe('NaN')
    const p = await promQuery({ url: url(), query: 'sum(zero) / sum(zero)', op: '<', threshold: 0.05, onNaN: 'pass' })
    expect(p.status).toBe('pass')
  })

  it('reports a malformed query as an error with errorType bad_data', async () => {
    const r = await promQuery({ url: url(), query: 'rate(error_ratio[', op: '<', threshold: 1 })
    expect(r.status).toBe('error')
    expect(r.evidence.errorType).toBe('bad_data')
    expect(r.evidence.error).toMatch(/parse error/)
    expect(r.evidence.httpStatus).toBe(400)
  })

  it('refuses a range vector for an instant comparison', async () => {
    const r = await promQuery({ url: url(), query: 'error_ratio[10s]', op: '<', threshold: 1 })
    expect(r.status).toBe('error')
    expect(r.message).toContain('range vector')
  })

  it('with `for`, every sample of the window must satisfy the comparison', async () => {
    // A window longer than the data Prometheus holds has gaps: not proven to have held.
    const gaps = await promQuery({ url: url(), query: 'error_ratio', op: '<', threshold: 0.05, for: 600_000, step: 10_000 })
    expect(gaps.status).toBe('fail')
    expect(gaps.message).toMatch(/no data for \d+ of 61 steps/)
    await new Promise((r) => setTimeout(r, 2500)) // let 2 s of samples accumulate (bounded)
    const ok = await promQuery({ url: url(), query: 'error_ratio', op: '<', threshold: 0.05, for: 2000, step: 1000 })
    expect(ok.status, ok.message).toBe('pass')
    expect(ok.evidence.series?.[0]?.samples).toBe(3)
    const bad = await promQuery({ url: url(), query: 'error_ratio', op: '>', threshold: 0.05, for: 2000, step: 1000 })
    expect(bad.status).toBe('fail')
    expect(bad.message).toContain('over the last 2 s')
  })

  it('promTargetsUp fails naming the down target and its last error, passes for a healthy selection', async () => {
    const r = await promTargetsUp({ url: url(), job: 'demo' })
    expect(r.status).toBe('fail')
    expect(r.message).toContain(`127.0.0.1:${closedPort}`)
    expect(r.evidence.targets?.[0]?.lastError).toMatch(/connection refused/)
    expect(r.evidence).toMatchObject({ matched: 2, up: 1 })
    const ok = await promTargetsUp({ url: url(), job: 'demo', selector: `instance="127.0.0.1:${exporterPort}"` })
    expect(ok.status, ok.message).toBe('pass')
    const none = await promTargetsUp({ url: url(), job: 'nope' })
    expect(none.status).toBe('fail')
    expect(none.message).toContain('expected at least 1')
  })

  it('noFiringAlerts fails on a firing alert matching the selector, shows severity, ignores pending ones', async () => {
    const r = await noFiringAlerts({ url: url(), selector: 'service="demo"' })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('1 alert(s) firing: DemoDown [critical]')
    expect(r.evidence.firing?.[0]).toMatchObject({ alertname: 'DemoDown', severity: 'critical', summary: 'demo is down' })
    const other = await noFiringAlerts({ url: url(), selector: 'service="other"' })
    expect(other.status).toBe('pass')
    expect(other.message).toBe('no alerts firing (1 pending)')
    const strict = await noFiringAlerts({ url: url(), selector: 'service="other"', failOnPending: true })
    expect(strict.status).toBe('fail')
    const warnOnly = await noFiringAlerts({ url: url(), severities: ['warning'] })
    expect(warnOnly.status).toBe('pass')
  })
})

describe('Prometheus unreachable or behind auth', () => {
  it('fails (not throws) when Prometheus is down', async () => {
    const r = await promQuery({ url: `http://127.0.0.1:${closedPort}`, query: 'up', op: '==', threshold: 1, connectTimeout: 1000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/Prometheus unreachable: connection refused/)
    const t = await promTargetsUp({ url: `http://127.0.0.1:${closedPort}`, job: 'x' })
    expect(t.status).toBe('fail')
    const a = await noFiringAlerts({ url: `http://127.0.0.1:${closedPort}` })
    expect(a.status).toBe('fail')
  })

  it('sends the bearer token and basic auth, and keeps them out of the result', async () => {
    const seen: string[] = []
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '')
      const ok = req.headers.authorization === 'Bearer s3cret-token' || req.headers.authorization === `Basic ${Buffer.from('bob:pa55word').toString('base64')}`
      res.statusCode = ok ? 200 : 401
      res.setHeader('content-type', 'application/json')
      res.end(ok ? JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '1'] } }) : 'Unauthorized')
    })
    const port = await listen(server)
    try {
      const r = await promQuery({ url: `http://127.0.0.1:${port}`, query: 'up', op: '==', threshold: 1, bearerToken: 's3cret-token' })
      expect(r.status, r.message).toBe('pass')
      const b = await promQuery({ url: `http://bob:pa55word@127.0.0.1:${port}`, query: 'up', op: '==', threshold: 1 })
      expect(b.status, b.message).toBe('pass')
      expect(JSON.stringify(b)).not.toContain('pa55word')
      expect(JSON.stringify(r)).not.toContain('s3cret')
      const denied = await promQuery({ url: `http://127.0.0.1:${port}`, query: 'up', op: '==', threshold: 1 })
      expect(denied.status).toBe('fail')
      expect(denied.message).toContain('HTTP 401')
      expect(seen).toEqual(['Bearer s3cret-token', `Basic ${Buffer.from('bob:pa55word').toString('base64')}`, ''])
    } finally {
      server.close()
    }
  })

  it('rejects bad arguments', async () => {
    await expect(promQuery({ url: 'http://x', query: 'up', op: '=<' as '<', threshold: 1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(promQuery({ url: 'http://x', query: '', op: '<', threshold: 1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(promQuery({ url: 'http://x', query: 'up', op: '<', threshold: 1, onNaN: 'maybe' as 'pass' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(promTargetsUp({ url: 'http://x' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(noFiringAlerts({ url: 'http://x', selector: 'service=demo' })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})

const X: PromQueryExpectation = { prometheus: 'http://p', query: 'q', op: '<', threshold: 0.5, onEmpty: 'fail', onNaN: 'fail' }
const vec = (...values: string[]): PromApiOutcome<PromQueryData> => ({
  ok: true,
  httpStatus: 200,
  warnings: [],
  infos: [],
  latencyMs: 1,
  data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { i: String(i) }, value: [0, v] as [number, string] })) },
})

describe('judgePromQuery', () => {
  it.each([
    ['one value under', vec('0.1'), X, 'pass'],
    ['one value over', vec('0.9'), X, 'fail'],
    ['equal is not less', vec('0.5'), X, 'fail'],
    ['equal with <=', vec('0.5'), { ...X, op: '<=' as const }, 'pass'],
    ['== exact', vec('1'), { ...X, op: '==' as const, threshold: 1 }, 'pass'],
    ['!= differs', vec('2'), { ...X, op: '!=' as const, threshold: 1 }, 'pass'],
    ['>= below', vec('0.4'), { ...X, op: '>=' as const }, 'fail'],
    ['> above', vec('0.6'), { ...X, op: '>' as const }, 'pass'],
    ['+Inf is not under', vec('+Inf'), X, 'fail'],
    ['-Inf is under', vec('-Inf'), X, 'pass'],
    ['one of two over', vec('0.1', '0.9'), X, 'fail'],
    ['empty fails by default', vec(), X, 'fail'],
    ['empty passes when told', vec(), { ...X, onEmpty: 'pass' as const }, 'pass'],
    ['NaN fails by default', vec('NaN'), X, 'fail'],
    ['NaN passes when told', vec('NaN'), { ...X, onNaN: 'pass' as const }, 'pass'],
    ['NaN accepted but another series over', vec('NaN', '0.9'), { ...X, onNaN: 'pass' as const }, 'fail'],
    ['scalar', { ...vec(), data: { resultType: 'scalar', result: [0, '0.2'] } } as PromApiOutcome<PromQueryData>, X, 'pass'],
    ['string result', { ...vec(), data: { resultType: 'string', result: [0, 'x'] } } as PromApiOutcome<PromQueryData>, X, 'error'],
    ['api bad_data', { ok: false, kind: 'api', errorType: 'bad_data', error: 'parse error' } as PromApiOutcome<PromQueryData>, X, 'error'],
    ['api timeout', { ok: false, kind: 'api', errorType: 'timeout', error: 'query timed out' } as PromApiOutcome<PromQueryData>, X, 'fail'],
    ['network', { ok: false, kind: 'network', error: 'connection refused' } as PromApiOutcome<PromQueryData>, X, 'fail'],
  ])('%s', (_name, outcome, x, status) => {
    expect(judgePromQuery(outcome, x).status).toBe(status)
  })

  it('keeps API errorType and error in the evidence', () => {
    const v = judgePromQuery({ ok: false, kind: 'api', errorType: 'execution', error: 'many-to-many matching not allowed', httpStatus: 422 }, X)
    expect(v.evidence).toMatchObject({ errorType: 'execution', error: 'many-to-many matching not allowed', httpStatus: 422 })
    expect(v.message).toBe('Prometheus API error execution: many-to-many matching not allowed')
  })
})

describe('label selectors', () => {
  it.each([
    ['service="demo"', { service: 'demo' }, true],
    ['service="demo"', { service: 'demo2' }, false],
    ['{service=~"de.*", env!="prod"}', { service: 'demo', env: 'dev' }, true],
    ['service=~"de"', { service: 'demo' }, false],
    ['service!~"d.*"', { service: 'api' }, true],
    ['missing=""', { service: 'api' }, true],
    ['a="x\\"y"', { a: 'x"y' }, true],
  ])('%s on %j → %s', (sel, labels, want) => {
    expect(matchesLabels(labels, parseLabelSelector(sel))).toBe(want)
  })

  it.each(['service=demo', 'service="a" env="b"', '="x"', 'a=~"("'])('rejects %s', (sel) => {
    expect(() => parseLabelSelector(sel)).toThrow(InvalidArgumentError)
  })
})
