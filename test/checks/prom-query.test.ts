import { createServer } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { judgePromGuard, judgePromQuery, promQuery, type PromQueryExpectation } from '../../checks/prom-query.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import type { CheckResult } from '../../lib/result.ts'
import type { PromApiOutcome, PromQueryData } from '../../clients/prometheus.ts'
import { runCli } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { buildTargetFile, listen, noPrometheus, startPromFixture, type PromFixture } from '../helpers/prometheus.ts'

let fx: PromFixture
beforeAll(async () => {
  fx = await startPromFixture({
    exposition: [
      '# TYPE error_ratio gauge',
      'error_ratio 0.01',
      '# TYPE latency_seconds gauge',
      'latency_seconds{path="/a"} 0.1',
      'latency_seconds{path="/b"} 0.7',
      '# TYPE zero gauge',
      'zero 0',
      '',
    ].join('\n'),
  })
}, 60_000)
afterAll(async () => {
  await fx?.stop()
})

// Skipped only when Debian's prometheus binary is not installed (CI installs it in .ci/run).
describe.skipIf(noPrometheus !== undefined)('against a real Prometheus', () => {
  const url = () => fx.url!

  it('passes when the threshold is met and fails when it is missed', async () => {
    const ok = await promQuery({ prometheus: url(), query: 'error_ratio', op: '<', threshold: 0.05 })
    expect(ok.status, ok.message).toBe('pass')
    expect(ok.message).toContain('error_ratio')
    expect(ok.evidence.series?.[0]).toMatchObject({ value: '0.01', ok: true })
    const bad = await promQuery({ prometheus: url(), query: 'error_ratio', op: '<', threshold: 0.005 })
    expect(bad.status).toBe('fail')
    expect(bad.message).toMatch(/= 0\.01, expected < 0\.005/)
  })

  it('requires every series of a vector to satisfy the threshold and lists each', async () => {
    const r = await promQuery({ prometheus: url(), query: 'latency_seconds', op: '<', threshold: 0.5 })
    expect(r.status).toBe('fail')
    expect(r.message).toContain('1 of 2 series')
    expect(r.message).toContain('path="/b"')
    expect(r.evidence.seriesCount).toBe(2)
    expect(r.evidence.series?.map((s) => s.ok)).toEqual([false, true])
    const ok = await promQuery({ prometheus: url(), query: 'latency_seconds', op: '<=', threshold: 0.7 })
    expect(ok.status).toBe('pass')
    expect(ok.message).toBe('all 2 series <= 0.7')
  })

  it('treats an empty result as a failure unless onEmpty is pass', async () => {
    const r = await promQuery({ prometheus: url(), query: 'no_such_metric', op: '<', threshold: 1 })
    expect(r.status).toBe('fail')
    expect(r.message).toContain('no series')
    const p = await promQuery({ prometheus: url(), query: 'no_such_metric', op: '<', threshold: 1, onEmpty: 'pass' })
    expect(p.status).toBe('pass')
    expect(p.message).toContain('onEmpty is pass')
  })

  it('treats NaN (0/0) as a failure unless onNaN is pass', async () => {
    const r = await promQuery({ prometheus: url(), query: 'sum(zero) / sum(zero)', op: '<', threshold: 0.05 })
    expect(r.status).toBe('fail')
    expect(r.message).toContain('NaN')
    expect(r.evidence.series?.[0]?.value).toBe('NaN')
    const p = await promQuery({ prometheus: url(), query: 'sum(zero) / sum(zero)', op: '<', threshold: 0.05, onNaN: 'pass' })
    expect(p.status).toBe('pass')
  })

  it('reports a malformed query as an error with errorType bad_data', async () => {
    const r = await promQuery({ prometheus: url(), query: 'rate(error_ratio[', op: '<', threshold: 1 })
    expect(r.status).toBe('error')
    expect(r.evidence.errorType).toBe('bad_data')
    expect(r.evidence.error).toMatch(/parse error/)
    expect(r.evidence.httpStatus).toBe(400)
  })

  it('refuses a range vector for an instant comparison', async () => {
    const r = await promQuery({ prometheus: url(), query: 'error_ratio[10s]', op: '<', threshold: 1 })
    expect(r.status).toBe('error')
    expect(r.message).toContain('range vector')
  })

  it('with `for`, every sample of the window must satisfy the comparison', async () => {
    // A window longer than the data Prometheus holds has gaps: not proven to have held.
    const gaps = await promQuery({ prometheus: url(), query: 'error_ratio', op: '<', threshold: 0.05, for: 600_000, step: 10_000 })
    expect(gaps.status).toBe('fail')
    expect(gaps.message).toMatch(/no data for \d+ of 61 steps/)
    await new Promise((r) => setTimeout(r, 2500)) // let 2 s of samples accumulate (bounded)
    const ok = await promQuery({ prometheus: url(), query: 'error_ratio', op: '<', threshold: 0.05, for: 2000, step: 1000 })
    expect(ok.status, ok.message).toBe('pass')
    expect(ok.evidence.series?.[0]?.samples).toBe(3)
    const bad = await promQuery({ prometheus: url(), query: 'error_ratio', op: '>', threshold: 0.05, for: 2000, step: 1000 })
    expect(bad.status).toBe('fail')
    expect(bad.message).toContain('over the last 2 s')
  })

  it('guard: the query is judged only once the guard holds; until then "not enough data"', async () => {
    // 0 errors out of no traffic is not a pass: the guard (here never true) holds the verdict back.
    const held = await promQuery({ prometheus: url(), query: 'error_ratio', op: '<', threshold: 0.05, guard: 'sum(zero) >= 1' })
    expect(held.status).toBe('fail')
    expect(held.message).toBe('not enough data: guard sum(zero) >= 1 returned no series, so the query was not judged')
    expect(held.evidence.guard).toEqual({ query: 'sum(zero) >= 1', holds: false, seriesCount: 0 })
    expect(held.evidence.series).toBeUndefined()
    // A bool comparison (0 when false) and a bare value of 0 hold nothing either.
    const zero = await promQuery({ prometheus: url(), query: 'error_ratio', op: '<', threshold: 0.05, guard: 'sum(zero) >= bool 1' })
    expect(zero.message).toMatch(/^not enough data: guard sum\(zero\) >= bool 1 is 0,/)
    const ok = await promQuery({ prometheus: url(), query: 'error_ratio', op: '<', threshold: 0.05, guard: 'count(latency_seconds) >= 2' })
    expect(ok.status, ok.message).toBe('pass')
    expect(ok.evidence.guard).toEqual({ query: 'count(latency_seconds) >= 2', holds: true, seriesCount: 1, value: '2' })
    // Once judged, the guard does not soften the verdict.
    const bad = await promQuery({ prometheus: url(), query: 'error_ratio', op: '<', threshold: 0.005, guard: 'count(latency_seconds) >= 2' })
    expect(bad.status).toBe('fail')
    expect(bad.message).toMatch(/= 0\.01, expected < 0\.005/)
  })

  it('guard: a malformed guard is an error (it will not fix itself), named as the guard', async () => {
    const r = await promQuery({ prometheus: url(), query: 'error_ratio', op: '<', threshold: 1, guard: 'sum(zero' })
    expect(r.status).toBe('error')
    expect(r.message).toMatch(/^guard: Prometheus API error bad_data: /)
  })

  it('check prom-query on the command line: --guard, --op, --threshold as in a target file', async () => {
    const pass = await runCli(['check', 'prom-query', 'error_ratio', '--prometheus', url(), '--op', '<', '--threshold', '0.05', '--guard', 'count(latency_seconds) >= 2', '--json'])
    expect(pass.code, pass.stderr).toBe(0)
    expect((JSON.parse(pass.stdout) as CheckResult<{ guard: unknown }>).evidence.guard).toMatchObject({ holds: true })
    const held = await runCli(['check', 'prom-query', 'error_ratio', '--prometheus', url(), '--op', '<', '--threshold', '0.05', '--guard', 'sum(zero) >= 1'])
    expect(held.code).toBe(1)
    expect(held.stdout).toContain('not enough data: guard sum(zero) >= 1 returned no series')
  })
})

