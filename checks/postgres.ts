import { errorMessage, InterruptedError, optionProblem } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { defaultsOf, Duration, Options, Type, type Static } from '../lib/schema.ts'
import { connectOrExplain, POSTGRES_CONNECTION_FIELDS, postgresLabel, preparePostgresConnection, validateConnectionOptions, type ParsedPostgresUrl, type SslMode, preloadPostgres } from '../clients/postgres.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: postgres` — `postgresConnect`: the database accepts connections; server version, TLS and
 * round-trip latency.
 */

export const PostgresOptions = Options({
  ...POSTGRES_CONNECTION_FIELDS,
  pings: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'SELECT 1 round trips measured; the median is reported' })),
  maxLatency: Type.Optional(Duration({ default: 0, description: 'fail when the median round trip takes longer; 0 = no limit' })),
  minServerVersion: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'fail when the server major version is lower, e.g. 15; 0 = any' })),
  requireTls: Type.Optional(Type.Boolean({ default: false, description: 'fail unless the connection is encrypted (whatever sslmode allows)' })),
})
export type PostgresConnectOptions = Static<typeof PostgresOptions> & RunContext

const CONNECT_DEFAULTS = defaultsOf(PostgresOptions, 'pings', 'maxLatency', 'minServerVersion', 'requireTls')

export const postgresKind = defineKind({
  kind: 'postgres',
  description: 'PostgreSQL accepts a connection (sslmode honoured); reports server version and round-trip latency',
  options: PostgresOptions,
  preload: preloadPostgres,
  positional: 'url',
  prepare: preparePostgresConnection,
  validate: validatePostgresConnectOptions,
  title: postgresTitle,
  run: (o, rt) => postgresConnect({ ...o, ...rt }),
})

/** The default title: "PostgreSQL at host:port/db accepts connections". */
export function postgresTitle(o: Pick<PostgresConnectOptions, 'url'>): string {
  return `PostgreSQL at ${postgresLabel(o.url)} accepts connections`
}

/** The option rules (the kind's validate and postgresConnect both run them); OptionsError names the field. */
export function validatePostgresConnectOptions(opts: PostgresConnectOptions): void {
  const o = { ...CONNECT_DEFAULTS, ...stripUndefined(opts) }
  validateConnectionOptions(o)
  if (!Number.isInteger(o.pings) || o.pings < 1 || o.pings > 100) throw optionProblem('pings', `must be an integer from 1 to 100, got ${o.pings}`)
  if (!Number.isFinite(o.maxLatency) || o.maxLatency < 0) throw optionProblem('maxLatency', `must be a non-negative number of ms, got ${o.maxLatency}`)
  if (!Number.isFinite(o.minServerVersion) || o.minServerVersion < 0) throw optionProblem('minServerVersion', `must be a non-negative number, got ${o.minServerVersion}`)
}

export interface PostgresEvidence {
  /** The URL with the password masked. */
  url: string
  host: string
  port: number
  database: string
  user: string
  sslmode: SslMode
  tls?: boolean
  serverVersion?: string
  serverVersionNum?: number
  inRecovery?: boolean
  connectMs?: number
  /** Median `SELECT 1` round trip, ms. */
  latencyMs?: number
  maxLatencyMs?: number
  minServerVersion?: number
  error?: string
}

/** What was observed from one connection attempt. */
export interface PostgresObservation {
  connected: boolean
  error?: string
  tls?: boolean
  serverVersion?: string
  serverVersionNum?: number
  inRecovery?: boolean
  connectMs?: number
  latencyMs?: number
}

/** Pure judgement of a connection attempt. */
export function judgePostgres(obs: PostgresObservation, limits: { maxLatency: number; minServerVersion: number; requireTls: boolean }): Pick<Verdict, 'status' | 'message'> {
  if (!obs.connected) return { status: 'fail', message: obs.error ?? 'cannot connect' }
  if (limits.requireTls && !obs.tls) return { status: 'fail', message: 'connected without TLS but TLS is required' }
  const major = obs.serverVersionNum !== undefined ? Math.floor(obs.serverVersionNum / 10_000) : undefined
  if (limits.minServerVersion > 0 && major !== undefined && major < limits.minServerVersion) {
    return { status: 'fail', message: `server version ${obs.serverVersion} is older than the required ${limits.minServerVersion}` }
  }
  if (limits.maxLatency > 0 && obs.latencyMs !== undefined && obs.latencyMs > limits.maxLatency) {
    return { status: 'fail', message: `round trip ${obs.latencyMs} ms exceeds ${limits.maxLatency} ms` }
  }
  return { status: 'pass', message: `connected${obs.tls ? ' over TLS' : ''}: PostgreSQL ${obs.serverVersion}, round trip ${obs.latencyMs} ms` }
}

/** Connects, reads the server version and measures the round-trip latency. */
export async function postgresConnect(opts: PostgresConnectOptions): Promise<CheckResult<PostgresEvidence>> {
  const o = { ...CONNECT_DEFAULTS, ...stripUndefined(opts) }
  validatePostgresConnectOptions(o)
  const { parsed, sslmode } = validateConnectionOptions(o)
  const base: PostgresEvidence = { url: parsed.maskedUrl, host: parsed.host, port: parsed.port, database: parsed.database, user: parsed.user, sslmode }
  if (o.maxLatency > 0) base.maxLatencyMs = o.maxLatency
  if (o.minServerVersion > 0) base.minServerVersion = o.minServerVersion
  return timed<PostgresEvidence>({ id: o.id ?? 'postgres', title: o.title ?? postgresTitle(o), kind: 'postgres' }, async () => {
    const obs = await observePostgres(o, parsed)
    const verdict = judgePostgres(obs, o)
    const evidence: PostgresEvidence = { ...base }
    for (const k of ['tls', 'serverVersion', 'serverVersionNum', 'inRecovery', 'connectMs', 'latencyMs', 'error'] as const) {
      if (obs[k] !== undefined) (evidence as unknown as Record<string, unknown>)[k] = obs[k]
    }
    return { ...verdict, evidence }
  })
}

async function observePostgres(o: PostgresConnectOptions & { pings: number }, parsed: ParsedPostgresUrl): Promise<PostgresObservation> {
  const opened = await connectOrExplain(o, parsed)
  if ('error' in opened) return { connected: false, error: opened.error }
  const { session } = opened
  try {
    const info = await session.query<{ server_version: string; server_version_num: string; in_recovery: boolean }>(
      "SELECT current_setting('server_version') AS server_version, current_setting('server_version_num') AS server_version_num, pg_is_in_recovery() AS in_recovery",
    )
    const row = info.rows[0]!
    const times: number[] = []
    for (let i = 0; i < o.pings; i++) {
      const t = performance.now()
      await session.query('SELECT 1')
      times.push(performance.now() - t)
    }
    times.sort((a, b) => a - b)
    return {
      connected: true,
      tls: session.tls,
      serverVersion: row.server_version,
      serverVersionNum: Number(row.server_version_num),
      inRecovery: row.in_recovery,
      connectMs: session.connectMs,
      latencyMs: Math.round(times[Math.floor(times.length / 2)]! * 100) / 100,
    }
  } catch (err) {
    if (err instanceof InterruptedError) throw err
    return { connected: false, error: `connected, but a query failed: ${errorMessage(err)}` }
  } finally {
    await session.close()
  }
}

