import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
// Types only: pg loads on the first connection (the registry imports check modules to read their declarations).
import type pg from 'pg'
import { capToDeadline } from '../lib/deadline.ts'
import { errorMessage, InterruptedError, InvalidArgumentError, optionProblem, TimeoutError } from '../lib/errors.ts'
import { MASK, type Redactor } from '../lib/redact.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Duration, FilePath, Options, Type, type Static } from '../lib/schema.ts'

/**
 * PostgreSQL connections for every data-layer check (postgres, alembic, rls, sql): the connection
 * options they all declare, URL parsing (libpq and SQLAlchemy forms), sslmode, phase timeouts
 * capped against the attempt's deadline, and plain explanations of connection failures.
 */

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full'
const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']

/** The connection options every PostgreSQL kind (postgres, alembic, rls, sql) declares, declared once here. */
export const POSTGRES_CONNECTION_FIELDS = Object.freeze({
  url: Type.String({
    minLength: 1,
    description: "postgresql://user:password@host:port/db, postgres:// or SQLAlchemy's postgresql+driver:// (the driver is ignored); the query parameters sslmode, sslrootcert, asyncpg's ssl and host (a socket folder) are honoured; put the password in an env: reference (it is masked everywhere)",
  }),
  sslmode: Type.Optional(Type.Unsafe<SslMode>({
    type: 'string',
    enum: [...SSL_MODES],
    description: "TLS mode as libpq's sslmode: require encrypts without verifying, verify-ca verifies the chain, verify-full the chain and the host name; allow and prefer connect without TLS (default: the URL's sslmode, else disable)",
  })),
  ca: Type.Optional(FilePath({ what: 'CA file', targetDefault: 'tls.ca', description: "PEM CA bundle trusted for verify-ca/verify-full (a file; default: the URL's sslrootcert, else the target's tls.ca, else the system roots)" })),
  connectTimeout: Type.Optional(Duration({ positive: true, default: '5s', description: 'time to connect, handshake and authenticate' })),
  queryTimeout: Type.Optional(Duration({ positive: true, default: '10s', description: 'time each query may take (also sent as the server-side statement_timeout)' })),
})
const ConnectionSchema = Options(POSTGRES_CONNECTION_FIELDS)
/** The connection options as a check receives them (ms; `ca` a file path or the PEM text). */
export type PostgresConnectionFields = Static<typeof ConnectionSchema>