describe('Prometheus unreachable or behind auth', () => {
  it('fails (not throws) when Prometheus is down', async () => {
    const r = await promQuery({ prometheus: `http://127.0.0.1:${fx.closedPort}`, query: 'up', op: '==', threshold: 1, connectTimeout: 1000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/Prometheus unreachable: connection refused/)
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
      const r = await promQuery({ prometheus: `http://127.0.0.1:${port}`, query: 'up', op: '==', threshold: 1, bearerToken: 's3cret-token' })
      expect(r.status, r.message).toBe('pass')
      const b = await promQuery({ prometheus: `http://bob:pa55word@127.0.0.1:${port}`, query: 'up', op: '==', threshold: 1 })
      expect(b.status, b.message).toBe('pass')
      expect(JSON.stringify(b)).not.toContain('pa55word')
      expect(JSON.stringify(r)).not.toContain('s3cret')
      const denied = await promQuery({ prometheus: `http://127.0.0.1:${port}`, query: 'up', op: '==', threshold: 1 })
      expect(denied.status).toBe('fail')
      expect(denied.message).toContain('HTTP 401')
      expect(seen).toEqual(['Bearer s3cret-token', `Basic ${Buffer.from('bob:pa55word').toString('base64')}`, ''])
    } finally {
      server.close()
    }
  })

  it('rejects bad arguments', async () => {
    await expect(promQuery({ prometheus: 'http://x', query: 'up', op: '=<' as '<', threshold: 1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(promQuery({ prometheus: 'http://x', query: '', op: '<', threshold: 1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(promQuery({ prometheus: 'http://x', query: 'up', op: '<', threshold: 1, onNaN: 'maybe' as 'pass' })).rejects.toBeInstanceOf(InvalidArgumentError)
    // The kind's cross-field rule holds for library callers too, in the same words.
    await expect(promQuery({ prometheus: 'http://x', query: 'up', op: '<', threshold: 1, step: 1000 })).rejects.toThrow('step: applies only with for (it is the resolution of the for window)')
    await expect(promQuery({ prometheus: 'not a url', query: 'up', op: '<', threshold: 1 })).rejects.toBeInstanceOf(InvalidArgumentError)
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

describe('judgePromGuard', () => {
  const outcome = (data: PromQueryData): PromApiOutcome<PromQueryData> => ({ ok: true, httpStatus: 200, warnings: [], infos: [], latencyMs: 1, data })
  const vector = (...values: string[]) => outcome({ resultType: 'vector', result: values.map((v, i) => ({ metric: { i: String(i) }, value: [0, v] as [number, string] })) })
  it.each<[string, PromApiOutcome<PromQueryData>, 'pass' | 'fail' | 'error', RegExp]>([
    ['a filtering comparison that held', vector('37'), 'pass', /^guard g holds \(37\)$/],
    ['empty: the comparison filtered everything out', vector(), 'fail', /^not enough data: guard g returned no series, so the query was not judged$/],
    ['a bool comparison that is false', vector('0'), 'fail', /^not enough data: guard g is 0,/],
    ['NaN (0/0) is not data', vector('NaN'), 'fail', /^not enough data: guard g is NaN,/],
    ['one series of several is enough', vector('0', '3'), 'pass', /holds \(3\)/],
    ['all series 0 or NaN', vector('0', 'NaN'), 'fail', /is 0 or NaN in all 2 series/],
    ['a scalar that is not 0', outcome({ resultType: 'scalar', result: [0, '1'] }), 'pass', /holds/],
    ['a scalar 0', outcome({ resultType: 'scalar', result: [0, '0'] }), 'fail', /not enough data/],
    ['a range vector', outcome({ resultType: 'matrix', result: [] }), 'error', /range vector/],
    ['a string', outcome({ resultType: 'string', result: [0, 'x'] }), 'error', /string/],
    ['bad_data', { ok: false, kind: 'api', errorType: 'bad_data', error: 'parse error' }, 'error', /^guard: Prometheus API error bad_data: parse error$/],
    ['unreachable', { ok: false, kind: 'network', error: 'connection refused' }, 'fail', /^guard: Prometheus unreachable: connection refused$/],
  ])('%s', (_name, o, status, message) => {
    const v = judgePromGuard(o, 'g', X)
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
    expect(v.evidence.guard?.holds).toBe(status === 'pass')
  })
})

describe('kind prom-query', () => {
  const ctx = () => testBuildContext('/tmp')

  it('builds from a target entry: durations decoded, title over the decoded window, secrets registered', async () => {
    const c = ctx()
    const spec = await buildKind({ id: 'q', kind: 'prom-query', prometheus: 'http://p:9090', query: 'up', op: '<', threshold: 1, for: '2m', step: '10s', bearerToken: 'tok-123456', headers: { 'X-Scope-OrgID': 'tenant-1' } }, c)
    expect(spec.title).toBe('PromQL up < 1 for 120 s')
    expect(c.redactor.redact('Bearer tok-123456')).toBe('Bearer ***')
    const withPassword = ctx()
    await buildKind({ id: 'q', kind: 'prom-query', prometheus: 'http://p:9090', query: 'up', op: '<', threshold: 1, username: 'bob', password: 'pa55word-xyz' }, withPassword)
    expect(withPassword.redactor.redact('pw pa55word-xyz')).toBe('pw ***')
  })

  it('a cross-field rule in a target file names the path and line', async () => {
    const r = await buildTargetFile('checks:\n  - id: q\n    kind: prom-query\n    prometheus: http://127.0.0.1:9\n    query: up\n    op: "<"\n    threshold: 1\n    step: 10s\n')
    expect(r.problems).toContain('checks[0].step (line 8): applies only with for (it is the resolution of the for window)')
  })

  it('a cross-field rule on the command line names the flags', async () => {
    const run = await runCli(['check', 'prom-query', 'up', '--prometheus', 'http://127.0.0.1:9', '--op', '<', '--threshold', '1', '--step', '10s'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--step: applies only with --for (it is the resolution of the --for window)')
  })

  it('one way to authenticate: bearerToken with basic auth is a build error naming the field and line', async () => {
    const yaml = 'checks:\n  - id: q\n    kind: prom-query\n    prometheus: http://bob@127.0.0.1:9\n    query: up\n    op: "<"\n    threshold: 1\n    bearerToken: env:PROM_TOKEN\n'
    const r = await buildTargetFile(yaml, { PROM_TOKEN: 'tok-123456' })
    expect(r.problems).toContain('checks[0].bearerToken (line 8): give bearerToken or basic auth (username and password, or credentials in the URL), not both')
  })

  it('credentials in headers must be env: references in a target file', async () => {
    const r = await buildTargetFile('checks:\n  - id: q\n    kind: prom-query\n    prometheus: http://127.0.0.1:9\n    query: up\n    op: "<"\n    threshold: 1\n    headers:\n      Authorization: Bearer tok-literal-1\n')
    expect(r.problems).toContain('checks[0].headers.Authorization (line 9): secrets are never written in target files')
  })

  it('a check timeout shorter than the phase timeouts still names the phase that hung', async () => {
    const silent = createTcpServer(() => {}) // accepts TCP, never answers
    const port = await listen(silent)
    try {
      const spec = await buildKind({ id: 'q', kind: 'prom-query', prometheus: `http://127.0.0.1:${port}`, query: 'up', op: '==', threshold: 1, guard: 'up' }, ctx())
      const r = await spec.run(AbortSignal.timeout(5000), Date.now() + 1000)
      expect(r.status).toBe('fail')
      expect(r.message).toMatch(/^guard: Prometheus unreachable: headers timed out after (8|9)\d\d ms$/)
      const cli = await runCli(['check', 'prom-query', 'up', '--prometheus', `http://127.0.0.1:${port}`, '--op', '==', '--threshold', '1', '--timeout', '1s'])
      expect(cli.code).toBe(1)
      expect(cli.stdout).toMatch(/Prometheus unreachable: headers timed out after (8|9)\d\d ms/)
    } finally {
      silent.close()
    }
  })
})
