import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../lib/report/model.ts'

/** deploy.mts end to end on the sandbox (Kubernetes simulator + demo application), run by the zx CLI. */

const repo = resolve(import.meta.dirname, '..', '..')
const zxCli = join(repo, 'node_modules/zx/build/cli.js')
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function deploy(args: string[]): Promise<{ code: number | null; out: string; report: RunReport }> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-deploy-'))
  dirs.push(dir)
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' }
  // The sandbox generates the webhook secret; the API key is the one nobody sets.
  delete env.WEBHOOK_SECRET
  delete env.RBK_TEST_UNSET_API_KEY
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', zxCli, 'runbooks/deploy.mts', '--yes', '--report-dir', dir, ...args], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`deploy did not finish:\n${out}`))
    }, 110_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ code, out, report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport })
    })
  })
}

const status = (r: RunReport, title: string) => r.steps.find((s) => s.title.startsWith(title))?.status

// Each test starts the whole sandbox (and the smoke suite runs ~30 checks): on a loaded 2-core
// machine that takes more than vitest's default 30 s.
const E2E_TIMEOUT_MS = 120_000

describe('runbooks/deploy.mts on the sandbox', () => {
  it('deploys, verifies and passes', async () => {
    const { code, out, report } = await deploy(['--target', 'sandbox'])
    expect(code, out).toBe(0)
    expect(status(report, 'Apply manifests')).toBe('pass')
    expect(status(report, 'Build and push images')).toBe('skip')
    expect(report.results.find((r) => r.id === 'release.version')?.evidence).toMatchObject({ images: { 'ai-agents-api': ['registry.sandbox.test/ai-agents/ai-agents-api:v1.1.0'] } })
    expect(report.results.find((r) => r.id === 'dns.domain')?.status).toBe('pass')
    // Optional services (PostgreSQL, Redis, Prometheus, Chromium) may be missing here: skipped, never failed.
    expect(report.results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => `${r.id}: ${r.message}`)).toEqual([])
    // The secrets step sent both keys; the smoke suite's secret-keys check reads them back from the cluster.
    expect(report.results.find((r) => r.id === 'kube.secret-keys')?.status).toBe('pass')
  }, E2E_TIMEOUT_MS)

  it('a crash-looping release fails the rollout and is rolled back to the previous revision', async () => {
    const { code, out, report } = await deploy(['--target', 'sandbox', '--fault', 'crashloop'])
    expect(code, out).toBe(1)
    expect(report.results.find((r) => r.id === 'rollout.ai-agents-api')?.message).toMatch(/CrashLoopBackOff/)
    expect(status(report, 'Apply manifests')).toBe('rolled-back')
    expect(status(report, 'Undo: Apply manifests')).toBe('pass')
    expect(status(report, 'Verify the state after rollback')).toBe('pass')
    expect(report.results.find((r) => r.id === 'after-rollback.release.version')).toMatchObject({ status: 'pass', evidence: { images: { 'ai-agents-api': ['registry.sandbox.test/ai-agents/ai-agents-api:v1.0.0'] } } })
    // Revisions recorded before applying; undo goes back to exactly those (both templates changed here).
    expect(report.steps.find((s) => s.title === 'Apply manifests')?.commands.filter((c) => c.command.startsWith('get ')).map((c) => c.command)).toEqual([
      'get deployment/ai-agents-api -n production (revision before applying)',
      'get deployment/ai-agents-worker -n production (revision before applying)',
    ])
    const undo = report.steps.find((s) => s.title === 'Undo: Apply manifests')!
    expect(undo.label).toBe('R1')
    expect(undo.commands.map((c) => c.command)).toEqual([
      'get deployment/ai-agents-api -n production',
      'rollout undo deployment/ai-agents-api --to-revision=1 -n production',
      'get deployment/ai-agents-worker -n production',
      'rollout undo deployment/ai-agents-worker --to-revision=1 -n production',
    ])
    // Procedure steps keep their numbers 1..N; the rollback's steps are R1, R2.
    expect(report.steps.filter((s) => !s.label).map((s) => s.index)).toEqual(report.steps.filter((s) => !s.label).map((_s, i) => i + 1))
    expect(report.steps.filter((s) => s.label).map((s) => s.label)).toEqual(['R1', 'R2'])
  }, E2E_TIMEOUT_MS)

  it('an expired certificate fails validation (already in the checklist, before anything changes)', async () => {
    const { code, out, report } = await deploy(['--target', 'sandbox', '--fault', 'expired-cert'])
    expect(code, out).toBe(1)
    expect(report.results.some((r) => r.status === 'fail' && /expired|CERT_HAS_EXPIRED/i.test(r.message)), JSON.stringify(report.results.map((r) => r.message))).toBe(true)
    expect(status(report, 'Apply manifests')).toBe('skip')
  }, E2E_TIMEOUT_MS)

  it('--dry-run sends every change as a server-side dry run and skips verifying what was not applied', async () => {
    const { code, out, report } = await deploy(['--target', 'sandbox', '--dry-run'])
    expect(code, out).toBe(0)
    const apply = report.steps.find((s) => s.title === 'Apply manifests')!
    expect(apply.status).toBe('dry-run')
    expect(apply.commands.length).toBe(4)
    expect(apply.commands.every((c) => c.dryRun === true && c.exitCode === 0)).toBe(true)
    expect(status(report, 'Watch rollouts')).toBe('skip')
    expect(report.steps.some((s) => s.title.startsWith('Undo'))).toBe(false)
  }, E2E_TIMEOUT_MS)

  it('an unknown ${NAME} in a manifest is a configuration error naming the file and the variable, before anything changes', async () => {
    const { code, out, report } = await deploy(['--target', 'test/fixtures/runbooks/sandbox-typo.yaml'])
    expect(code, out).toBe(2)
    expect(report.meta.verdict).toBe('config-error')
    const render = report.steps.find((s) => s.title.startsWith('Render manifests'))!
    expect(render.status).toBe('error')
    expect(render.message).toMatch(/api-deployment\.yaml: \$\{VERSON\}/)
    expect(report.meta.error).toContain('${VERSON}')
    for (const t of ['Create or update secrets', 'Apply manifests']) expect(status(report, t)).toBe('skip')
    expect(report.steps.flatMap((s) => s.commands)).toEqual([])
    expect(report.steps.some((s) => s.label)).toBe(false)
  }, E2E_TIMEOUT_MS)

  it('a secret missing from the environment is caught in the checklist before anything changes', async () => {
    const { code, out, report } = await deploy(['--target', 'test/fixtures/runbooks/sandbox-missing-secret.yaml'])
    expect(code, out).toBe(1)
    expect(report.results.find((r) => r.id.startsWith('preflight'))?.message).toContain('environment variable RBK_TEST_UNSET_API_KEY is not set')
    for (const t of ['Create or update secrets', 'Apply manifests']) expect(status(report, t)).toBe('skip')
    expect(report.steps.flatMap((s) => s.commands)).toEqual([])
  }, E2E_TIMEOUT_MS)
})
