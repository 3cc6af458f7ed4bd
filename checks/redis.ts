import { errorMessage, InterruptedError, InvalidArgumentError, optionProblem } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { Bytes, defaultsOf, Duration, Options, Type, type Static } from '../lib/schema.ts'
import { describeRedisError, openRedis, prepareRedisConnection, REDIS_CONNECTION_FIELDS, redisLabel, validateRedisOptions, type RedisSession, preloadRedis } from '../clients/redis.ts'
import { defineKind, type RunContext } from './kind.ts'

/** `kind: redis` — `redisPing`: Redis answers PING; round-trip latency and memory used against limits. */

export const RedisOptions = Options({
  ...REDIS_CONNECTION_FIELDS,
  pings: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'PINGs measured; the median is reported' })),
  maxLatency: Type.Optional(Duration({ default: 0, description: 'fail when the median PING round trip takes longer; 0 = no limit' })),
  maxMemory: Type.Optional(Bytes({ default: 0, description: 'fail when INFO memory used_memory reaches this, e.g. 400MB (the seed runbook); 0 = no limit' })),
})
export type RedisPingOptions = Static<typeof RedisOptions> & RunContext

const PING_DEFAULTS = defaultsOf(RedisOptions, 'pings', 'maxLatency', 'maxMemory')

export const redisKind = defineKind({
  kind: 'redis',
  description: 'Redis answers PING (round trip) and INFO memory used_memory is under a limit',
  options: RedisOptions,
  preload: preloadRedis,
  positional: 'url',
  prepare: prepareRedisConnection,
  validate: validateRedisPingOptions,
  title: redisTitle,
  run: (o, rt) => redisPing({ ...o, ...rt }),
})

/** The default title: "Redis at host:port answers PING". */
export function redisTitle(o: Pick<RedisPingOptions, 'url'>): string {
  return `Redis at ${redisLabel(o.url)} answers PING`
}

/** The option rules (the kind's validate and redisPing both run them); OptionsError names the field. */
export function validateRedisPingOptions(opts: RedisPingOptions): void {
  const o = { ...PING_DEFAULTS, ...stripUndefined(opts) }
  validateRedisOptions(o)
  if (!Number.isInteger(o.pings) || o.pings < 1 || o.pings > 100) throw optionProblem('pings', `must be an integer from 1 to 100, got ${o.pings}`)
  for (const k of ['maxLatency', 'maxMemory'] as const) {
    if (!Number.isFinite(o[k]) || o[k] < 0) throw optionProblem(k, `must be a non-negative number, got ${o[k]}`)
  }
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

/** PING round trip and INFO memory against a limit. */
export async function redisPing(opts: RedisPingOptions): Promise<CheckResult<RedisEvidence>> {
  const o = { ...PING_DEFAULTS, ...stripUndefined(opts) }
  validateRedisPingOptions(o)
  const { parsed } = validateRedisOptions(o)
  const base: RedisEvidence = { url: parsed.maskedUrl, host: parsed.host, port: parsed.port, db: parsed.db, tls: parsed.tls }
  if (o.maxLatency > 0) base.maxLatencyMs = o.maxLatency
  if (o.maxMemory > 0) base.maxMemory = o.maxMemory
  return timed<RedisEvidence>({ id: o.id ?? 'redis', title: o.title ?? redisTitle(o), kind: 'redis' }, async () => {
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
