import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../lib/report/model.ts'
import { privateTmp, sandboxDirsIn, waitForNoProcesses } from '../helpers/leftovers.ts'
import { ciEnv, runZx, type Run } from '../helpers/runbook-fixture.ts'

/**
 * deploy.mts's exit paths on the sandbox, run by the zx CLI without a terminal. Each run gets its
 * own TMPDIR, so what it leaves behind (temp folders, processes) can be seen.
 */

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function scratch(): { tmp: string; rep: string } {
  const tmp = privateTmp()
  const base = mkdtempSync(join(tmpdir(), 'rb-deploy-exit-'))
  dirs.push(tmp, base)
  return { tmp, rep: join(base, 'rep') }
}

function deploy(args: string[], tmp: string, opts: Parameters<typeof runZx>[3] = {}, extra: NodeJS.ProcessEnv = {}): Promise<Run> {
  const env = ciEnv({ TMPDIR: tmp, ...extra })
  delete env.WEBHOOK_SECRET
  return runZx('runbooks/deploy.mts', ['--target', 'sandbox', ...args], env, { timeoutMs: 110_000, ...opts })
}

const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport
const out = (r: Run) => r.stdout + r.stderr

/** Nothing of the sandbox is left: no temp folder, no process (PostgreSQL, Redis, Prometheus...). */
async function expectNothingLeft(tmp: string): Promise<void> {
  expect(await waitForNoProcesses(tmp)).toEqual([])
  expect(sandboxDirsIn(tmp)).toEqual([])
}

