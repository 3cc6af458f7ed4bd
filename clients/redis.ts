import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { Redis, type RedisOptions } from 'ioredis'
import { errorMessage, InterruptedError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'
import { maskPassword } from './postgres.ts'

/**
 * Redis connectivity: `redisPing`, plus the connection helper `queueDepth` shares.
 */

/** How to reach Redis; shared by every Redis check. */
export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` (TLS). ACL user and password come from the URL. */
  url: string
  /** PEM file with the CA(s) to trust for `rediss://`. Default: system roots. */
  ca?: string
  /** TLS server name to verify. Default: the URL's host. */
  servername?: string
  /** TCP connect + TLS handshake + AUTH + ready check, in ms. Default 5000. */
  connectTimeout?: number
  /** Each command, in ms. Default 5000. */
  commandTimeout?: number
  /** Aborting closes the connection. */
  signal?: AbortSignal
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

const CONNECTION_DEFAULTS = Object.freeze({ connectTimeout: 5_000, commandTimeout: 5_000 })

export interface RedisSession {
  client: Redis
  parsed: ParsedRedisUrl
  connectMs: number
  close(): void
}

/** Checks the options without connecting; throws InvalidArgumentError. */
export function validateRedisOptions(opts: RedisConnectionOptions): { parsed: ParsedRedisUrl; connectTimeout: number; commandTimeout: number } {
  const o = { ...CONNECTION_DEFAULTS, ...stripUndefined(opts) }
  for (const k of ['connectTimeout', 'commandTimeout'] as const) {
    if (!Number.isFinite(o[k]) || o[k] <= 0) throw new InvalidArgumentError(`${k} must be a positive number of ms, got ${o[k]}`)
  }
  return { parsed: parseRedisUrl(o.url), connectTimeout: o.connectTimeout, commandTimeout: o.commandTimeout }
}

/**
 * Connects (no retries, no offline queue) and waits until the server is ready. Rejects with the
 * server's reason (e.g. WRONGPASS), a TimeoutError (phase `connect`) for a server that never
 * answers, or an InterruptedError on abort.
 */
export async function openRedis(opts: RedisConnectionOptions): Promise<RedisSession> {
  const { parsed, connectTimeout, commandTimeout } = validateRedisOptions(opts)
  const options: RedisOptions = {
    host: parsed.host,
    port: parsed.port,
    db: parsed.db,
    username: parsed.username,
    password: parsed.password,
    lazyConnect: true,
    connectTimeout,
    commandTimeout,
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
    if (opts.ca) {
      try {
        tls.ca = readFileSync(opts.ca, 'utf8')
      } catch (err) {
        throw new InvalidArgumentError(`cannot read CA file ${opts.ca}: ${errorMessage(err)}`, { cause: err })
      }
    }
    options.tls = tls
  }
  const client = new Redis(options)
  let lastError: unknown
  client.on('error', (err) => {
    lastError = err
  })
  const signal = opts.signal
  if (signal?.aborted) throw new InterruptedError('aborted before connecting')
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError('connect', connectTimeout)), connectTimeout)
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
  const connectMs = Math.round((performance.now() - started) * 10) / 10
  const disconnect = () => client.disconnect()
  signal?.addEventListener('abort', disconnect, { once: true })
  return {
    client,
    parsed,
    connectMs,
    close() {
      signal?.removeEventListener('abort', disconnect)
      client.disconnect()
    },
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
