import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../lib/report/model.ts'

/**
 * rollback.mts end to end on the sandbox, run by the zx CLI without a terminal. The sandbox cluster
 * starts as a finished deploy leaves it: v1.1.0 (revision 2) on top of v1.0.0 (revision 1).
 */

const repo = resolve(import.meta.dirname, '..', '..')
const zxCli = join(repo, 'node_modules/zx/build/cli.js')
const fixture = 'test/fixtures/runbooks/sandbox-rollback.yaml'
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function rollback(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; out: string; report: RunReport; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-rollback-'))
  dirs.push(dir)
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', ...extraEnv }
  delete env.WEBHOOK_SECRET
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', zxCli, 'runbooks/rollback.mts', '--report-dir', dir, ...args], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`rollback did not finish:\n${out}`))
    }, 110_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ code, out, dir, report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport })
    })
  })
}

const step = (r: RunReport, title: string) => r.steps.find((s) => s.title.startsWith(title))
const failures = (r: RunReport) => r.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => `${x.id}: ${x.message}`)

// Each test starts the whole sandbox (and the smoke suite runs ~30 checks): on a loaded 2-core
// machine that takes more than vitest's default 30 s.
const E2E_TIMEOUT_MS = 120_000

describe('runbooks/rollback.mts on the sandbox', () => {
  it('undoes every deployment to the previous revision and verifies it (the full sandbox suite)', async () => {
    const { code, out, report } = await rollback(['--target', 'sandbox', '--yes'])
    expect(code, out).toBe(0)
    expect(failures(report)).toEqual([])
    expect(step(report, 'Record the running release')?.status).toBe('pass')
    expect(step(report, 'Undo to the previous revision')?.commands.map((c) => [c.command, c.exitCode])).toEqual([
      ['rollout undo deployment/ai-agents-api -n production', 0],
      ['rollout undo deployment/ai-agents-worker -n production', 0],
    ])
    expect(report.results.find((r) => r.id === 'release.version')).toMatchObject({ status: 'pass', evidence: { images: { 'ai-agents-api': ['registry.sandbox.test/ai-agents/ai-agents-api:v1.0.0'] } } })
    expect(step(report, 'Post-rollback validation')?.status).toBe('pass')
    // Without --allow-db-downgrade the downgrade step is still step 5 (skipped), so the smoke suite keeps number 6.
    expect(report.steps.map((s) => [s.index, s.title, s.status])).toEqual([
      [1, 'Record the running release', 'pass'],
      [2, 'Undo to the previous revision', 'pass'],
      [3, 'Watch rollouts', 'pass'],
      [4, 'Pods healthy, release version', 'pass'],
      [5, 'Database downgrade', 'skip'],
      [6, 'Post-rollback validation: smoke suite', 'pass'],
    ])
    expect(step(report, 'Database downgrade')).toMatchObject({ message: '--allow-db-downgrade not given', commands: [] })
    expect(step(report, 'Database downgrade')?.confirmations ?? []).toEqual([])
  }, E2E_TIMEOUT_MS)

  it('--to-version redeploys that version with set image', async () => {
    const { code, out, report } = await rollback(['--target', fixture, '--yes', '--to-version', 'v1.0.0'])
    expect(code, out).toBe(0)
    expect(step(report, 'Redeploy version v1.0.0')?.commands.map((c) => c.command)).toEqual([
      'set image deployment/ai-agents-api ai-agents-api=registry.sandbox.test/ai-agents/ai-agents-api:v1.0.0 -n production',
      'set image deployment/ai-agents-worker ai-agents-worker=registry.sandbox.test/ai-agents/ai-agents-worker:v1.0.0 -n production',
    ])
    expect(report.results.find((r) => r.id === 'rollout.ai-agents-api')?.status).toBe('pass')
    expect(report.results.find((r) => r.id === 'release.version')?.status).toBe('pass')
  }, E2E_TIMEOUT_MS)

  it('undo replaces a crash-looping release; --allow-db-downgrade without a terminal cannot be confirmed, so nothing is downgraded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-marker-'))
    dirs.push(dir)
    const marker = join(dir, 'downgraded')
    const { code, out, report } = await rollback(['--target', fixture, '--yes', '--allow-db-downgrade', '--fault', 'crashloop'], { RBK_TEST_DOWNGRADE_MARKER: marker })
    expect(code, out).toBe(0)
    expect(report.results.find((r) => r.id === 'pods.healthy')?.status).toBe('pass')
    const db = step(report, 'Database downgrade')
    expect(db?.index).toBe(5)
    expect(db?.status).toBe('skip')
    expect(db?.message).toMatch(/database downgrade to -1 not confirmed.*--yes does not confirm it/)
    expect(step(report, 'Post-rollback validation')?.index).toBe(6)
    expect(db?.commands).toEqual([])
    expect(db?.confirmations?.find((c) => c.question.includes('Downgrade the database'))?.answer).toMatch(/not confirmed \(no terminal/)
    expect(existsSync(marker)).toBe(false)
  }, E2E_TIMEOUT_MS)

  it('--dry-run leaves the release running: undo is a server-side dry run and nothing is verified as changed', async () => {
    const { code, out, report } = await rollback(['--target', fixture, '--dry-run'])
    expect(code, out).toBe(0)
    expect(step(report, 'Undo to the previous revision')?.status).toBe('dry-run')
    expect(step(report, 'Undo to the previous revision')?.commands.every((c) => c.dryRun && c.command.endsWith('(server-side dry run)'))).toBe(true)
    // Still revision 2 / v1.1.0 afterwards: the rollout check reports the running revision.
    expect(report.results.find((r) => r.id === 'rollout.ai-agents-api')?.evidence).toMatchObject({ revision: '2' })
  }, E2E_TIMEOUT_MS)
})
