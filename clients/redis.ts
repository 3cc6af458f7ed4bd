import { isIP } from 'node:net'
// Types only: ioredis loads on the first connection (the registry imports check modules to read their declarations).
import type { Redis, RedisOptions } from 'ioredis'
import { capToDeadline } from '../lib/deadline.ts'
import { errorMessage, InterruptedError, InvalidArgumentError, optionProblem, TimeoutError } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import type { Redactor } from '../lib/redact.ts'
import { defaultsOf, Duration, FilePath, Options, Type, type Static } from '../lib/schema.ts'
import { maskPassword, readCa } from './postgres.ts'

/**
 * Redis connections for every Redis check (redis, queue-depth): the connection options they all
 * declare, URL parsing, TLS, phase timeouts capped against the attempt's deadline, and plain
 * explanations of connection failures.
 */

/** The connection options every Redis kind (redis, queue-depth) declares, declared once here. */
export const REDIS_CONNECTION_FIELDS = Object.freeze({
  url: Type.String({ minLength: 1, description: 'redis://[user:password@]host:port[/db] or rediss:// (TLS), with the optional ACL user and password; put the password in an env: reference (it is masked everywhere)' }),
  ca: Type.Optional(FilePath({ what: 'CA file', targetDefault: 'tls.ca', description: "PEM CA bundle trusted for rediss:// (a file; default: the target's tls.ca, else the system roots)" })),
  servername: Type.Optional(Type.String({ minLength: 1, description: 'TLS server name to verify (default: the URL host)' })),
  connectTimeout: Type.Optional(Duration({ positive: true, default: '5s', description: 'time to connect, handshake, authenticate and become ready' })),
  commandTimeout: Type.Optional(Duration({ positive: true, default: '5s', description: 'time each command may take' })),
})
const ConnectionSchema = Options(REDIS_CONNECTION_FIELDS)
/** The connection options as a check receives them (ms; `ca` a file path or the PEM text). */
export type RedisConnectionFields = Static<typeof ConnectionSchema>

/** How to reach Redis; shared by every Redis check. */
export interface RedisConnectionOptions extends RedisConnectionFields {
  /** Aborting closes the connection. */
  signal?: AbortSignal | undefined
  /** Epoch ms by which the check must be over: the connect and command timeouts are capped against it, so a hang names its phase. */
  deadline?: number | undefined
}

/** What every Redis kind does when it is built: registers the URL's password for redaction. */
export function prepareRedisConnection<T extends RedisConnectionFields>(options: T, ctx: { redactor: Redactor }): T {
  ctx.redactor.addUrlCredentials(options.url)
  return options
}

/** `host:port` of a URL, without credentials (titles). */
export function redisLabel(url: string): string {
  const p = parseRedisUrl(url)
  return `${p.host}:${p.port}`
}

export interface ParsedRedisUrl {
  host: string
  port: number
  db: number
  tls: boolean
  username: string | undefined
  password: string | undefined
  /** The URL with the password masked. */
  maskedUrl: string
}

/** Parses a `redis://` / `rediss://` URL. Throws InvalidArgumentError for anything else. */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  if (typeof url !== 'string' || !/^rediss?:\/\//i.test(url)) throw new InvalidArgumentError(`not a Redis URL (expected redis:// or rediss://): ${maskPassword(String(url))}`)
  let u: URL
  try {
    u = new URL(url)
  } catch (err) {
    throw new InvalidArgumentError(`malformed Redis URL: ${maskPassword(url)}`, { cause: err })
  }
  const dbText = u.pathname.replace(/^\//, '') || u.searchParams.get('db') || '0'
  const db = Number(dbText)
  if (!Number.isInteger(db) || db < 0) throw new InvalidArgumentError(`Redis database must be a non-negative integer, got "${dbText}"`)
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    tls: u.protocol.toLowerCase() === 'rediss:',
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    maskedUrl: maskPassword(url),
  }
}

const CONNECTION_DEFAULTS = defaultsOf(ConnectionSchema, 'connectTimeout', 'commandTimeout')

export interface RedisSession {
  client: Redis
  parsed: ParsedRedisUrl
  connectMs: number
  close(): void
}

/**
 * Checks the connection options without connecting (every Redis kind's validate and check function
 * run it); throws OptionsError naming the field.
 */
