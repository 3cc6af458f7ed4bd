import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { promisify } from 'node:util'
import { findPostgresBinaries, findRedisServer, startPostgres, startRedis, type RunningPostgres, type RunningRedis, type StartPostgresOptions, type StartRedisOptions } from '../../sandbox/data-services.ts'

/**
 * Test helpers for the data-layer tests: one throwaway PostgreSQL / Redis per test file (start in
 * beforeAll, stop in afterAll), Debian's Python with alembic/celery, and a TCP server that accepts
 * connections and never says a word.
 */

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export const noPostgres: string | undefined = findPostgresBinaries().reason
/** Why Redis tests cannot run here, or undefined when they can. */
export const noRedis: string | undefined = findRedisServer().reason

/** Debian's python3-alembic / python3-celery install for /usr/bin/python3, not the python3 first on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3'

/** True when `/usr/bin/python3 -c "import <module>"` works. */
export async function pythonHas(module: string): Promise<boolean> {
  if (!existsSync(SYSTEM_PYTHON)) return false
  try {
    await promisify(execFile)(SYSTEM_PYTHON, ['-c', `import ${module}`], { timeout: 20_000 })
    return true
  } catch {
    return false
  }
}

/** Runs `/usr/bin/python3 args...`; resolves with exit code and output (never rejects for a non-zero exit). */
export function runPython(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(SYSTEM_PYTHON, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

export async function withPostgres(opts?: StartPostgresOptions): Promise<RunningPostgres> {
  return startPostgres(opts)
}

export async function withRedis(opts?: StartRedisOptions): Promise<RunningRedis> {
  return startRedis(opts)
}

/** A TCP server on 127.0.0.1 that accepts connections and never writes: for connect/handshake timeouts. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = await startSilentServer()
  await s.close()
  return s.port
}
