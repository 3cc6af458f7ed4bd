import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../../lib/report/model.ts'
import { ciEnv, engineFixture, engineTarget, fixtureServer, FIXTURE_TOKEN, runZx, type Run } from '../../helpers/runbook-fixture.ts'

/**
 * The engine's exit paths, black-box (the fixture runbook through the zx CLI, no terminal): an
 * unusable report folder, reports that cannot be written at the end, step selectors that name no
 * step, and a signal while the target opens.
 */

let server: Awaited<ReturnType<typeof fixtureServer>>
const dirs: string[] = []
beforeAll(async () => {
  server = await fixtureServer()
})
afterAll(async () => {
  await server.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function work(): string {
  const d = mkdtempSync(join(tmpdir(), 'rb-exit-'))
  dirs.push(d)
  return d
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return runZx(engineFixture, ['--target', engineTarget, ...args], ciEnv({ FIXTURE_URL: server.url, FIXTURE_TOKEN, ...env }))
}

const journal = (w: string) => (existsSync(join(w, 'journal.log')) ? readFileSync(join(w, 'journal.log'), 'utf8').trim().split('\n') : [])
const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport

describe('runbook exit paths', { timeout: 120_000 }, () => {
  it('a report folder that cannot be made is refused before anything runs or opens: exit 2, saying why', async () => {
    const w = work()
    const marker = join(w, 'opened')
    // README.md is a file, so README.md/sub cannot be a folder (ENOTDIR).
    const r = await run(['--yes', '--report-dir', 'README.md/sub'], { WORK_DIR: w, OPEN_MARKER: marker })
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.stdout).toMatch(/engine-fixture: cannot use report directory \S+\/README\.md\/sub: a part of the path is a file, not a folder \(ENOTDIR[^\n]*; nothing was run/)
    expect(r.stdout).not.toMatch(/PASSED|could not write reports/)
    expect(journal(w)).toEqual([])
    expect(existsSync(marker)).toBe(false)
  })

  it('reports that cannot be written at the end fail the run (exit 1), and the record goes to a fallback folder, said loudly', async () => {
    const w = work()
    const rep = join(w, 'rep')
    const tmp = join(w, 'tmp')
    mkdirSync(tmp)
    const r = await run(['--yes', '--report-dir', rep], { WORK_DIR: w, BREAK_REPORT_DIR: '1', TMPDIR: tmp })
    expect(r.code, r.stdout).toBe(1)
    expect(journal(w)).toEqual(['apply', 'second', 'final'])
    expect(r.stdout).toContain(`REPORTS NOT WRITTEN: the reports could not be written to ${rep}: `)
    const fallback = /THE RECORD OF THIS RUN IS IN (\S+)\/ \(report\.json, junit\.xml, report\.md, state\.json\)/.exec(r.stdout)?.[1]
    expect(fallback, r.stdout).toBeDefined()
    expect(fallback!.startsWith(join(tmp, 'runbook-kit-engine-fixture-record-'))).toBe(true)
    expect(readdirSync(fallback!).sort()).toEqual(['junit.xml', 'report.json', 'report.md', 'state.json'])
    const saved = report(fallback!)
    expect(saved.meta).toMatchObject({ verdict: 'failed', exitCode: 1 })
    expect(saved.meta.error).toContain(`the reports could not be written to ${rep}`)
    expect(r.stdout).toMatch(/\nFAILED: \d+ passed, 0 failed/)
    expect(r.stdout).not.toContain('PASSED')
  })

  it('--only naming no step of the runbook is a configuration error (exit 2) naming it, and nothing runs', async () => {
    const w = work()
    const rep = join(w, 'rep')
    const r = await run(['--yes', '--only', 'aply-change', '--report-dir', rep], { WORK_DIR: w })
    expect(r.code, r.stdout).toBe(2)
    expect(r.stdout).toContain('engine-fixture: --only aply-change: this runbook has no such step (its steps: 1 Prepare; 2 Apply change; 3 Second change; 4 Confirm: On-call engineer notified of the deployment window; 5 Verify the service; 6 Final step); nothing was run')
    expect(journal(w)).toEqual([])
    expect(report(rep).meta).toMatchObject({ verdict: 'config-error', exitCode: 2 })
    expect(r.stdout).not.toContain('PASSED')
  })

  it('--from a step the saved run does not have is refused before the target opens (exit 2)', async () => {
    const w = work()
    const first = join(w, 'first')
    expect((await run(['--yes', '--report-dir', first], { WORK_DIR: w })).code).toBe(0)
    const marker = join(w, 'opened')
    const r = await run(['--yes', '--from', '99', '--state', first, '--report-dir', join(w, 'second-run')], { WORK_DIR: w, OPEN_MARKER: marker })
    expect(r.code, r.stdout).toBe(2)
    expect(r.stdout).toMatch(/--from 99: this runbook has no such step \(run \S+ had 6: 1 Prepare; [^)]*6 Final step\); nothing was run/)
    expect(existsSync(marker)).toBe(false)
    expect(journal(w)).toEqual(['apply', 'second', 'final'])
  })

  it.each(['SIGTERM', 'SIGINT'] as const)('%s while the target opens: the start-up is stopped, the report says interrupted, exit 130', async (sig) => {
    const w = work()
    const rep = join(w, 'rep')
    const marker = join(w, 'opened')
    const started = Date.now()
    const r = await runZx(engineFixture, ['--target', engineTarget, '--yes', '--report-dir', rep], ciEnv({ FIXTURE_URL: server.url, FIXTURE_TOKEN, WORK_DIR: w, OPEN_MARKER: marker, SLOW_OPEN: '1' }), {
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (!existsSync(marker)) return
          clearInterval(poll)
          child.kill(sig)
        }, 50)
        child.once('exit', () => clearInterval(poll))
      },
    })
    expect(r.signal, r.stdout).toBeNull()
    expect(r.code, r.stdout + r.stderr).toBe(130)
    expect(Date.now() - started).toBeLessThan(25_000)
    expect(r.stdout).toContain(`${sig}: stopping the start-up`)
    expect(r.stdout).toMatch(/\nINTERRUPTED: 0 passed, 0 failed/)
    const saved = report(rep)
    expect(saved.meta).toMatchObject({ verdict: 'interrupted', exitCode: 130 })
    expect(saved.steps).toEqual([])
    expect(journal(w)).toEqual([])
  })
})
