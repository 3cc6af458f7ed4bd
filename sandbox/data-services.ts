import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { Redis } from 'ioredis'
import { loadMigrationScripts } from '../clients/alembic-scripts.ts'
import { abortReason, removeDir, trackChild, trackDir } from './cleanup.ts'

/**
 * Throwaway PostgreSQL and Redis servers for the sandbox and the tests, plus the seed data the
 * sandbox suite's migration, RLS, Redis and queue-depth checks look at. Sandbox only: `checks/`
 * and `lib/` never import this.
 */

const run = promisify(execFile)

/** Where the image keeps PostgreSQL; newest first. */
const POSTGRES_BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin']
const REDIS_SERVER_PATHS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server']

/** Shown when a check needs PostgreSQL and there is none. */
export const NO_POSTGRES_REASON = 'no PostgreSQL server found: install postgresql, or set SANDBOX_DATABASE_URL to a throwaway database'
/** Shown when a check needs Redis and there is none. */
export const NO_REDIS_REASON = 'no Redis server found: install redis-server, or set SANDBOX_REDIS_URL to a throwaway server'

export type Found<T> = { found: T; reason?: undefined } | { found?: undefined; reason: string }

/** The PostgreSQL bin directory (`initdb`, `postgres`), or the reason there is none. */
export function findPostgresBinaries(): Found<string> {
  const fromEnv = process.env.RUNBOOK_KIT_PG_BIN
  for (const dir of fromEnv ? [fromEnv, ...POSTGRES_BIN_DIRS] : POSTGRES_BIN_DIRS) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return { found: dir }
  }
  return { reason: NO_POSTGRES_REASON }
}

/** The `redis-server` executable, or the reason there is none. */
export function findRedisServer(): Found<string> {
  for (const p of REDIS_SERVER_PATHS) if (existsSync(p)) return { found: p }
  return { reason: NO_REDIS_REASON }
}

export interface StartPostgresOptions {
  /** Superuser password (user `postgres`). Default: random. TCP logins need it (scram-sha-256). */
  password?: string
  /** Database name in the returned URL. Default `postgres`. */
  database?: string
  /** Serve TLS with this certificate and key (PEM); clients may still connect without TLS. */
  tls?: { certPem: string; keyPem: string }
  /** How long to wait for the server to accept connections, ms. Default 30000. */
  readyTimeout?: number
  /** Aborting it stops the start: the server (or initdb) is killed and its folder removed; the start rejects. */
  signal?: AbortSignal
}

export interface RunningPostgres {
  /** `postgresql://postgres:<password>@127.0.0.1:<port>/<database>` */
  url: string
  host: string
  port: number
  user: string
  password: string
  database: string
  dataDir: string
  /** Stops the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>
}

/**
 * Starts a throwaway PostgreSQL on a free loopback port: `initdb` as the `postgres` user in a
 * temp directory (initdb refuses to run as root), then `postgres -D dir -p PORT -k dir -h 127.0.0.1`.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const bin = findPostgresBinaries()
  if (!bin.found) throw new Error(bin.reason)
  const { signal } = opts
  signal?.throwIfAborted()
  const password = opts.password ?? randomBytes(12).toString('hex')
  const database = opts.database ?? 'postgres'
  const root = mkdtempSync(join(tmpdir(), 'rbk-pg-'))
  trackDir(root)
  let child: ChildProcess | undefined
  try {
    const dataDir = join(root, 'data')
    const pwFile = join(root, 'pw')
    writeFileSync(pwFile, password + '\n', { mode: 0o600 })
    // initdb and postgres refuse to run as root: when we are root, run them as the `postgres` user
    // (spawn's uid/gid, so signals reach the server itself rather than a runuser wrapper).
    const ids = process.getuid?.() === 0 ? await postgresUserIds() : undefined
    const own = (p: string) => {
      if (ids) chownSync(p, ids.uid, ids.gid)
    }
    own(root)
    own(pwFile)
    chmodSync(root, 0o700)
    const spawnOpts = { cwd: root, ...(ids ?? {}) }
    await run(join(bin.found, 'initdb'), ['-D', dataDir, '--username=postgres', `--pwfile=${pwFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C'], { ...spawnOpts, timeout: 60_000, ...(signal ? { signal } : {}) })
    const serverArgs = ['-D', dataDir, '-k', root, '-h', '127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=40', '-c', 'shared_buffers=16MB']
    if (opts.tls) {
      const cert = join(root, 'server.crt')
      const key = join(root, 'server.key')
      writeFileSync(cert, opts.tls.certPem)
      writeFileSync(key, opts.tls.keyPem, { mode: 0o600 })
      own(cert)
      own(key)
      serverArgs.push('-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`)
    }
    let port = 0
    // A free port can be taken between probing and binding: retry a few times.
    for (let tries = 0; tries < 3 && !child; tries++) {
      signal?.throwIfAborted()
      port = await freePort()
      const proc = trackChild(spawn(join(bin.found, 'postgres'), [...serverArgs, '-p', String(port)], { ...spawnOpts, stdio: ['ignore', 'ignore', 'pipe'] }))
      let stderr = ''
      proc.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000)
      })
      child = proc
      const up = await waitForPort(port, opts.readyTimeout ?? 30_000, proc, signal)
      if (!up) {
        child = undefined
        proc.kill('SIGKILL')
        signal?.throwIfAborted()
        if (!/could not bind|Address already in use/i.test(stderr)) throw new Error(`PostgreSQL did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
      }
    }
    if (!child) throw new Error('PostgreSQL did not start: no free port')
    // Accepting TCP is not the same as accepting logins (startup, recovery): wait for a real query.
    await waitForQuery(`postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, opts.readyTimeout ?? 30_000, signal)
    if (database !== 'postgres') {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' })
      await c.connect()
      await c.query(`CREATE DATABASE ${c.escapeIdentifier(database)}`)
      await c.end()
    }
    const proc = child
    let stopped = false
    return {
      url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password,
      database,
      dataDir,
      async stop() {
        if (stopped) return
        stopped = true
        await killAndWait(proc, 'SIGINT', 10_000) // fast shutdown
        removeDir(root)
      },
    }
  } catch (err) {
    if (child) await killAndWait(child, 'SIGINT', 3_000)
    removeDir(root)
    throw signal?.aborted ? abortReason(signal) : err
  }
}

export interface StartRedisOptions {
  /** Require this password for the default user (`requirepass`). Default: none. */
  password?: string
  /** Also serve TLS on a second port with this certificate and key (PEM). */
  tls?: { certPem: string; keyPem: string }
  /** How long to wait for the server to accept connections, ms. Default 15000. */
  readyTimeout?: number
  /** Aborting it stops the start: the server is killed and its folder removed; the start rejects. */
  signal?: AbortSignal
}

