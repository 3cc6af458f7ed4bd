import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../../lib/report/model.ts'
import type { RunbookState } from '../../../lib/runbook/state.ts'
import { parseJunit } from '../report/fixtures.ts'

/**
 * The engine, black-box: a tiny runbook (test/fixtures/runbooks/engine.mts) run by the real zx CLI
 * in a child process without a terminal, against a loopback server this test starts.
 */

const repo = resolve(import.meta.dirname, '..', '..', '..')
const fixture = join(repo, 'test/fixtures/runbooks/engine.mts')
const targetFile = join(repo, 'test/fixtures/runbooks/target.yaml')
const zxCli = join(repo, 'node_modules/zx/build/cli.js')
const TOKEN = 'fixture-token-4f9a1c77e2'

let server: Server
let url = ''
const dirs: string[] = []
const outputs: string[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.headers.authorization === TOKEN ? 200 : 401
    res.end('ok')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()))
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rb-engine-'))
  dirs.push(d)
  return d
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function runFixture(args: string[], env: Record<string, string> = {}, onStdout?: (soFar: string, child: ChildProcess) => void): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', zxCli, fixture, '--target', targetFile, ...args], {
      cwd: repo,
      env: { ...process.env, NODE_OPTIONS: '', CI: '1', NO_COLOR: '1', FIXTURE_URL: url, FIXTURE_TOKEN: TOKEN, GITHUB_STEP_SUMMARY: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      onStdout?.(stdout, child)
    })
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`fixture runbook did not finish\n${stdout}\n${stderr}`))
    }, 40_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      outputs.push(stdout, stderr)
      done({ code, stdout, stderr })
    })
  })
}

function readReport(dir: string): RunReport {
  const text = readFileSync(join(dir, 'report.json'), 'utf8')
  outputs.push(text, readFileSync(join(dir, 'report.md'), 'utf8'), readFileSync(join(dir, 'junit.xml'), 'utf8'), readFileSync(join(dir, 'state.json'), 'utf8'))
  return JSON.parse(text) as RunReport
}

function readState(dir: string): RunbookState {
  return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunbookState
}

