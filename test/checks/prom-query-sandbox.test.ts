import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpRequest } from '../../clients/http.ts'
import { parsePromValue, promInstantQuery } from '../../clients/prometheus.ts'
import { Redactor } from '../../lib/redact.ts'
import { openEnvironment, type TargetEnvironment } from '../../smoke/environment.ts'
import { repoRoot } from '../helpers/cli.ts'
import { noPrometheus } from '../helpers/prometheus.ts'

/**
 * The issue this guards against: an error-rate gate judged before there is traffic to judge passes
 * vacuously. In the sandbox suite, `prometheus.error-rate` passed under `--fault errors` because
 * the only requests Prometheus had seen were its own scrapes and the first few requests, none of
 * which had failed yet. The check as shipped in smoke/targets/sandbox.yaml must hold its verdict
 * back until there is enough data, then fail.
 */
describe.skipIf(noPrometheus !== undefined)('sandbox suite: prometheus.error-rate under --fault errors', () => {
  let env: TargetEnvironment
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rbk-prom-sandbox-'))
    env = await openEnvironment({ target: 'sandbox', cwd: repoRoot, reportDir: dir, faults: ['errors'], env: {}, redactor: new Redactor(), only: ['prometheus.error-rate'] })
  }, 60_000)
  afterAll(async () => {
    await env?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const value = async (expr: string): Promise<number> => {
    const o = await promInstantQuery({ url: env.vars.SANDBOX_PROMETHEUS_URL! }, expr)
    if (!o.ok || o.data.resultType !== 'vector' || !o.data.result[0]?.value) return Number.NaN
    return parsePromValue(o.data.result[0].value[1])
  }
  // Prometheus first scrapes the application a few seconds after it starts, then every second.
  const until = async (expr: string) => {
    for (const stop = Date.now() + 20_000; Date.now() < stop; ) {
      if ((await value(expr)) > 0) return
      await new Promise((r) => setTimeout(r, 250))
    }
    throw new Error(`${expr} did not hold within 20 s`)
  }
  const requestHealth = async (n: number) => {
    for (let i = 0; i < n; i++) await httpRequest({ url: `${env.sandboxUrl}/health`, ca: env.vars.SANDBOX_CA_FILE! })
  }

  it('is "not enough data" on the scrapes and two good requests (not a vacuous pass), and fails once 30 requests show the errors', async () => {
    const [check] = env.checks
    expect(check?.id).toBe('prometheus.error-rate')
    const query = (env.target.checks.find((c) => c.id === 'prometheus.error-rate') as unknown as { query: string }).query

    // Two requests, both answered 200 (the fault fails every third), and Prometheus has seen them.
    await requestHealth(2)
    await until('sum(http_requests_total{path!="/metrics"}) >= 2')
    // What the gate would say on this data without its guard: 0 errors, a pass.
    expect(await value(query)).toBe(0)
    const early = await check!.run(AbortSignal.timeout(10_000))
    expect(early.status).toBe('fail')
    expect(early.message).toBe('not enough data: guard sum(http_requests_total{path!="/metrics"}) >= 20 returned no series, so the query was not judged')

    // 28 more: every third request of the 30 answered 500.
    await requestHealth(28)
    await until('sum(http_requests_total{path!="/metrics"}) >= 30')
    const judged = await check!.run(AbortSignal.timeout(10_000))
    expect(judged.status, judged.message).toBe('fail')
    expect(judged.message).toMatch(/^value = 0\.33\d*, expected < 0\.05$/)
    expect(judged.evidence).toMatchObject({ guard: { holds: true } })
  })
})
