import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

export const repoRoot = resolve(import.meta.dirname, '..', '..')
export const cliPath = resolve(repoRoot, 'bin', 'runbook-kit.js')
export const junitXsd = resolve(repoRoot, 'test', 'fixtures', 'schemas', 'junit-10.xsd')

export interface CliRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs the real CLI as a child process (no TTY, CI-like). `onStdout` sees output as it arrives, so a
 * test can act mid-run (e.g. send SIGINT).
 */
export function runCli(
  args: string[],
  opts: {
    env?: Record<string, string | undefined>
    cwd?: string
    timeoutMs?: number
    onStdout?: (soFar: string, child: import('node:child_process').ChildProcess) => void
    /** Called once the child is spawned (e.g. to watch the file system and signal it). */
    onSpawn?: (child: import('node:child_process').ChildProcess) => void
  } = {},
): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: undefined, GITHUB_STEP_SUMMARY: undefined, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    opts.onSpawn?.(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      opts.onStdout?.(stdout, child)
    })
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`runbook-kit ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`))
    }, opts.timeoutMs ?? 60_000)
    child.on('error', fail)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      done({ code, signal, stdout, stderr })
    })
  })
}
