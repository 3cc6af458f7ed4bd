import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { noFiringAlerts } from '../../checks/prom-alerts.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { runCli } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { buildTargetFile, noPrometheus, startPromFixture, type PromFixture } from '../helpers/prometheus.ts'

let fx: PromFixture
beforeAll(async () => {
  fx = await startPromFixture({
    exposition: '# TYPE up_gauge gauge\nup_gauge 1\n',
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
}, 60_000)
afterAll(async () => {
  await fx?.stop()
})

describe.skipIf(noPrometheus !== undefined)('against a real Prometheus', () => {
  // Rules are evaluated every second: the first evaluation may come after the first scrape.
  const settled = async () => {
    for (let i = 0; i < 50; i++) {
      const r = await noFiringAlerts({ prometheus: fx.url!, failOnPending: true, ignore: [] })
      if ((r.evidence.firing?.length ?? 0) + (r.evidence.pending?.length ?? 0) >= 2) return
      await new Promise((res) => setTimeout(res, 200))
    }
  }

  it('noFiringAlerts fails on a firing alert matching the selector, shows severity, ignores pending ones', async () => {
    await settled()
    const r = await noFiringAlerts({ prometheus: fx.url!, selector: 'service="demo"' })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('1 alert(s) firing: DemoDown [critical]')
    expect(r.evidence.firing?.[0]).toMatchObject({ alertname: 'DemoDown', severity: 'critical', summary: 'demo is down' })
    const other = await noFiringAlerts({ prometheus: fx.url!, selector: 'service="other"' })
    expect(other.status).toBe('pass')
    expect(other.message).toBe('no alerts firing (1 pending)')
    const strict = await noFiringAlerts({ prometheus: fx.url!, selector: 'service="other"', failOnPending: true })
    expect(strict.status).toBe('fail')
    const warnOnly = await noFiringAlerts({ prometheus: fx.url!, severities: ['warning'] })
    expect(warnOnly.status).toBe('pass')
  })

  it('builds from a target entry and from check prom-alerts flags (selector as the positional, lists comma-separated)', async () => {
    await settled()
    const spec = await buildKind({ id: 'a', kind: 'prom-alerts', prometheus: fx.url!, selector: 'service="demo"', ignore: ['DemoDown'] }, testBuildContext('/tmp'))
    expect(spec.title).toBe('No alerts firing matching service="demo"')
    expect((await spec.run(AbortSignal.timeout(5000))).status).toBe('pass')
    const run = await runCli(['check', 'prom-alerts', 'service=~"demo|other"', '--prometheus', fx.url!, '--severities', 'critical,warning', '--fail-on-pending'])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('2 alert(s) firing or pending')
  })
})

describe('prom-alerts options', () => {
  it('fails (not throws) when Prometheus is down', async () => {
    const r = await noFiringAlerts({ prometheus: `http://127.0.0.1:${fx.closedPort}` })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/Prometheus unreachable: connection refused/)
  })

  it('a malformed selector: InvalidArgumentError for library callers, path and line in a target file', async () => {
    await expect(noFiringAlerts({ prometheus: 'http://x', selector: 'service=demo' })).rejects.toBeInstanceOf(InvalidArgumentError)
    const file = await buildTargetFile('checks:\n  - id: a\n    kind: prom-alerts\n    prometheus: http://127.0.0.1:9\n    selector: service=demo\n')
    expect(file.problems).toMatch(/checks\[0\]\.selector \(line 5\): invalid label selector "service=demo"/)
  })

  it('the password is a secret: only an env: reference in a target file', async () => {
    const file = await buildTargetFile('checks:\n  - id: a\n    kind: prom-alerts\n    prometheus: http://127.0.0.1:9\n    username: bob\n    password: hunter2-literal\n')
    expect(file.problems).toContain('checks[0].password (line 6): secrets are never written in target files')
    const ok = await buildTargetFile('checks:\n  - id: a\n    kind: prom-alerts\n    prometheus: http://127.0.0.1:9\n    username: bob\n    password: env:PROM_PASSWORD\n', { PROM_PASSWORD: 'hunter2-from-env' })
    expect(ok.checks?.[0]?.title).toBe('No alerts firing')
  })
})
