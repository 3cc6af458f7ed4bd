import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { promTargetsUp } from '../../checks/prom-targets.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { runCli } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { buildTargetFile, noPrometheus, startPromFixture, type PromFixture } from '../helpers/prometheus.ts'

// Job `demo`: the exporter (up) and a closed port (down).
let fx: PromFixture
beforeAll(async () => {
  fx = await startPromFixture({ exposition: '# TYPE up_gauge gauge\nup_gauge 1\n', downTarget: true })
}, 60_000)
afterAll(async () => {
  await fx?.stop()
})

describe.skipIf(noPrometheus !== undefined)('against a real Prometheus', () => {
  it('promTargetsUp fails naming the down target and its last error, passes for a healthy selection', async () => {
    const r = await promTargetsUp({ prometheus: fx.url!, job: 'demo' })
    expect(r.status).toBe('fail')
    expect(r.message).toContain(`127.0.0.1:${fx.closedPort}`)
    expect(r.evidence.targets?.[0]?.lastError).toMatch(/connection refused/)
    expect(r.evidence).toMatchObject({ matched: 2, up: 1 })
    const ok = await promTargetsUp({ prometheus: fx.url!, job: 'demo', selector: `instance="127.0.0.1:${fx.exporterPort}"` })
    expect(ok.status, ok.message).toBe('pass')
    const none = await promTargetsUp({ prometheus: fx.url!, job: 'nope' })
    expect(none.status).toBe('fail')
    expect(none.message).toContain('expected at least 1')
  })

  it('builds from a target entry (job as the positional of check prom-targets)', async () => {
    const spec = await buildKind({ id: 't', kind: 'prom-targets', prometheus: fx.url!, selector: `instance="127.0.0.1:${fx.exporterPort}"` }, testBuildContext('/tmp'))
    expect(spec.title).toBe(`Prometheus targets matching instance="127.0.0.1:${fx.exporterPort}" are up`)
    expect((await spec.run(AbortSignal.timeout(5000))).status).toBe('pass')
    const run = await runCli(['check', 'prom-targets', 'demo', '--prometheus', fx.url!, '--min-targets', '2'])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('1 of 2 target(s) not up')
  })
})

describe('prom-targets options', () => {
  it('fails (not throws) when Prometheus is down', async () => {
    const r = await promTargetsUp({ prometheus: `http://127.0.0.1:${fx.closedPort}`, job: 'x' })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/Prometheus unreachable: connection refused/)
  })

  it('job or selector: a cross-field rule, for library callers, in a target file (path and line) and on the command line (flags)', async () => {
    await expect(promTargetsUp({ prometheus: 'http://x' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(promTargetsUp({ prometheus: 'http://x' })).rejects.toThrow('give job, selector or both')
    const file = await buildTargetFile('checks:\n  - id: t\n    kind: prom-targets\n    prometheus: http://127.0.0.1:9\n')
    expect(file.problems).toContain('checks[0] (line 2): give job, selector or both')
    const run = await runCli(['check', 'prom-targets', '--prometheus', 'http://127.0.0.1:9'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('give --job, --selector or both')
  })

  it('a malformed selector is a build error naming the field', async () => {
    const file = await buildTargetFile('checks:\n  - id: t\n    kind: prom-targets\n    prometheus: http://127.0.0.1:9\n    selector: env=prod\n')
    expect(file.problems).toMatch(/checks\[0\]\.selector \(line 5\): invalid label selector "env=prod"/)
  })
})