export function validateRedisOptions(opts: RedisConnectionFields): { parsed: ParsedRedisUrl; connectTimeout: number; commandTimeout: number } {
  const o = { ...CONNECTION_DEFAULTS, ...stripUndefined(opts) }
  for (const k of ['connectTimeout', 'commandTimeout'] as const) {
    if (!Number.isFinite(o[k]) || o[k] <= 0) throw optionProblem(k, `must be a positive number of ms, got ${o[k]}`)
  }
  try {
    return { parsed: parseRedisUrl(o.url), connectTimeout: o.connectTimeout, commandTimeout: o.commandTimeout }
  } catch (err) {
    throw optionProblem('url', errorMessage(err))
  }
}

/**
 * Connects (no retries, no offline queue) and waits until the server is ready. Rejects with the
 * server's reason (e.g. WRONGPASS), a TimeoutError (phase `connect`) for a server that never
 * answers, or an InterruptedError on abort. The connect phase and every command afterwards are
 * capped against `deadline`, so a hang is reported with its phase before the runner's bare timeout.
 */
export async function openRedis(opts: RedisConnectionOptions): Promise<RedisSession> {
  const { parsed, connectTimeout, commandTimeout } = validateRedisOptions(opts)
  const { deadline, signal } = opts
  const options: RedisOptions = {
    host: parsed.host,
    port: parsed.port,
    db: parsed.db,
    username: parsed.username,
    password: parsed.password,
    lazyConnect: true,
    // ioredis's own limit on the TCP/TLS stage; ours (below, capped) covers the whole connect phase and fires first.
    connectTimeout,
    // No commandTimeout here: the handshake belongs to the connect phase, and commands get theirs in timeCommands.
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    enableOfflineQueue: true,
    connectionName: 'runbook-kit',
  }
  if (parsed.tls) {
    const tls: NonNullable<RedisOptions['tls']> = {}
    const servername = opts.servername ?? parsed.host
    // SNI must not carry an IP (RFC 6066); Node still verifies IP SANs against the host.
    if (!isIP(servername)) tls.servername = servername
    if (opts.ca) tls.ca = readCa(opts.ca)
    options.tls = tls
  }
  if (signal?.aborted) throw new InterruptedError('aborted before connecting')
  const { Redis } = await import('ioredis')
  const client = new Redis(options)
  let lastError: unknown
  client.on('error', (err) => {
    lastError = err
  })
  const started = performance.now()
  const connectMs = capToDeadline(connectTimeout, deadline)
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError('connect', connectMs)), connectMs)
        onAbort = () => reject(new InterruptedError('aborted while connecting'))
        signal?.addEventListener('abort', onAbort, { once: true })
      }),
    ])
  } catch (err) {
    client.disconnect()
    if (err instanceof TimeoutError || err instanceof InterruptedError) throw err
    // ioredis reports "Connection is closed." after the real reason arrived as an 'error' event.
    throw lastError instanceof Error ? lastError : err
  } finally {
    clearTimeout(timer)
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
  const tookMs = Math.round((performance.now() - started) * 10) / 10
  timeCommands(client, commandTimeout, deadline)
  const disconnect = () => client.disconnect()
  signal?.addEventListener('abort', disconnect, { once: true })
  return {
    client,
    parsed,
    connectMs: tookMs,
    close() {
      signal?.removeEventListener('abort', disconnect)
      client.disconnect()
    },
  }
}

/**
 * Gives every command sent from now on its own timeout, capped against the deadline when it is
 * sent (not when the client was made), that rejects with TimeoutError phase `command`. Pipelined
 * commands go through sendCommand too.
 */
function timeCommands(client: Redis, commandTimeout: number, deadline: number | undefined): void {
  const send = client.sendCommand.bind(client)
  client.sendCommand = (command, stream) => {
    const ms = capToDeadline(commandTimeout, deadline)
    const timer = setTimeout(() => command.reject(new TimeoutError('command', ms)), ms)
    const clear = () => clearTimeout(timer)
    command.promise.then(clear, clear)
    return send(command, stream)
  }
}

/** Human reason for a Redis connection failure; never contains credentials. */
export function describeRedisError(err: unknown, parsed: Pick<ParsedRedisUrl, 'host' | 'port'>): string {
  const where = `${parsed.host}:${parsed.port}`
  if (err instanceof TimeoutError) return `cannot connect to Redis at ${where}: ${err.phase} timed out after ${err.timeoutMs} ms (is it a Redis server?)`
  const msg = errorMessage(err)
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg)) return `cannot connect to Redis at ${where}: authentication failed (${msg.replace(/\s*\(\w+\)$/, '')})`
  if (/NOAUTH/i.test(msg)) return `cannot connect to Redis at ${where}: authentication required (no password given)`
  return `cannot connect to Redis at ${where}: ${msg}`
}

/** Loads the Redis client ahead of the first connection (a kind's `preload`). */
export function preloadRedis(): Promise<unknown> {
  return import('ioredis')
}
