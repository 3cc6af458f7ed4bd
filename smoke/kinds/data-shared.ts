import type { PostgresConnectionOptions, SslMode } from '../../clients/postgres.ts'
import type { RedisConnectionOptions } from '../../clients/redis.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import type { CheckResult } from '../../lib/result.ts'
import { requireReadableFile } from '../../lib/files.ts'
import { caEntryPath } from './http-shared.ts'
import type { BuildContext, CommonCheckFields } from './types.ts'

/** Fields every PostgreSQL kind (postgres, alembic, rls, sql) shares. */
export interface PostgresEntryFields extends CommonCheckFields {
  url: string
  sslmode?: SslMode
  ca?: string
  connectTimeout?: number | string
  queryTimeout?: number | string
}

/** Fields every Redis kind (redis, queue-depth) shares. */
export interface RedisEntryFields extends CommonCheckFields {
  url: string
  ca?: string
  servername?: string
  connectTimeout?: number | string
  commandTimeout?: number | string
}

export const postgresProperties = {
  url: { type: 'string', minLength: 1, description: 'postgresql://, postgres:// or postgresql+driver:// URL; put the password in an env: reference (it is masked everywhere)' },
  sslmode: { type: 'string', enum: ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'], description: "TLS mode as libpq's sslmode (default: the URL's sslmode, else disable)" },
  ca: { type: 'string', minLength: 1, description: "PEM CA file for verify-ca/verify-full (relative to the target file; default: the URL's sslrootcert, else the target's tls.ca)" },
  connectTimeout: { ...durationSchema, description: 'time allowed to connect, handshake and authenticate (default 5s)' },
  queryTimeout: { ...durationSchema, description: 'time allowed for each query (default 10s)' },
} as const

export const redisProperties = {
  url: { type: 'string', minLength: 1, description: 'redis:// or rediss:// URL with optional ACL user and password (use an env: reference; masked everywhere)' },
  ca: { type: 'string', minLength: 1, description: "PEM CA file for rediss:// (relative to the target file; default: the target's tls.ca, else system roots)" },
  servername: { type: 'string', minLength: 1, description: 'TLS server name to verify (default: the URL host)' },
  connectTimeout: { ...durationSchema, description: 'time allowed to connect, handshake, authenticate and become ready (default 5s)' },
  commandTimeout: { ...durationSchema, description: 'time allowed for each command (default 5s)' },
} as const

/** Connection options from an entry; registers the URL password for redaction. */
export function postgresConnection(entry: PostgresEntryFields, ctx: BuildContext): PostgresConnectionOptions {
  ctx.redactor.addUrlCredentials(entry.url.replace(/^postgres(ql)?\+[a-z0-9_]+:/i, 'postgresql:'))
  const opts: PostgresConnectionOptions = { url: entry.url }
  if (entry.sslmode !== undefined) opts.sslmode = entry.sslmode
  const ca = /[?&]sslrootcert=/.test(entry.url) && entry.ca === undefined ? undefined : caEntryPath(entry.ca, ctx)
  if (ca !== undefined) opts.ca = requireReadableFile(ca, 'CA file')
  if (entry.connectTimeout !== undefined) opts.connectTimeout = parseDuration(entry.connectTimeout)
  if (entry.queryTimeout !== undefined) opts.queryTimeout = parseDuration(entry.queryTimeout)
  return opts
}

export function redisConnection(entry: RedisEntryFields, ctx: BuildContext): RedisConnectionOptions {
  ctx.redactor.addUrlCredentials(entry.url)
  const opts: RedisConnectionOptions = { url: entry.url }
  const ca = caEntryPath(entry.ca, ctx)
  if (ca !== undefined) opts.ca = requireReadableFile(ca, 'CA file')
  if (entry.servername !== undefined) opts.servername = entry.servername
  if (entry.connectTimeout !== undefined) opts.connectTimeout = parseDuration(entry.connectTimeout)
  if (entry.commandTimeout !== undefined) opts.commandTimeout = parseDuration(entry.commandTimeout)
  return opts
}

/** `host:port/db` of a URL for titles, without credentials; the raw text when unparsable. */
export function urlLabel(url: string): string {
  try {
    const u = new URL(url.replace(/^[a-z0-9+.-]+:/i, 'x:'))
    return `${u.host}${u.pathname.length > 1 ? u.pathname : ''}`
  } catch {
    return 'the database'
  }
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }

/** A byte count: a number, or `400MB`, `400MiB`, `1.5GB`. */
export function parseBytes(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`byte count must be non-negative, got ${value}`)
    return value
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined
  if (!m || unit === undefined) throw new InvalidArgumentError(`"${value}" is not a byte count (e.g. 400MB, 512MiB, 1073741824)`)
  return Math.round(Number(m[1]) * unit)
}

export const bytesSchema = Object.freeze({
  anyOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgG][iI]?[bB]|[bB])?\\s*$' },
  ],
})

/** A check's typed result as the runner's untyped one (evidence interfaces have no index signature). */
export function untyped<E>(run: (signal: AbortSignal) => Promise<CheckResult<E>>): { run: (signal: AbortSignal) => Promise<CheckResult> } {
  return { run: run as unknown as (signal: AbortSignal) => Promise<CheckResult> }
}
