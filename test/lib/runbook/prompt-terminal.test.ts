import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../../lib/report/model.ts'
import { repoRoot } from '../../helpers/cli.ts'
import { ciEnv, engineFixture, engineTarget, fixtureServer, FIXTURE_TOKEN, zxCli } from '../../helpers/runbook-fixture.ts'

/**
 * Confirmations on a real terminal: the fixture runbook runs in a pseudo-terminal (util-linux
 * `script`), and the test types the operator's answers (and Ctrl-C) into it.
 */

const hasScript = spawnSync('script', ['--version']).status === 0
let server: Awaited<ReturnType<typeof fixtureServer>>
const dirs: string[] = []
beforeAll(async () => {
  server = await fixtureServer()
})
afterAll(async () => {
  await server.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

interface Typed {
  /** Typed once the output (ANSI codes stripped) matches. */
  after: RegExp
  keys: string
}

/** Runs the fixture in a pseudo-terminal; `typing` is what the operator types, in order. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv, typing: Typed[]): Promise<{ code: number | null; out: string }> {
  const command = [process.execPath, '--import', 'tsx', zxCli, engineFixture, '--target', engineTarget, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: repoRoot, env: ciEnv({ FIXTURE_URL: server.url, FIXTURE_TOKEN, TERM: 'dumb', ...env }), stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let next = 0
    const plain = () => out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    const onData = (d: Buffer) => {
      out += d.toString()
      while (next < typing.length && typing[next]!.after.test(plain())) child.stdin.write(typing[next++]!.keys)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`did not finish:\n${plain()}`))
    }, 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      child.stdin.destroy()
      done({ code, out: plain() })
    })
  })
}

function work(): { w: string; rep: string } {
  const w = mkdtempSync(join(tmpdir(), 'rb-tty-'))
  dirs.push(w)
  return { w, rep: join(w, 'rep') }
}

const journal = (w: string) => (existsSync(join(w, 'journal.log')) ? readFileSync(join(w, 'journal.log'), 'utf8').trim().split('\n') : [])
const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport
const PROCEED = /Step 2 "Apply change" changes the target\. Proceed\? \[y\/N\] $/

describe.skipIf(!hasScript)('confirmations on a terminal', { timeout: 120_000 }, () => {
  it('Ctrl-C at a [y/N] prompt interrupts the run (exit 130): the prompt line is ended, nothing is changed', async () => {
    const { w, rep } = work()
    const r = await onTerminal(['--report-dir', rep], { WORK_DIR: w }, [{ after: PROCEED, keys: '\x03' }])
    expect(r.code, r.out).toBe(130)
    // The next output starts on a line of its own.
    expect(r.out).toMatch(/Proceed\? \[y\/N\] \r?\n/)
    expect(r.out).toMatch(/⚠ 2\. Apply change: interrupted/)
    expect(r.out).toMatch(/\nINTERRUPTED: /)
    expect(journal(w)).toEqual([])
    expect(report(rep).meta.verdict).toBe('interrupted')
    expect(report(rep).steps.find((s) => s.title === 'Apply change')).toMatchObject({ status: 'error', interrupted: true })
  })

  it('a declined destructive step is shown crossed (☒ … — no) and fails the run (exit 1)', async () => {
    const { w, rep } = work()
    const r = await onTerminal(['--report-dir', rep], { WORK_DIR: w }, [{ after: PROCEED, keys: 'n\r' }])
    expect(r.code, r.out).toBe(1)
    expect(r.out).toContain('☒ Run destructive step "Apply change"? — no')
    expect(r.out).not.toContain('☑ Run destructive step "Apply change"? — no')
    expect(journal(w)).toEqual([])
  })

  it('an answer that is neither yes nor no is asked again; a declined checklist item is crossed', async () => {
    const { w, rep } = work()
    const r = await onTerminal(['--report-dir', rep], { WORK_DIR: w }, [
      { after: PROCEED, keys: 'y\r' },
      { after: /Step 3 "Second change" changes the target\. Proceed\? \[y\/N\] $/, keys: 'yes\r' },
      { after: /On-call engineer notified of the deployment window \[y\/N\] $/, keys: 'maybe\r' },
      { after: /"maybe" is neither\.\r?\nOn-call engineer notified of the deployment window \[y\/N\] $/, keys: 'n\r' },
    ])
    expect(r.code, r.out).toBe(1)
    expect(r.out).toContain('Please answer y (yes) or n (no); "maybe" is neither.')
    expect(r.out).toContain('☑ Run destructive step "Apply change"? — yes')
    expect(r.out).toContain('☒ On-call engineer notified of the deployment window — no')
    expect(report(rep).steps.find((s) => s.title.startsWith('Confirm:'))).toMatchObject({ status: 'fail', message: 'checklist item not confirmed: On-call engineer notified of the deployment window' })
    // What it changed was rolled back.
    expect(journal(w)).toEqual(['apply', 'second', 'undo second (saw fresh)', 'undo apply'])
  })

  it('--dry-run on a terminal asks nothing: the checklist is recorded "not asked (dry run)" and the plan completes', async () => {
    const { w, rep } = work()
    const r = await onTerminal(['--dry-run', '--report-dir', rep], { WORK_DIR: w }, [])
    expect(r.code, r.out).toBe(0)
    expect(r.out).not.toContain('[y/N]')
    expect(r.out).toContain('☐ On-call engineer notified of the deployment window — not asked (dry run)')
    expect(report(rep).steps.find((s) => s.title.startsWith('Confirm:'))?.confirmations?.[0]?.answer).toBe('not asked (dry run)')
  })
})