describe('runbooks/deploy.mts exit paths', () => {
  it('an unwritable --report-dir (README.md/sub) is refused before step 1 and before the sandbox starts: exit 2', async () => {
    const { tmp } = scratch()
    const r = await deploy(['--yes', '--report-dir', 'README.md/sub'], tmp)
    expect(r.code, out(r)).toBe(2)
    expect(r.stdout).toMatch(/deploy: cannot use report directory \S+\/README\.md\/sub: a part of the path is a file, not a folder \(ENOTDIR.*; nothing was run/)
    expect(r.stdout).not.toMatch(/\[1\]|PASSED|could not write/)
    expect(sandboxDirsIn(tmp)).toEqual([])
  }, 120_000)

  it('SIGTERM while the sandbox starts: a message, a report (interrupted), exit 130, every child stopped, temp folders removed', async () => {
    const { tmp, rep } = scratch()
    let sentAt = 0
    const r = await deploy(['--yes', '--report-dir', rep], tmp, {
      onSpawn: (child) => {
        const began = Date.now()
        // PostgreSQL's folder (it holds the password file) appears early in the start-up; without
        // PostgreSQL installed, the application's.
        const poll = setInterval(() => {
          const seen = readdirSync(tmp)
          if (!seen.some((n) => n.startsWith('rbk-pg-')) && !(Date.now() - began > 8000 && seen.some((n) => n.startsWith('runbook-kit-sandbox-')))) return
          clearInterval(poll)
          sentAt = Date.now()
          child.kill('SIGTERM')
        }, 25)
        child.once('exit', () => clearInterval(poll))
      },
    })
    expect(sentAt).toBeGreaterThan(0)
    expect(r.signal, out(r)).toBeNull()
    expect(r.code, out(r)).toBe(130)
    expect(r.stdout).toContain('SIGTERM: stopping the start-up')
    expect(r.stdout).not.toContain('[1] Prerequisites')
    expect(report(rep).meta).toMatchObject({ verdict: 'interrupted', exitCode: 130 })
    await expectNothingLeft(tmp)
  }, 120_000)

  it('a second Ctrl-C during the smoke suite step does not abandon the reports: written whole, every child stopped, exit 130', async () => {
    const { tmp, rep } = scratch()
    let first = false
    let second = false
    const r = await deploy(['--yes', '--report-dir', rep], tmp, {
      onOutput: (soFar, child) => {
        if (!first && /\] Post-deployment validation: smoke suite/.test(soFar)) {
          first = true
          setTimeout(() => child.kill('SIGINT'), 300)
        }
        if (first && !second && /SIGINT: stopping the current command/.test(soFar)) {
          second = true
          child.kill('SIGINT')
        }
      },
    })
    expect(first && second, out(r)).toBe(true)
    expect(r.code, out(r)).toBe(130)
    expect(r.stdout).toContain('SIGINT again: not waiting any longer; writing the reports')
    expect(readdirSync(rep).filter((n) => n.endsWith('.tmp'))).toEqual([])
    expect(readdirSync(rep)).toEqual(expect.arrayContaining(['report.json', 'junit.xml', 'report.md', 'state.json']))
    const saved = report(rep)
    expect(saved.meta.verdict).toBe('interrupted')
    expect(saved.steps.find((s) => s.title.startsWith('Post-deployment validation'))).toMatchObject({ interrupted: true })
    await expectNothingLeft(tmp)
  }, 120_000)

  it('--undo-on-interrupt: Ctrl-C after Apply manifests undoes it, and the cluster shows the previous release again', async () => {
    const { tmp, rep } = scratch()
    let sent = false
    const r = await deploy(['--yes', '--undo-on-interrupt', '--report-dir', rep], tmp, {
      onOutput: (soFar, child) => {
        if (!sent && /\] Pods healthy, release version, migrations at head/.test(soFar)) {
          sent = true
          child.kill('SIGINT')
        }
      },
    })
    expect(sent).toBe(true)
    expect(r.code, out(r)).toBe(130)
    const saved = report(rep)
    const undo = saved.steps.find((s) => s.title === 'Undo: Apply manifests')!
    expect(undo, out(r)).toMatchObject({ label: 'R1', status: 'pass' })
    expect(undo.commands.filter((c) => c.command.startsWith('rollout undo')).map((c) => [c.command, c.exitCode])).toEqual([
      ['rollout undo deployment/ai-agents-api --to-revision=1 -n production', 0],
      ['rollout undo deployment/ai-agents-worker --to-revision=1 -n production', 0],
    ])
    expect(saved.steps.find((s) => s.title === 'Apply manifests')?.status).toBe('rolled-back')
    // Verified against the simulator after the undo: the previous image runs again.
    expect(saved.steps.find((s) => s.title === 'Verify the state after rollback')?.status).toBe('pass')
    expect(saved.results.find((x) => x.id === 'after-rollback.release.version')).toMatchObject({ status: 'pass', evidence: { images: { 'ai-agents-api': ['registry.sandbox.test/ai-agents/ai-agents-api:v1.0.0'] } } })
    expect(JSON.parse(readFileSync(join(rep, 'state.json'), 'utf8')).steps.find((s: { title: string }) => s.title === 'Apply manifests').status).toBe('rolled-back')
    await expectNothingLeft(tmp)
  }, 120_000)

  it('terraform outputs: a warning on stderr does not break the JSON, and a sensitive output feeds a Secret (redacted everywhere)', async () => {
    const { tmp, rep } = scratch()
    const bin = join(tmp, 'bin')
    mkdirSync(bin)
    const SECRET = 'tf-sensitive-db-password-93b1'
    writeFileSync(
      join(bin, 'terraform'),
      `#!/bin/sh\necho 'Warning: Value for undeclared variable' >&2\necho '  The root module does not declare a variable named "region".' >&2\n` +
        `echo '${JSON.stringify({ db_password: { sensitive: true, type: 'string', value: SECRET }, db_host: { sensitive: false, type: 'string', value: 'db.internal' }, replicas: { sensitive: false, type: 'number', value: 3 } })}'\n`,
    )
    chmodSync(join(bin, 'terraform'), 0o755)
    const env: NodeJS.ProcessEnv = { ...ciEnv({ TMPDIR: tmp }), PATH: `${bin}:${process.env.PATH}` }
    delete env.WEBHOOK_SECRET
    const r = await runZx('runbooks/deploy.mts', ['--target', 'test/fixtures/runbooks/sandbox-terraform.yaml', '--yes', '--report-dir', rep], env, { timeoutMs: 110_000 })
    expect(r.code, out(r)).toBe(0)
    const saved = report(rep)
    const infra = saved.steps.find((s) => s.title === 'Infrastructure outputs')!
    expect(infra.status).toBe('pass')
    expect(infra.commands[0]).toMatchObject({ command: 'terraform output -json', exitCode: 0 })
    expect(infra.commands[0]!.stderrTail).toContain('Warning: Value for undeclared variable')
    expect(saved.steps.find((s) => s.title === 'Create or update secrets')?.status).toBe('pass')
    expect(saved.results.find((x) => x.id === 'kube.secret-keys')?.status).toBe('pass')
    for (const f of ['report.json', 'report.md', 'junit.xml', 'state.json']) expect(readFileSync(join(rep, f), 'utf8')).not.toContain(SECRET)
    expect(out(r)).not.toContain(SECRET)
    // A normal run leaves nothing behind either (the simulator's kube-sim-* folder included).
    await expectNothingLeft(tmp)
    expect(existsSync(join(tmp, 'bin', 'terraform'))).toBe(true)
  }, 120_000)
})
