// The README's GitHub Actions example (deploy/github-actions/smoke-sharded.yml): the three matrix jobs'
// shard command run exactly as the workflow writes it, each in its own workspace, their artifacts
// uploaded and downloaded as the artifact actions lay them out, then the merge job's command.
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { RunReport } from '../../lib/report/model.ts'
import { cliPath, repoRoot } from '../helpers/cli.ts'
import { junitCounts, startLoopbackApp, writeManyChecksTarget, type LoopbackApp } from '../helpers/scale.ts'

type Obj = Record<string, any>
const WORKFLOW = join(repoRoot, 'deploy', 'github-actions', 'smoke-sharded.yml')
const workflowText = readFileSync(WORKFLOW, 'utf8')
const workflow = parse(workflowText) as Obj
const smokeJob = workflow.jobs.smoke as Obj
const mergeJob = workflow.jobs.merge as Obj
const matrix: number[] = smokeJob.strategy.matrix.shard
const stepRunning = (job: Obj, command: RegExp) => (job.steps as Obj[]).find((s) => typeof s.run === 'string' && command.test(s.run))!
const stepUsing = (job: Obj, action: string) => (job.steps as Obj[]).filter((s) => typeof s.uses === 'string' && s.uses.startsWith(action))

/** `${{ ... }}` as GitHub would fill it for this job; anything else left is a test bug. */
function expand(text: string, ctx: Record<string, string>): string {
  const out = text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (all, expr: string) => {
    if (!Object.hasOwn(ctx, expr)) throw new Error(`no value for ${all} in ${text}`)
    return ctx[expr]!
  })
  return out
}

/** `bash --noprofile --norc -eo pipefail {0}`: how GitHub runs a `run:` step on Linux. */
function runStep(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      cwd,
      // A runner's environment: no NODE_OPTIONS from this repo's .npmrc; npm offline, so npx can only use the installed bin.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', CI: 'true', GITHUB_ACTIONS: 'true', NO_COLOR: '1', npm_config_offline: 'true', npm_config_update_notifier: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`step did not finish: ${script}\n${stdout}\n${stderr}`))
    }, 120_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })
}

/** A glob with `*` only (upload/download-artifact patterns). */
const globRe = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)

const work = mkdtempSync(join(tmpdir(), 'rbk-gha-'))
let app: LoopbackApp
/** A checkout of the user's project after `npm ci`: its target file, and runbook-kit as an installed bin. */
let checkout: string

beforeAll(async () => {
  app = await startLoopbackApp()
  checkout = join(work, 'checkout')
  mkdirSync(join(checkout, 'smoke', 'targets'), { recursive: true })
  mkdirSync(join(checkout, 'node_modules', '.bin'), { recursive: true })
  writeFileSync(join(checkout, 'package.json'), JSON.stringify({ name: 'my-service', private: true, devDependencies: { 'runbook-kit': '*' } }))
  writeManyChecksTarget(join(checkout, 'smoke', 'targets'), app.url, 12, 'staging')
  symlinkSync(cliPath, join(checkout, 'node_modules', '.bin', 'runbook-kit'))
})
afterAll(async () => {
  await app?.close()
  rmSync(work, { recursive: true, force: true })
})

describe('the GitHub Actions matrix example', () => {
  it('is the workflow the README shows', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
    const m = /<!-- deploy\/github-actions\/smoke-sharded\.yml -->\n```yaml\n([\s\S]*?)```/.exec(readme)
    expect(m, 'README: a ```yaml block after <!-- deploy/github-actions/smoke-sharded.yml -->').not.toBeNull()
    expect(m![1]).toBe(workflowText)
    expect(smokeJob.strategy['fail-fast']).toBe(false)
    expect(matrix).toEqual([1, 2, 3])
    expect(mergeJob.needs).toBe('smoke')
    expect(mergeJob.if).toBe('always()')
  })

  it('runs the three shard commands as written, then the merge command on the downloaded artifacts', async () => {
    const smokeStep = stepRunning(smokeJob, /runbook-kit smoke/)
    const [upload] = stepUsing(smokeJob, 'actions/upload-artifact@')
    expect(upload!.if).toBe('always()')
    const artifacts = join(work, 'artifact-store')

    // The matrix jobs, in parallel, each in a fresh workspace.
    const shards = await Promise.all(
      matrix.map(async (shard) => {
        const ctx = { 'matrix.shard': String(shard), 'strategy.job-total': String(matrix.length), 'secrets.WEBHOOK_SECRET': 'gha-test-webhook-secret' }
        const workspace = join(work, `job-smoke-${shard}`)
        cpSync(checkout, workspace, { recursive: true, verbatimSymlinks: true })
        const env = Object.fromEntries(Object.entries((smokeStep.env ?? {}) as Record<string, string>).map(([k, v]) => [k, expand(v, ctx)]))
        const result = await runStep(expand(smokeStep.run, ctx), workspace, env)
        // upload-artifact runs (if: always()) whatever the step's exit code.
        const name = expand(upload!.with.name, ctx)
        const path = join(workspace, expand(upload!.with.path, ctx))
        expect(existsSync(join(path, 'report.json')), `${name}: ${result.stderr}`).toBe(true)
        cpSync(path, join(artifacts, name), { recursive: true })
        return { shard, result, report: JSON.parse(readFileSync(join(path, 'report.json'), 'utf8')) as RunReport }
      }),
    )
    for (const s of shards) {
      expect(s.report.meta.shard).toMatchObject({ index: s.shard, total: 3, source: `--shard ${s.shard}/3` })
      expect(s.result.code).toBe(s.report.meta.exitCode)
    }

    // The merge job: a fresh checkout, download-artifact with a pattern puts each artifact in its own folder.
    const mergeWorkspace = join(work, 'job-merge')
    cpSync(checkout, mergeWorkspace, { recursive: true, verbatimSymlinks: true })
    const [download] = stepUsing(mergeJob, 'actions/download-artifact@')
    const pattern = globRe(download!.with.pattern)
    for (const name of ['smoke-report-from-another-run', ...matrix.map((k) => `smoke-shard-${k}`)].filter((n) => pattern.test(n))) {
      cpSync(join(artifacts, name), join(mergeWorkspace, download!.with.path, name), { recursive: true })
    }
    const mergeStep = stepRunning(mergeJob, /runbook-kit merge/)
    const merged = await runStep(mergeStep.run, mergeWorkspace, {})
    const out = join(mergeWorkspace, 'reports', 'merged')
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport
    const worst = Math.max(...shards.map((s) => s.report.meta.exitCode))
    expect(merged.code, merged.stderr).toBe(worst)
    expect(report.results.map((r) => r.id).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `check-${i}`).sort())
    expect(report.meta.shards!.map((s) => s.shard!.index)).toEqual([1, 2, 3])
    const counts = junitCounts(join(out, 'junit.xml'))
    expect(counts.tests).toBe(12)
    expect(counts.failures + counts.errors).toBe(shards.reduce((n, s) => n + s.report.summary.fail + s.report.summary.error, 0))
    expect(merged.stdout).toMatch(/^Merged 3 shards of "staging":$/m)
  })
})
