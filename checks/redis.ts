import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { Redis, type RedisOptions } from 'ioredis'
import { errorMessage, InterruptedError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { maskPassword, stripUndefined } from './postgres.ts'

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

export interface RedisPingOptions extends RedisConnectionOptions {
  /** Check id. Default `redis`. */
  id?: string
  /** Check title. Default "Redis at host:port answers PING". */
  title?: string
  /** PINGs measured; the median is reported. Default 3, at least 1. */
  pings?: number
  /** Fail when the median PING round trip exceeds this, ms. Default 0 (no limit). */
  maxLatency?: number
  /** Fail when INFO memory `used_memory` is at or above this, bytes (the seed runbook: 400 MB). Default 0 (no limit). */
  maxMemory?: number
}

export interface RedisEvidence {
  /** The URL with the password masked. */
  url: string
  host: string
  port: number
  db: number
  tls: boolean
  connectMs?: number
  /** Median PING round trip, ms. */
  pingMs?: number
  maxLatencyMs?: number
  redisVersion?: string
  role?: string
  usedMemory?: number
  usedMemoryHuman?: string
  /** The server's own `maxmemory` (0 = unlimited). */
  serverMaxmemory?: number
  /** The limit this check enforces, bytes. */
  maxMemory?: number
  connectedClients?: number
  error?: string
}

export interface RedisObservation {
  connected: boolean
  error?: string
  pingMs?: number
  usedMemory?: number
  usedMemoryHuman?: string
}

/** Pure judgement of PING and memory. */
export function judgeRedis(obs: RedisObservation, limits: { maxLatency: number; maxMemory: number }): Pick<Verdict, 'status' | 'message'> {
  if (!obs.connected) return { status: 'fail', message: obs.error ?? 'cannot connect' }
  if (limits.maxLatency > 0 && obs.pingMs !== undefined && obs.pingMs > limits.maxLatency) return { status: 'fail', message: `PING round trip ${obs.pingMs} ms exceeds ${limits.maxLatency} ms` }
  if (limits.maxMemory > 0 && obs.usedMemory !== undefined && obs.usedMemory >= limits.maxMemory) {
    return { status: 'fail', message: `used memory ${formatBytes(obs.usedMemory)} is at or above the limit ${formatBytes(limits.maxMemory)}` }
  }
  const mem = obs.usedMemory !== undefined ? `, used memory ${formatBytes(obs.usedMemory)}${limits.maxMemory > 0 ? ` of ${formatBytes(limits.maxMemory)} allowed` : ''}` : ''
  return { status: 'pass', message: `PONG in ${obs.pingMs} ms${mem}` }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${Math.round(v * 10) / 10} ${units[i]}`
}

/** `INFO` text → field map. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue
    const i = line.indexOf(':')
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1)
  }
  return out
}

const PING_DEFAULTS = Object.freeze({ pings: 3, maxLatency: 0, maxMemory: 0 })

/** PING round trip and INFO memory against a limit. */
export async function redisPing(opts: RedisPingOptions): Promise<CheckResult<RedisEvidence>> {
  const o = { ...PING_DEFAULTS, ...stripUndefined(opts) }
  const { parsed } = validateRedisOptions(o)
  if (!Number.isInteger(o.pings) || o.pings < 1 || o.pings > 100) throw new InvalidArgumentError(`pings must be an integer from 1 to 100, got ${o.pings}`)
  for (const k of ['maxLatency', 'maxMemory'] as const) {
    if (!Number.isFinite(o[k]) || o[k] < 0) throw new InvalidArgumentError(`${k} must be a non-negative number, got ${o[k]}`)
  }
  const base: RedisEvidence = { url: parsed.maskedUrl, host: parsed.host, port: parsed.port, db: parsed.db, tls: parsed.tls }
  if (o.maxLatency > 0) base.maxLatencyMs = o.maxLatency
  if (o.maxMemory > 0) base.maxMemory = o.maxMemory
  return timed<RedisEvidence>({ id: o.id ?? 'redis', title: o.title ?? `Redis at ${parsed.host}:${parsed.port} answers PING`, kind: 'redis' }, async () => {
    let session: RedisSession
    try {
      session = await openRedis(o)
    } catch (err) {
      if (err instanceof InvalidArgumentError || err instanceof InterruptedError) throw err
      const message = describeRedisError(err, parsed)
      return { status: 'fail', message, evidence: { ...base, error: message } }
    }
    const evidence: RedisEvidence = { ...base, connectMs: session.connectMs }
    try {
      const times: number[] = []
      for (let i = 0; i < o.pings; i++) {
        const t = performance.now()
        const pong = await session.client.ping()
        times.push(performance.now() - t)
        if (pong !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(pong)}`)
      }
      times.sort((a, b) => a - b)
      evidence.pingMs = Math.round(times[Math.floor(times.length / 2)]! * 100) / 100
      const info = parseInfo(await session.client.info())
      evidence.redisVersion = info.redis_version
      evidence.role = info.role
      if (info.used_memory !== undefined) evidence.usedMemory = Number(info.used_memory)
      evidence.usedMemoryHuman = info.used_memory_human
      if (info.maxmemory !== undefined) evidence.serverMaxmemory = Number(info.maxmemory)
      if (info.connected_clients !== undefined) evidence.connectedClients = Number(info.connected_clients)
    } catch (err) {
      if (o.signal?.aborted) throw new InterruptedError('aborted', { cause: err })
      const message = `connected, but a command failed: ${errorMessage(err)}`
      return { status: 'fail', message, evidence: { ...evidence, error: message } }
    } finally {
      session.close()
    }
    const verdict = judgeRedis({ connected: true, pingMs: evidence.pingMs, usedMemory: evidence.usedMemory }, o)
    return { ...verdict, evidence }
  })
}
