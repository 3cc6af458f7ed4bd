import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { repoRoot } from './cli.ts'

/** The engine fixture runbook (test/fixtures/runbooks/engine.mts) and the loopback server its one check asks. */

export const zxCli = join(repoRoot, 'node_modules/zx/build/cli.js')
export const engineFixture = join(repoRoot, 'test/fixtures/runbooks/engine.mts')
export const engineTarget = join(repoRoot, 'test/fixtures/runbooks/target.yaml')
export const FIXTURE_TOKEN = 'fixture-token-4f9a1c77e2'

/** Answers 200 to the fixture's token (its `health` check), 401 otherwise. */
export async function fixtureServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    res.statusCode = req.headers.authorization === FIXTURE_TOKEN ? 200 : 401
    res.end('ok')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) }
}

export interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs `node --import tsx zx <script> args` without a terminal; `onOutput` sees stdout+stderr as it comes. */
export function runZx(script: string, args: string[], env: NodeJS.ProcessEnv, opts: { timeoutMs?: number; onOutput?: (soFar: string, child: ChildProcess) => void; onSpawn?: (child: ChildProcess) => void } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', zxCli, script, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
    opts.onSpawn?.(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      opts.onOutput?.(stdout + stderr, child)
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      opts.onOutput?.(stdout + stderr, child)
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`${script} did not finish in ${opts.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`))
    }, opts.timeoutMs ?? 60_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      done({ code, signal, stdout, stderr })
    })
  })
}

/** The environment of a CI-like run (no colours, no step summary). */
export function ciEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', CI: '1', NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', ...extra }
  return env
}
