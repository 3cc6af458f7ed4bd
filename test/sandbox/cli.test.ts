import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fetchRaw } from './helpers.ts'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'runbook-kit.js')

interface Child {
  /** Resolves with the stdout seen so far once `pattern` appears in it (30 s bound: the full sandbox starts PostgreSQL, Redis and Prometheus, slow on a loaded machine). */
  waitFor(pattern: RegExp): Promise<string>
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
  kill(signal: NodeJS.Signals): void
}

function run(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  )
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000)
  void exit.then(() => clearTimeout(killer))
  return {
    exit,
    kill: (s) => child.kill(s),
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + 30_000
        const poll = () => {
          if (pattern.test(stdout)) return resolve(stdout)
          if (child.exitCode !== null || Date.now() > deadline) return reject(new Error(`no ${pattern} in output:\n${stdout}\n${stderr}`))
          setTimeout(poll, 25)
        }
        poll()
      }),
  }
}

function exportsOf(stdout: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) out[m[1]!] = m[2]!
  return out
}

describe('runbook-kit sandbox', () => {
  it.each([
    ['SIGTERM', []],
    ['SIGINT', ['--app-only']],
  ] as const)('runs in the foreground, prints its environment, and exits 0 on %s %j', async (signal, extra) => {
    const child = run(['sandbox', '--fault', 'readiness-503', '--fault', 'no-hsts', ...extra], { WEBHOOK_SECRET: 'cli-test-secret' })
    const stdout = await child.waitFor(/Press Ctrl-C to stop/)
    const env = exportsOf(stdout)
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(['SANDBOX_HTTPS_URL', 'SANDBOX_HTTP_URL', 'SANDBOX_CA_FILE', 'SANDBOX_HOST', 'SANDBOX_HTTPS_PORT', 'SANDBOX_HTTP_PORT', 'SANDBOX_ADMIN_PASSWORD']),
    )
    // The user chose this secret: it is not printed back.
    expect(stdout).not.toContain('cli-test-secret')
    expect(env.WEBHOOK_SECRET).toBeUndefined()
    // The full sandbox also runs the Kubernetes simulator; --app-only does not.
    expect(Boolean(env.SANDBOX_KUBECONFIG)).toBe(extra.length === 0)
    expect(stdout).toContain('with faults: readiness-503, no-hsts')
    const ca = readFileSync(env.SANDBOX_CA_FILE!, 'utf8')
    const ready = await fetchRaw(`${env.SANDBOX_HTTPS_URL}/api/v1/ready`, { ca })
    expect(ready.status).toBe(503)
    expect(ready.headers['strict-transport-security']).toBeUndefined()

    child.kill(signal)
    const done = await child.exit
    expect(done.stderr.replace(/^npm warn.*\n/gm, '')).toBe('')
    expect(done.code).toBe(0)
    expect(done.stdout).toContain(`sandbox stopped (${signal})`)
    expect(existsSync(env.SANDBOX_CA_FILE!)).toBe(false)
    // The simulator's kube-sim-* folder (its kubeconfig) goes too.
    if (env.SANDBOX_KUBECONFIG) expect(existsSync(dirname(env.SANDBOX_KUBECONFIG))).toBe(false)
  }, 60_000)

  it.each([
    [['sandbox', '--fault', 'nope'], /unknown sandbox fault "nope"; valid faults: readiness-503/],
    [['sandbox', '--bogus'], /Unknown option '--bogus'/],
    [['sandbox', 'extra'], /Unexpected argument 'extra'/],
    [['sandbox', '--https-port', 'abc'], /--https-port must be a port number/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const done = await run(args).exit
    expect(done.code).toBe(2)
    expect(done.stderr).toMatch(message)
    expect(done.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('--help lists every fault and says why the secret is printed', async () => {
    const done = await run(['sandbox', '--help']).exit
    expect(done.code).toBe(0)
    for (const fault of ['readiness-503', 'health-degraded', 'slow', 'no-hsts', 'no-redirect', 'accept-bad-signature', 'expired-cert', 'wrong-host-cert', 'errors']) {
      expect(done.stdout).toContain(`  ${fault} `)
    }
    expect(done.stdout).toMatch(/secret and the admin\s+password ARE printed, on purpose/)
  })
})
