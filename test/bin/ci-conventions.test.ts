import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../lib/report/model.ts'
import { repoRoot, runCli } from '../helpers/cli.ts'

/**
 * The CI conventions, black-box through the real commands without a TTY: GitHub Actions annotations,
 * log groups and the job summary, and one colour rule (--no-color > NO_COLOR > FORCE_COLOR > TTY) in
 * smoke, check and the runbooks.
 */

const work = mkdtempSync(join(tmpdir(), 'rbk-ci-'))
let server: Server
let url = ''
beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/down' ? 503 : 200
    res.end('ok')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()))
  rmSync(work, { recursive: true, force: true })
})

const ANSI = /\u001b\[[0-9;]*m/
const GITHUB = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_JOB: 'smoke',
  GITHUB_EVENT_NAME: 'push',
}

describe('runbook-kit smoke on GitHub Actions', () => {
  it('folds the progress in a group, annotates the failing check on its target-file line, writes a folded job summary, and colours by FORCE_COLOR', async () => {
    const dir = join(work, 'gha')
    const summary = join(work, 'step-summary.md')
    const run = await runCli(['smoke', '--target', 'sandbox', '--fault', 'readiness-503', '--only', 'readiness,health', '--report-dir', dir], {
      env: { ...GITHUB, GITHUB_STEP_SUMMARY: summary, NO_COLOR: undefined, FORCE_COLOR: '1' },
    })
    expect(run.code).toBe(1)
    const lines = run.stdout.split('\n')
    expect(lines[0]).toBe('::group::Smoke suite "sandbox": 2 checks (sandbox at ' + lines[0]!.split('(sandbox at ')[1])
    const end = lines.indexOf('::endgroup::')
    expect(end).toBeGreaterThan(0)
    // FORCE_COLOR=1 colours without a TTY (GitHub renders ANSI in its logs).
    expect(lines.slice(1, end).join('\n')).toMatch(ANSI)

    const yaml = readFileSync(join(repoRoot, 'smoke/targets/sandbox.yaml'), 'utf8').split('\n')
    const line = yaml.indexOf('  - id: readiness') + 1
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport
    const failed = report.results.find((r) => r.id === 'readiness')!
    const annotations = lines.filter((l) => l.startsWith('::error') || l.startsWith('::warning'))
    expect(annotations).toEqual([`::error file=smoke/targets/sandbox.yaml,line=${line},title=readiness::${failed.message}`])
    expect(lines.indexOf(annotations[0]!)).toBeGreaterThan(end) // outside the group: visible in the log
    expect(run.stdout).toMatch(/^1 passed, 1 failed$/m)

    // The CI job in the report: provider, job, attempt, and the run attempt's link.
    expect(report.meta.ci).toMatchObject({ id: 'GITHUB_ACTIONS', name: 'GitHub Actions', job: 'smoke', attempt: 2, url: 'https://github.com/acme/app/actions/runs/4242/attempts/2' })
    expect(report.meta.ciJobUrl).toBe('https://github.com/acme/app/actions/runs/4242/attempts/2')

    const md = readFileSync(summary, 'utf8')
    expect(md).toContain('<details><summary>✅ 1 passed check</summary>')
    expect(md.split('<details>')[0]).toContain('`readiness`')
    expect(md.split('<details>')[1]).toContain('`health`')
  })

  // Every combination is in test/lib/terminal.test.ts; these show the command is wired to that rule.
  it('check: colours with FORCE_COLOR=1 without a TTY; NO_COLOR and --no-color win; an annotation on GitHub', async () => {
    const check = (args: string[], env: Record<string, string | undefined>) => runCli(['check', 'http', `${url}/down`, '--expect.status', '200', ...args], { env: { NO_COLOR: undefined, FORCE_COLOR: undefined, ...env } })
    const forced = await check([], { FORCE_COLOR: '1' })
    expect(forced.code).toBe(1)
    expect(forced.stdout).toMatch(ANSI)
    expect((await check([], { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toMatch(ANSI)
    expect((await check(['--no-color'], { FORCE_COLOR: '3' })).stdout).not.toMatch(ANSI)
    const gha = await check(['--no-color'], { GITHUB_ACTIONS: 'true' })
    expect(gha.stdout).toMatch(/^::error title=check\.http::.*expected status 200, got 503/m)
  })
})

describe('runbooks', () => {
  const fixture = join(repoRoot, 'test/fixtures/runbooks/engine.mts')
  const target = join(repoRoot, 'test/fixtures/runbooks/target.yaml')
  const runbook = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string }>((done, fail) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'node_modules/zx/build/cli.js'), fixture, '--target', target, '--dry-run', '--report-dir', join(work, `rb-${args.join('')}`), ...args], {
        cwd: repoRoot,
        env: { ...process.env, NODE_OPTIONS: '', CI: '1', NO_COLOR: '', FORCE_COLOR: '', FIXTURE_URL: url, FIXTURE_TOKEN: 'tok-1234567890', WORK_DIR: work, GITHUB_STEP_SUMMARY: '', GITHUB_ACTIONS: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      const timer = setTimeout(() => (child.kill('SIGKILL'), fail(new Error(`runbook did not finish\n${stdout}`))), 40_000)
      child.on('close', (code) => {
        clearTimeout(timer)
        done({ code, stdout })
      })
    })

  it('take --no-color, and colour by FORCE_COLOR without a terminal', async () => {
    const forced = await runbook([], { FORCE_COLOR: '1' })
    expect(forced.code, forced.stdout).toBe(0)
    expect(forced.stdout).toMatch(ANSI)
    const plain = await runbook(['--no-color'], { FORCE_COLOR: '1' })
    expect(plain.code, plain.stdout).toBe(0)
    expect(plain.stdout).not.toMatch(ANSI)
    expect(plain.stdout).toContain('DRY RUN')
  })
})
