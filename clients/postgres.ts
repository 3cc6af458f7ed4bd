import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import pg from 'pg'
import type { ConnectionOptions } from 'node:tls'
import { errorMessage, InterruptedError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { MASK } from '../lib/redact.ts'
import { stripUndefined } from '../lib/object.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'

/**
 * PostgreSQL connections for every data-layer check (postgres, alembic, row-level security, sql):
 * URL parsing (libpq and SQLAlchemy forms), sslmode, phase timeouts, and plain explanations of
 * connection failures.
 */

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full'
const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']

/** How to reach a database; shared by every PostgreSQL check. */
export interface PostgresConnectionOptions {
  /**
   * `postgresql://user:password@host:port/db?sslmode=require`. Also `postgres://` and SQLAlchemy's
   * `postgresql+<driver>://` (e.g. `postgresql+asyncpg://`; the driver suffix is ignored). Query
   * parameters `sslmode`, `sslrootcert`, asyncpg's `ssl` and `host` (a socket directory) are honoured.
   */
  url: string
  /**
   * TLS mode, as libpq: `disable`, `require` (encrypt, do not verify), `verify-ca` (verify the chain),
   * `verify-full` (chain and host name). `allow`/`prefer` connect without TLS (pg has no fallback).
   * Default: the URL's `sslmode`, else `disable`.
   */
  sslmode?: SslMode
  /** PEM file with the CA(s) to trust for `verify-ca`/`verify-full`. Default: the URL's `sslrootcert`, else system roots. */
  ca?: string
  /** TCP connect + TLS handshake + authentication, in ms. Default 5000. */
  connectTimeout?: number
  /** Each query, in ms (client-side and as the server's `statement_timeout`). Default 10000. */
  queryTimeout?: number
  /** Aborting closes the connection. */
  signal?: AbortSignal
}

/** What the URL says, with the password kept out of everything but `password`. */
export interface ParsedPostgresUrl {
  host: string
  port: number
  database: string
  user: string
  password: string | undefined
  /** `postgresql+asyncpg://...` → `asyncpg`. */
  driver: string | undefined
  sslmode: SslMode | undefined
  sslrootcert: string | undefined
  /** The URL with the password replaced by `***`. */
  maskedUrl: string
}

/** Parses and validates a PostgreSQL URL. Throws InvalidArgumentError for anything else. */
export function parsePostgresUrl(url: string): ParsedPostgresUrl {
  if (typeof url !== 'string' || url.length === 0) throw new InvalidArgumentError('url is required')
  const m = /^(postgres|postgresql)(?:\+([a-z0-9_]+))?:\/\//i.exec(url)
  if (!m) throw new InvalidArgumentError(`not a PostgreSQL URL (expected postgresql://, postgres:// or postgresql+driver://): ${maskPassword(url)}`)
  let u: URL
  try {
    u = new URL('postgresql://' + url.slice(m[0].length))
  } catch (err) {
    throw new InvalidArgumentError(`malformed PostgreSQL URL: ${maskPassword(url)}`, { cause: err })
  }
  const q = u.searchParams
  let sslmode: SslMode | undefined
  const rawMode = q.get('sslmode') ?? asyncpgSsl(q.get('ssl'))
  if (rawMode !== null && rawMode !== undefined) {
    if (!SSL_MODES.includes(rawMode as SslMode)) throw new InvalidArgumentError(`sslmode must be one of ${SSL_MODES.join(', ')}, got "${rawMode}"`)
    sslmode = rawMode as SslMode
  }
  const socketHost = q.get('host')
  return {
    host: socketHost ?? (u.hostname.replace(/^\[|\]$/g, '') || 'localhost'),
    port: u.port ? Number(u.port) : Number(q.get('port') ?? 5432),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
    user: decodeURIComponent(u.username) || 'postgres',
    password: u.password ? decodeURIComponent(u.password) : undefined,
    driver: m[2]?.toLowerCase(),
    sslmode,
    sslrootcert: q.get('sslrootcert') ?? undefined,
    maskedUrl: maskPassword(url),
  }
}

/** asyncpg spells it `?ssl=require` (or true/false). */
function asyncpgSsl(v: string | null): string | undefined {
  if (v === null) return undefined
  if (v === 'true' || v === '1') return 'require'
  if (v === 'false' || v === '0') return 'disable'
  return v
}

/** `scheme://user:secret@host` → `scheme://user:***@host`. */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*):([^@/?#]*)@/i, (_m, pre: string) => `${pre}:${MASK}@`)
}

const CONNECTION_DEFAULTS = Object.freeze({ connectTimeout: 5_000, queryTimeout: 10_000 })

/** An open connection with timeouts and abort wired in. */
export interface PostgresSession {
  client: pg.Client
  parsed: ParsedPostgresUrl
  sslmode: SslMode
  /** True when the connection is encrypted. */
  tls: boolean
  /** Time to connect, handshake and authenticate, ms. */
  connectMs: number
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>
  close(): Promise<void>
}

function validateTimeout(name: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${name} must be a positive number of ms, got ${v}`)
}

/** Checks the options without connecting; throws InvalidArgumentError. */
export function validateConnectionOptions(opts: PostgresConnectionOptions): Required<Pick<PostgresConnectionOptions, 'connectTimeout' | 'queryTimeout'>> & { parsed: ParsedPostgresUrl; sslmode: SslMode } {
  const o = { ...CONNECTION_DEFAULTS, ...stripUndefined(opts) }
  validateTimeout('connectTimeout', o.connectTimeout)
  validateTimeout('queryTimeout', o.queryTimeout)
  const parsed = parsePostgresUrl(o.url)
  const sslmode = o.sslmode ?? parsed.sslmode ?? 'disable'
  if (!SSL_MODES.includes(sslmode)) throw new InvalidArgumentError(`sslmode must be one of ${SSL_MODES.join(', ')}, got "${String(sslmode)}"`)
  return { connectTimeout: o.connectTimeout, queryTimeout: o.queryTimeout, parsed, sslmode }
}

/**
 * Opens a connection. Rejects (never hangs) on refusal, authentication failure, TLS problems,
 * a server that never answers (TimeoutError, phase `connect`) or abort (InterruptedError).
 * Callers turn those rejections into `fail` verdicts.
 */
export async function openPostgres(opts: PostgresConnectionOptions): Promise<PostgresSession> {
  const { connectTimeout, queryTimeout, parsed, sslmode } = validateConnectionOptions(opts)
  const caPath = opts.ca ?? parsed.sslrootcert
  let ssl: ConnectionOptions | false = false
  if (sslmode === 'require') ssl = { rejectUnauthorized: false }
  else if (sslmode === 'verify-ca' || sslmode === 'verify-full') {
    ssl = { rejectUnauthorized: true }
    if (caPath) {
      try {
        ssl.ca = readFileSync(caPath, 'utf8')
      } catch (err) {
        throw new InvalidArgumentError(`cannot read CA file ${caPath}: ${errorMessage(err)}`, { cause: err })
      }
    }
    if (sslmode === 'verify-ca') ssl.checkServerIdentity = () => undefined
    else if (!isIP(parsed.host)) ssl.servername = parsed.host // SNI must not carry an IP (RFC 6066); Node still checks IP SANs
  }
  const client = new pg.Client({
    host: parsed.host,
    port: parsed.port,
    user: parsed.user,
    password: parsed.password,
    database: parsed.database,
    ssl,
    connectionTimeoutMillis: connectTimeout,
    query_timeout: queryTimeout,
    statement_timeout: queryTimeout,
    application_name: 'runbook-kit',
  })
  // pg emits 'error' on the client for a connection lost after connect; without a listener that crashes the process.
  client.on('error', () => {})
  const signal = opts.signal
  const destroy = () => {
    const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream
    stream?.destroy()
  }
  if (signal?.aborted) throw new InterruptedError('aborted before connecting')
  signal?.addEventListener('abort', destroy, { once: true })
  const started = performance.now()
  try {
    await client.connect()
  } catch (err) {
    signal?.removeEventListener('abort', destroy)
    await client.end().catch(() => {})
    if (signal?.aborted) throw new InterruptedError('aborted while connecting', { cause: err })
    if (err instanceof Error && err.message === 'timeout expired') throw new TimeoutError('connect', connectTimeout, { cause: err })
    if (err instanceof Error && /Query read timeout/.test(err.message)) throw new TimeoutError('connect', connectTimeout, { cause: err })
    throw err
  }
  const connectMs = Math.round((performance.now() - started) * 10) / 10
  const tlsInUse = Boolean((client as unknown as { connection?: { stream?: { encrypted?: boolean } } }).connection?.stream?.encrypted)
  return {
    client,
    parsed,
    sslmode,
    tls: tlsInUse,
    connectMs,
    async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]) {
      try {
        return await client.query<R>({ text, values, queryMode: 'extended' } as pg.QueryConfig)
      } catch (err) {
        if (signal?.aborted) throw new InterruptedError('aborted during a query', { cause: err })
        if (err instanceof Error && /Query read timeout/.test(err.message)) throw new TimeoutError('query', queryTimeout, { cause: err })
        throw err
      }
    },
    async close() {
      signal?.removeEventListener('abort', destroy)
      // end() waits for the server's goodbye; do not let a stuck server hold the check.
      await Promise.race([client.end().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())])
      destroy()
    },
  }
}

/** Human reason for a connection failure (no credentials: pg's messages never contain the password). */
export function describeConnectionError(err: unknown, parsed: Pick<ParsedPostgresUrl, 'host' | 'port'>): string {
  const where = `${parsed.host}:${parsed.port}`
  if (err instanceof TimeoutError) return `cannot connect to ${where}: ${err.phase} timed out after ${err.timeoutMs} ms (is it a PostgreSQL server?)`
  const msg = errorMessage(err)
  if (/does not support SSL/i.test(msg)) return `cannot connect to ${where}: the server does not support TLS (sslmode requires it)`
  if (/Connection terminated unexpectedly/i.test(msg)) return `cannot connect to ${where}: connection closed by the server before it was ready`
  return `cannot connect to ${where}: ${msg}`
}

/**
 * Opens a session, or says why it could not: the connection failure as a message (a down database
 * is a finding, not an exception). Bad options and interrupts still throw.
 */
export async function connectOrExplain(opts: PostgresConnectionOptions, parsed: Pick<ParsedPostgresUrl, 'host' | 'port'>): Promise<{ session: PostgresSession } | { error: string }> {
  try {
    return { session: await openPostgres(opts) }
  } catch (err) {
    if (err instanceof InvalidArgumentError || err instanceof InterruptedError) throw err
    return { error: describeConnectionError(err, parsed) }
  }
}