export interface RunningRedis {
  /** `redis://127.0.0.1:<port>` (with `:password@` when a password is set). */
  url: string
  port: number
  /** `rediss://127.0.0.1:<tlsPort>` when TLS was requested. */
  tlsUrl?: string
  tlsPort?: number
  /** Stops the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>
}

/** Starts a throwaway `redis-server` on a free loopback port, with persistence off. */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RunningRedis> {
  const bin = findRedisServer()
  if (!bin.found) throw new Error(bin.reason)
  const { signal } = opts
  signal?.throwIfAborted()
  const dir = mkdtempSync(join(tmpdir(), 'rbk-redis-'))
  trackDir(dir)
  try {
    for (let tries = 0; tries < 3; tries++) {
      signal?.throwIfAborted()
      const port = await freePort()
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning']
      if (opts.password) args.push('--requirepass', opts.password)
      let tlsPort: number | undefined
      if (opts.tls) {
        tlsPort = await freePort()
        writeFileSync(join(dir, 'tls.crt'), opts.tls.certPem)
        writeFileSync(join(dir, 'tls.key'), opts.tls.keyPem, { mode: 0o600 })
        args.push('--tls-port', String(tlsPort), '--tls-cert-file', join(dir, 'tls.crt'), '--tls-key-file', join(dir, 'tls.key'), '--tls-auth-clients', 'no')
      }
      const proc = trackChild(spawn(bin.found, args, { stdio: ['ignore', 'ignore', 'pipe'] }))
      let stderr = ''
      proc.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000)
      })
      const up = await waitForPort(port, opts.readyTimeout ?? 15_000, proc, signal)
      if (!up) {
        await killAndWait(proc, 'SIGKILL', 1_000)
        signal?.throwIfAborted()
        if (/Address already in use/i.test(stderr)) continue
        throw new Error(`redis-server did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
      }
      const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : ''
      let stopped = false
      const running: RunningRedis = {
        url: `redis://${auth}127.0.0.1:${port}`,
        port,
        async stop() {
          if (stopped) return
          stopped = true
          await killAndWait(proc, 'SIGTERM', 5_000)
          removeDir(dir)
        },
      }
      if (tlsPort !== undefined) {
        running.tlsPort = tlsPort
        running.tlsUrl = `rediss://${auth}127.0.0.1:${tlsPort}`
      }
      return running
    }
    throw new Error('redis-server did not start: no free port')
  } catch (err) {
    removeDir(dir)
    throw signal?.aborted ? abortReason(signal) : err
  }
}

/** The fixture migrations the sandbox's database is stamped with (Alembic layout). */
export const SANDBOX_MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations')

/** Tables the sandbox creates with a `tenant_id` column, RLS enabled and forced, and a policy. */
export const SANDBOX_RLS_TABLES = ['tenants', 'invoices'] as const

/** Celery queue the sandbox enqueues into, and how many messages. */
export const SANDBOX_CELERY_QUEUE = 'celery'