/** How to reach a database; shared by every PostgreSQL check. */
export interface PostgresConnectionOptions extends PostgresConnectionFields {
  /** Aborting closes the connection. */
  signal?: AbortSignal | undefined
  /** Epoch ms by which the check must be over: the connect and query timeouts are capped against it, so a hang names its phase. */
  deadline?: number | undefined
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

const CONNECTION_DEFAULTS = defaultsOf(ConnectionSchema, 'connectTimeout', 'queryTimeout')

/**
 * What every PostgreSQL kind does when it is built: registers the URL's password for redaction
 * (every accepted form, postgresql+asyncpg:// too), and lets the URL's sslrootcert come before the
 * target's tls.ca (an entry's own `ca` still comes first).
 */
export function preparePostgresConnection<T extends PostgresConnectionFields>(options: T, ctx: { redactor: Redactor; tls: { ca?: string | undefined } }): T {
  ctx.redactor.addUrlCredentials(options.url.replace(/^postgres(ql)?\+[a-z0-9_]+:/i, 'postgresql:'))
  if (options.ca !== undefined && options.ca === ctx.tls.ca && /[?&]sslrootcert=/.test(options.url)) {
    const { ca: _fromTarget, ...rest } = options
    return rest as T
  }
  return options
}

/** `host:port/database` of a URL, without credentials (titles). */
export function postgresLabel(url: string): string {
  const p = parsePostgresUrl(url)
  return `${p.host}:${p.port}/${p.database}`
}

/** An open connection with timeouts and abort wired in. */
export interface PostgresSession {
  client: pg.Client
  parsed: ParsedPostgresUrl
  sslmode: SslMode
  /** True when the connection is encrypted. */
  tls: boolean
  /** Time to connect, handshake and authenticate, ms. */
  connectMs: number
  /** The time the next query may take: queryTimeout capped against the deadline, ms. */
  queryTimeoutMs(): number
  /** One statement; rejects with TimeoutError (phase `query`) when it takes longer than queryTimeoutMs(). */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>
  close(): Promise<void>
}

function validateTimeout(name: 'connectTimeout' | 'queryTimeout', v: number): void {
  if (!Number.isFinite(v) || v <= 0) throw optionProblem(name, `must be a positive number of ms, got ${v}`)
}

/**
 * Checks the connection options without connecting (every PostgreSQL kind's validate and check
 * function run it); throws OptionsError naming the field.
 */
export function validateConnectionOptions(opts: PostgresConnectionFields): Required<Pick<PostgresConnectionFields, 'connectTimeout' | 'queryTimeout'>> & { parsed: ParsedPostgresUrl; sslmode: SslMode } {
  const o = { ...CONNECTION_DEFAULTS, ...stripUndefined(opts) }
  validateTimeout('connectTimeout', o.connectTimeout)
  validateTimeout('queryTimeout', o.queryTimeout)
  let parsed: ParsedPostgresUrl
  try {
    parsed = parsePostgresUrl(o.url)
  } catch (err) {
    throw optionProblem('url', errorMessage(err))
  }
  const sslmode = o.sslmode ?? parsed.sslmode ?? 'disable'
  if (!SSL_MODES.includes(sslmode)) throw optionProblem('sslmode', `must be one of ${SSL_MODES.join(', ')}, got "${String(sslmode)}"`)
  return { connectTimeout: o.connectTimeout, queryTimeout: o.queryTimeout, parsed, sslmode }
}

/** A CA option (PostgreSQL and Redis): PEM text as it is, else the file it names. */
export function readCa(ca: string): string {
  if (ca.includes('-----BEGIN ')) return ca
  try {
    return readFileSync(ca, 'utf8')
  } catch (err) {
    throw new InvalidArgumentError(`cannot read CA file ${ca}: ${errorMessage(err)}`, { cause: err })
  }
}

/** The goodbye (Terminate) is awaited at most this long: a stuck server must not hold the check. */
const CLOSE_WAIT_MS = 1000

/**
 * Opens a connection. Rejects (never hangs) on refusal, authentication failure, TLS problems,
 * a server that never answers (TimeoutError, phase `connect`) or abort (InterruptedError).
 * Callers turn those rejections into `fail` verdicts. Every phase (connect, each query, the
 * goodbye) is capped against `deadline`, so a hang is reported with its phase before the
 * runner's bare timeout fires.
 */
export async function openPostgres(opts: PostgresConnectionOptions): Promise<PostgresSession> {
  const { connectTimeout, queryTimeout, parsed, sslmode } = validateConnectionOptions(opts)
  const { deadline, signal } = opts
  const caSource = opts.ca ?? parsed.sslrootcert
  let ssl: ConnectionOptions | false = false
  if (sslmode === 'require') ssl = { rejectUnauthorized: false }
  else if (sslmode === 'verify-ca' || sslmode === 'verify-full') {
    ssl = { rejectUnauthorized: true }
    if (caSource) ssl.ca = readCa(caSource)
    if (sslmode === 'verify-ca') ssl.checkServerIdentity = () => undefined
    else if (!isIP(parsed.host)) ssl.servername = parsed.host // SNI must not carry an IP (RFC 6066); Node still checks IP SANs
  }
  if (signal?.aborted) throw new InterruptedError('aborted before connecting')
  const { default: Pg } = await import('pg')
  const connectMs = capToDeadline(connectTimeout, deadline)
  const client = new Pg.Client({
    host: parsed.host,
    port: parsed.port,
    user: parsed.user,
    password: parsed.password,
    database: parsed.database,
    ssl,
    connectionTimeoutMillis: connectMs,
    // Server-side backstop; the client-side limit of each query is set per query (capped when it is sent).
    statement_timeout: Math.ceil(capToDeadline(queryTimeout, deadline)),
    application_name: 'runbook-kit',
  })
  // pg emits 'error' on the client for a connection lost after connect; without a listener that crashes the process.
  client.on('error', () => {})
  const destroy = () => {
    const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream
    stream?.destroy()
  }
  signal?.addEventListener('abort', destroy, { once: true })
  const started = performance.now()
  try {
    await client.connect()
  } catch (err) {
    signal?.removeEventListener('abort', destroy)
    await client.end().catch(() => {})
    if (signal?.aborted) throw new InterruptedError('aborted while connecting', { cause: err })
    if (err instanceof Error && err.message === 'timeout expired') throw new TimeoutError('connect', connectMs, { cause: err })
    if (err instanceof Error && /Query read timeout/.test(err.message)) throw new TimeoutError('connect', connectMs, { cause: err })
    throw err
  }
  const tookMs = Math.round((performance.now() - started) * 10) / 10
  const tlsInUse = Boolean((client as unknown as { connection?: { stream?: { encrypted?: boolean } } }).connection?.stream?.encrypted)
  const queryTimeoutMs = () => capToDeadline(queryTimeout, deadline)
  return {
    client,
    parsed,
    sslmode,
    tls: tlsInUse,
    connectMs: tookMs,
    queryTimeoutMs,
    async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]) {
      const ms = queryTimeoutMs()
      try {
        return await client.query<R>({ text, values, queryMode: 'extended', query_timeout: ms } as pg.QueryConfig)
      } catch (err) {
        if (signal?.aborted) throw new InterruptedError('aborted during a query', { cause: err })
        if (err instanceof Error && /Query read timeout/.test(err.message)) throw new TimeoutError('query', ms, { cause: err })
        throw err
      }
    },
    async close() {
      signal?.removeEventListener('abort', destroy)
      // end() waits for the server's goodbye; do not let a stuck server hold the check.
      await Promise.race([client.end().catch(() => {}), new Promise((r) => setTimeout(r, capToDeadline(CLOSE_WAIT_MS, deadline)).unref())])
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

/** Loads the PostgreSQL driver ahead of the first connection (a kind's `preload`). */
export function preloadPostgres(): Promise<unknown> {
  return import('pg')
}