/** The terminal's closing line must count what junit.xml counts (checks + steps). */
function expectClosingLineMatchesJunit(run: Run, dir: string): void {
  const m = /\n(?:PASSED|FAILED|INTERRUPTED|CONFIG-ERROR): (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\n/.exec(run.stdout)
  expect(m, run.stdout).not.toBeNull()
  const [pass, failed, skipped] = [Number(m![1]), Number(m![2]), Number(m![3] ?? 0)]
  const { suite } = parseJunit(readFileSync(join(dir, 'junit.xml'), 'utf8'))
  expect(pass + failed + skipped).toBe(Number(suite['@tests']))
  expect(failed).toBe(Number(suite['@failures']) + Number(suite['@errors']))
  expect(skipped).toBe(Number(suite['@skipped']))
  // report.md's verdict line says the same.
  expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain(`: ${pass} passed, ${failed} failed, ${skipped} skipped`)
}

function journal(work: string): string[] {
  const f = join(work, 'journal.log')
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : []
}

// Every test runs the fixture through the zx CLI, some several times: slow on a loaded 2-core machine.
describe('runbook engine', { timeout: 120_000 }, () => {
  it('runs steps in order and records every command with its exit code', async () => {
    const work = tempDir()
    const rep = join(work, 'rep')
    const run = await runFixture(['--yes', '--report-dir', rep], { WORK_DIR: work })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(journal(work)).toEqual(['apply', 'second', 'final'])
    const report = readReport(rep)
    expect(report.meta.kind).toBe('runbook')
    expect(report.meta.verdict).toBe('passed')
    expect(report.steps.map((s) => [s.index, s.title, s.status])).toEqual([
      [1, 'Prepare', 'pass'],
      [2, 'Apply change', 'pass'],
      [3, 'Second change', 'pass'],
      [4, 'Confirm: On-call engineer notified of the deployment window', 'pass'],
      [5, 'Verify the service', 'pass'],
      [6, 'Final step', 'pass'],
    ])
    const prepare = report.steps[0]!
    expect(prepare.commands.map((c) => c.exitCode)).toEqual([0, 3])
    expect(prepare.commands[0]!.command).toContain('touch')
    expect(prepare.commands[1]!.stderrTail).toBe('token=***')
    expect(report.steps[1]!.confirmations?.[0]?.answer).toBe('confirmed by flag')
    expect(report.steps[3]!.confirmations?.[0]).toMatchObject({ question: 'On-call engineer notified of the deployment window', answer: 'confirmed by flag' })
    expect(report.steps[4]!.checks).toEqual(['health'])
    expect(report.results.map((r) => [r.id, r.status])).toEqual([['health', 'pass']])
    expect(readFileSync(join(rep, 'report.md'), 'utf8')).toContain('Apply change')
    expect(run.stdout).toMatch(/\d+ passed, 0 failed/)
    expectClosingLineMatchesJunit(run, rep)
  })

  it('runs the undo handlers in reverse order on failure, then verifies again', async () => {
    const work = tempDir()
    const rep = join(work, 'rep')
    const run = await runFixture(['--yes', '--report-dir', rep], { WORK_DIR: work, FAIL_AT: 'Final step' })
    expect(run.code).toBe(1)
    expect(journal(work)).toEqual(['apply', 'second', 'undo second (saw fresh)', 'undo apply'])
    expect(existsSync(join(work, 'applied'))).toBe(false)
    expect(existsSync(join(work, 'second'))).toBe(false)
    const report = readReport(rep)
    expect(report.meta.verdict).toBe('failed')
    const byTitle = Object.fromEntries(report.steps.map((s) => [s.title, s]))
    expect(byTitle['Final step']!.status).toBe('fail')
    expect(byTitle['Final step']!.message).toBe('final failed on purpose')
    expect(byTitle['Apply change']!.status).toBe('rolled-back')
    expect(report.steps.slice(6).map((s) => [s.title, s.status])).toEqual([
      ['Undo: Second change', 'pass'],
      ['Undo: Apply change', 'pass'],
      ['Verify the state after rollback', 'pass'],
    ])
    expect(report.results.map((r) => r.id)).toEqual(['health', 'after-rollback.health'])
  })

  it('--no-rollback leaves the changes in place', async () => {
    const work = tempDir()
    const run = await runFixture(['--yes', '--no-rollback', '--report-dir', join(work, 'rep')], { WORK_DIR: work, FAIL_AT: 'Final step' })
    expect(run.code).toBe(1)
    expect(journal(work)).toEqual(['apply', 'second'])
    expect(existsSync(join(work, 'applied'))).toBe(true)
  })

  it('--dry-run changes nothing but prints and records the commands', async () => {
    const work = tempDir()
    const rep = join(tmpdir(), `rb-dry-${process.pid}-${Date.now()}`)
    dirs.push(rep)
    const before = readdirSync(work)
    const run = await runFixture(['--dry-run', '--report-dir', rep], { WORK_DIR: work })
    expect(run.code, run.stdout).toBe(0)
    expect(readdirSync(work)).toEqual(before)
    expect(run.stdout).toContain(`would run touch ${join(work, 'applied')}`)
    const report = readReport(rep)
    expect(report.steps.find((s) => s.title === 'Apply change')!.status).toBe('dry-run')
    expect(report.steps.flatMap((s) => s.commands).every((c) => c.dryRun === true)).toBe(true)
    // Read-only checks still run in a dry run.
    expect(report.results.map((r) => [r.id, r.status])).toEqual([['health', 'pass']])
  })

  it('without a terminal and without --yes it refuses before the first step, exit 2', async () => {
    const work = tempDir()
    const rep = join(work, 'rep')
    const run = await runFixture(['--report-dir', rep], { WORK_DIR: work })
    expect(run.code).toBe(2)
    expect(run.stdout).toMatch(/refusing to start: .*stdin is not a terminal.*--yes/)
    expect(readdirSync(work)).toEqual(['rep'])
    const report = readReport(rep)
    expect(report.meta.verdict).toBe('config-error')
    expect(report.steps).toEqual([])
  })

  it('unknown options are usage errors (exit 2) and --help exits 0', async () => {
    const work = tempDir()
    const bad = await runFixture(['--bogus'], { WORK_DIR: work })
    expect(bad.code).toBe(2)
    expect(bad.stdout).toContain("Unknown option '--bogus'")
    const help = await runFixture(['--help'], { WORK_DIR: work })
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--dry-run')
    expect(readdirSync(work)).toEqual([])
  })

  it('--from resumes a failed run from its state.json, keeping the earlier steps\' undo', async () => {
    const work = tempDir()
    const first = join(work, 'first')
    const r1 = await runFixture(['--yes', '--no-rollback', '--report-dir', first], { WORK_DIR: work, FAIL_AT: 'Second change' })
    expect(r1.code).toBe(1)
    const state = JSON.parse(readFileSync(join(first, 'state.json'), 'utf8')) as { steps: { title: string; status: string; data: Record<string, unknown> }[] }
    expect(state.steps.find((s) => s.title === 'Apply change')!.data).toEqual({ appliedAt: 'revision-7' })

    const second = join(work, 'second-run')
    const r2 = await runFixture(['--yes', '--from', 'second-change', '--state', first, '--report-dir', second], { WORK_DIR: work })
    expect(r2.code, r2.stdout).toBe(0)
    expect(journal(work)).toEqual(['apply', 'second', 'second', 'final'])
    const report = readReport(second)
    expect(report.steps.slice(0, 3).map((s) => [s.title, s.status])).toEqual([
      ['Prepare', 'skip'],
      ['Apply change', 'skip'],
      ['Second change', 'pass'],
    ])
    expect(report.steps[0]!.message).toMatch(/^done in run runbook-engine-fixture-/)

    // A failure after resuming still undoes what the first run did (step 2) as well as step 3.
    const third = join(work, 'third-run')
    const r3 = await runFixture(['--yes', '--from', '3', '--state', first, '--report-dir', third], { WORK_DIR: work, FAIL_AT: 'Final step' })
    expect(r3.code).toBe(1)
    expect(journal(work).slice(-2)).toEqual(['undo second (saw resumed)', 'undo apply'])
    // The carried-over step 2 was undone by this run: its report says so, and a resume must run it again.
    const third3 = readReport(third)
    expect(third3.steps.find((s) => s.title === 'Apply change')).toMatchObject({ status: 'rolled-back' })
    expect(third3.steps.find((s) => s.title === 'Apply change')!.message).toMatch(/^done in run runbook-engine-fixture-\S+, then rolled back by this run/)
    expect(readState(third).steps.find((s) => s.title === 'Apply change')!.status).toBe('rolled-back')
    const r4 = await runFixture(['--yes', '--from', '4', '--state', third, '--report-dir', join(work, 'fourth')], { WORK_DIR: work })
    expect(r4.code, r4.stdout).toBe(2)
    expect(r4.stdout).toContain('step 2 "Apply change" was rolled back')
  })

  it('SIGINT stops the running command, runs no undo, writes an interrupted report, exit 130', async () => {
    const work = tempDir()
    const rep = join(work, 'rep')
    let sent = false
    const started = Date.now()
    const run = await runFixture(['--yes', '--report-dir', rep], { WORK_DIR: work, SLOW: '1' }, (soFar, child) => {
      if (!sent && soFar.includes('$ sleep 30')) {
        sent = true
        setTimeout(() => child.kill('SIGINT'), 200)
      }
    })
    expect(sent).toBe(true)
    expect(run.code, run.stdout + run.stderr).toBe(130)
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(journal(work)).toEqual(['apply', 'second'])
    const report = readReport(rep)
    expect(report.meta.verdict).toBe('interrupted')
    const step = report.steps.find((s) => s.title === 'Second change')!
    expect(step.status).toBe('error')
    expect(step.interrupted).toBe(true)
    expect(run.stdout).toMatch(/⚠ 3\. Second change: interrupted \(\d+ ms\)/)
    expect(run.stdout).not.toMatch(/✗ 3\. Second change/)
    expectClosingLineMatchesJunit(run, rep)
    // Steps the script reached while the reports were being written are not recorded; none is "done".
    const saved = readState(rep).steps
    expect(saved.slice(0, 3).map((s) => [s.index, s.status])).toEqual([
      [1, 'pass'],
      [2, 'pass'],
      [3, 'error'],
    ])
    expect(saved.slice(3).every((s) => s.status === 'not-run')).toBe(true)
    expect(step.commands.at(-1)).toMatchObject({ command: 'sleep 30', exitCode: null })
    expect(report.steps.some((s) => s.title.startsWith('Undo: '))).toBe(false)
  })

  it('rollback steps are labelled R1, R2… and do not take the procedure\'s step numbers; state.json keeps what each step is', async () => {
    const work = tempDir()
    const rep = join(work, 'rep')
    const run = await runFixture(['--yes', '--report-dir', rep], { WORK_DIR: work, FAIL_AT: 'Second change' })
    expect(run.code, run.stdout).toBe(1)
    const report = readReport(rep)
    expect(report.steps.map((s) => [s.label ?? s.index, s.title, s.status])).toEqual([
      [1, 'Prepare', 'pass'],
      [2, 'Apply change', 'rolled-back'],
      [3, 'Second change', 'fail'],
      ['R1', 'Undo: Second change', 'pass'],
      ['R2', 'Undo: Apply change', 'pass'],
      ['R3', 'Verify the state after rollback', 'pass'],
      [4, 'Confirm: On-call engineer notified of the deployment window', 'skip'],
      [5, 'Verify the service', 'skip'],
      [6, 'Final step', 'skip'],
    ])
    expect(run.stdout).toContain('[R1] Undo: Second change')
    expect(run.stdout).toMatch(/ R3\. Verify the state after rollback: pass/)
    expect(readState(rep).steps.map((s) => [s.index, s.status])).toEqual([
      [1, 'pass'],
      [2, 'rolled-back'],
      [3, 'fail'],
      [4, 'not-run'],
      [5, 'not-run'],
      [6, 'not-run'],
    ])
    expectClosingLineMatchesJunit(run, rep)
  })

  it('--from refuses (exit 2, nothing run) past a step that failed, was rolled back or never ran, and accepts any step the runbook has', async () => {
    const work = tempDir()
    const first = join(work, 'first')
    expect((await runFixture(['--yes', '--report-dir', first], { WORK_DIR: work, FAIL_AT: 'Second change' })).code).toBe(1)
    const before = journal(work)

    // Step 5 never ran in the first run, and step 2 was rolled back there: it must run again.
    const refused = join(work, 'refused')
    const r = await runFixture(['--yes', '--from', '5', '--state', first, '--report-dir', refused], { WORK_DIR: work })
    expect(r.code, r.stdout).toBe(2)
    expect(r.stdout).toMatch(/cannot resume --from 5: step 2 "Apply change" was rolled back in run \S+ \(its changes were undone\), so it must run again: resume from step 2 or earlier/)
    expect(journal(work)).toEqual(before)
    expect(readReport(refused).meta.verdict).toBe('config-error')
    expectClosingLineMatchesJunit(r, refused)

    // By title too, and for a step after the failed one.
    const r2 = await runFixture(['--yes', '--from', 'Final step', '--state', first, '--report-dir', join(work, 'refused-2')], { WORK_DIR: work })
    expect(r2.code).toBe(2)
    expect(r2.stdout).toContain('step 2 "Apply change" was rolled back')
    expect(journal(work)).toEqual(before)

    // From the rolled-back step itself: runs it again, and everything after it.
    const again = join(work, 'again')
    const r3 = await runFixture(['--yes', '--from', '2', '--state', first, '--report-dir', again], { WORK_DIR: work })
    expect(r3.code, r3.stdout).toBe(0)
    expect(journal(work).slice(before.length)).toEqual(['apply', 'second', 'final'])
    const report = readReport(again)
    expect(report.steps[0]).toMatchObject({ title: 'Prepare', status: 'skip' })
    expect(report.steps[0]!.message).toMatch(/^done in run runbook-engine-fixture-/)
    const state = readState(again)
    expect(state.resumedFrom).toBe(readState(first).runId)
    expect(state.steps[0]).toMatchObject({ index: 1, status: 'pass', doneIn: readState(first).runId })
    expect(state.steps.slice(1).map((s) => s.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass'])

    // A step number the runbook does not have.
    const r4 = await runFixture(['--yes', '--from', '9', '--state', again, '--report-dir', join(work, 'none')], { WORK_DIR: work })
    expect(r4.code, r4.stdout).toBe(2)
    expect(r4.stdout).toContain('--from 9: this runbook has no such step')
    expect(journal(work).slice(before.length)).toEqual(['apply', 'second', 'final'])
  })

  it('--from a step the saved run never reached is accepted when every earlier step passed; a gap is refused', async () => {
    const work = tempDir()
    const saved = join(work, 'saved')
    const state: RunbookState = {
      schemaVersion: 2,
      runbook: 'engine-fixture',
      target: 'engine-fixture',
      runId: 'runbook-engine-fixture-cut-short',
      finishedAt: new Date().toISOString(),
      verdict: 'interrupted',
      steps: [
        { index: 1, title: 'Prepare', status: 'pass', data: {} },
        { index: 2, title: 'Apply change', status: 'pass', data: { appliedAt: 'revision-7' } },
      ],
    }
    mkdirSync(saved)
    writeFileSync(join(saved, 'state.json'), JSON.stringify(state))

    const gap = await runFixture(['--yes', '--from', 'verify-the-service', '--state', saved, '--report-dir', join(work, 'gap')], { WORK_DIR: work })
    expect(gap.code, gap.stdout).toBe(2)
    expect(gap.stdout).toContain('cannot resume --from verify-the-service: step 3 "Second change" did not run in run runbook-engine-fixture-cut-short')
    expect(journal(work)).toEqual([])

    const ok = await runFixture(['--yes', '--from', '3', '--state', saved, '--report-dir', join(work, 'ok')], { WORK_DIR: work })
    expect(ok.code, ok.stdout).toBe(0)
    expect(journal(work)).toEqual(['second', 'final'])

    // A state.json of the old schema (whose numbering mixed rollback steps in) is not trusted.
    writeFileSync(join(saved, 'state.json'), JSON.stringify({ ...state, schemaVersion: 1 }))
    const old = await runFixture(['--yes', '--from', '3', '--state', saved, '--report-dir', join(work, 'old')], { WORK_DIR: work })
    expect(old.code).toBe(2)
    expect(old.stdout).toContain('state schema 1')
  })

  it('the secret from the environment never appears in any output or report', () => {
    expect(outputs.length).toBeGreaterThan(10)
    for (const o of outputs) expect(o).not.toContain(TOKEN)
  })
})