export interface SeedOptions {
  databaseUrl?: string
  redisUrl?: string
  /** Celery messages to enqueue. Default 3 (priorities 0, 3, 9). */
  celeryMessages?: number
}

export interface SeedResult {
  /** The revision written into `alembic_version` (the fixture's head). */
  alembicHead?: string
  rlsTables: string[]
  celeryQueue?: string
  celeryEnqueued: number
}

/**
 * Seeds the sandbox: an `alembic_version` table at the head of `sandbox/migrations`, tables with
 * `tenant_id`, RLS enabled and forced and a tenant policy, and Celery-format messages (kombu's
 * Redis envelope, LPUSHed to the priority key the way kombu does) in the `celery` queue.
 */
export async function seedSandboxData(opts: SeedOptions): Promise<SeedResult> {
  const result: SeedResult = { rlsTables: [], celeryEnqueued: 0 }
  if (opts.databaseUrl) {
    const scripts = loadMigrationScripts(SANDBOX_MIGRATIONS_DIR)
    const head = scripts.heads[0]!
    const client = new pg.Client({ connectionString: opts.databaseUrl, connectionTimeoutMillis: 10_000 })
    await client.connect()
    try {
      await client.query('BEGIN')
      await client.query('CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))')
      await client.query('DELETE FROM alembic_version')
      await client.query('INSERT INTO alembic_version (version_num) VALUES ($1)', [head])
      await client.query('CREATE TABLE IF NOT EXISTS tenants (id serial PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL)')
      await client.query('CREATE TABLE IF NOT EXISTS invoices (id serial PRIMARY KEY, tenant_id text NOT NULL, amount_cents integer NOT NULL)')
      for (const t of SANDBOX_RLS_TABLES) {
        await client.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`)
        await client.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`)
        await client.query(`DROP POLICY IF EXISTS tenant_isolation ON ${t}`)
        await client.query(`CREATE POLICY tenant_isolation ON ${t} USING (tenant_id = current_setting('app.tenant_id', true))`)
      }
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      await client.end()
    }
    result.alembicHead = head
    result.rlsTables = [...SANDBOX_RLS_TABLES]
  }
  if (opts.redisUrl) {
    // No reconnect loop: a server that is not there must fail the seeding once, not keep the process alive.
    const redis = new Redis(opts.redisUrl, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 1, retryStrategy: () => null })
    redis.on('error', () => {})
    try {
      await redis.connect()
      const n = opts.celeryMessages ?? 3
      const priorities = [0, 3, 9]
      for (let i = 0; i < n; i++) {
        const priority = priorities[i % priorities.length]!
        const key = priority === 0 ? SANDBOX_CELERY_QUEUE : `${SANDBOX_CELERY_QUEUE}\x06\x16${priority}`
        await redis.lpush(key, JSON.stringify(celeryEnvelope('sandbox.tasks.reconcile', [i], priority)))
      }
      result.celeryQueue = SANDBOX_CELERY_QUEUE
      result.celeryEnqueued = n
    } finally {
      redis.disconnect()
    }
  }
  return result
}

/** A Celery protocol-2 task message in kombu's Redis envelope (what `send_task` LPUSHes). */
function celeryEnvelope(task: string, args: unknown[], priority: number): Record<string, unknown> {
  const id = crypto.randomUUID()
  const body = Buffer.from(JSON.stringify([args, {}, { callbacks: null, errbacks: null, chain: null, chord: null }])).toString('base64')
  return {
    body,
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: { lang: 'py', task, id, shadow: null, eta: null, expires: null, group: null, group_index: null, retries: 0, timelimit: [null, null], root_id: id, parent_id: null, argsrepr: JSON.stringify(args), kwargsrepr: '{}', origin: 'runbook-kit-sandbox', ignore_result: false },
    properties: {
      correlation_id: id,
      reply_to: crypto.randomUUID(),
      delivery_mode: 2,
      delivery_info: { exchange: '', routing_key: SANDBOX_CELERY_QUEUE },
      priority,
      body_encoding: 'base64',
      delivery_tag: crypto.randomUUID(),
    },
  }
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim())
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim())
  return { uid, gid }
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** True once `port` accepts TCP connections; false if the process exits or the time runs out. */
async function waitForPort(port: number, timeoutMs: number, proc: ChildProcess, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  let exited = false
  proc.once('exit', () => {
    exited = true
  })
  while (Date.now() < deadline && !exited && !signal?.aborted) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' })
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok && !exited && !signal?.aborted) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

async function waitForQuery(url: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    signal?.throwIfAborted()
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 })
    try {
      await c.connect()
      await c.query('SELECT 1')
      await c.end()
      return
    } catch (err) {
      last = err
      await c.end().catch(() => {})
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error(`PostgreSQL not ready after ${timeoutMs} ms: ${String(last)}`)
}

function killAndWait(proc: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL')
    }, timeoutMs)
    proc.once('exit', () => {
      clearTimeout(t)
      resolve()
    })
    proc.kill(signal)
  })
}
