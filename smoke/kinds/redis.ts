import type { RedisPingOptions } from '../../checks/redis.ts'
import { bytesSchema, parseBytes, redisConnection, redisProperties, urlLabel, type RedisEntryFields, untyped } from './data-shared.ts'
import type { CheckKind } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/redis.ts')

/** A `kind: redis` entry of a target file. */
export interface RedisCheckEntry extends RedisEntryFields {
  pings?: number
  maxLatency?: number
  maxMemory?: number | string
}

export const redisKind: CheckKind<RedisCheckEntry> = {
  kind: 'redis',
  description: 'Redis answers PING (round trip) and INFO memory used_memory is under a limit',
  positional: 'url',
  properties: {
    ...redisProperties,
    pings: { type: 'integer', minimum: 1, maximum: 100, description: 'PINGs measured; the median is reported (default 3)' },
    maxLatency: { type: 'number', minimum: 0, description: 'fail when the median PING exceeds this many ms (default 0: no limit)' },
    maxMemory: { ...bytesSchema, description: 'fail when used_memory reaches this: bytes or 400MB / 512MiB (the seed runbook: 400MB; default 0: no limit)' },
  },
  required: ['url'],
  title: (entry) => `Redis at ${urlLabel(entry.url)} answers PING`,
  build(entry, ctx) {
    const opts: RedisPingOptions = redisConnection(entry, ctx)
    if (entry.pings !== undefined) opts.pings = entry.pings
    if (entry.maxLatency !== undefined) opts.maxLatency = entry.maxLatency
    if (entry.maxMemory !== undefined) opts.maxMemory = parseBytes(entry.maxMemory)
    return untyped(async (signal) => (await load()).redisPing({ ...opts, signal }))
  },
}
