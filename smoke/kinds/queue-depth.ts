import type { BullState, QueueAdapter, QueueDepthOptions } from '../../checks/queue-depth.ts'
import { redisConnection, redisProperties, type RedisEntryFields, untyped } from './data-shared.ts'
import type { CheckKind } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/queue-depth.ts')

/** A `kind: queue-depth` entry of a target file. "Drained" is `max: 0` with `eventually:`. */
export interface QueueDepthCheckEntry extends RedisEntryFields {
  adapter: QueueAdapter
  queue?: string
  max?: number
  sep?: string
  prioritySteps?: number[]
  keyPrefix?: string
  unackedKey?: string
  prefix?: string
  states?: BullState[]
  failIfPaused?: boolean
  group?: string
}

export const queueDepthKind: CheckKind<QueueDepthCheckEntry> = {
  kind: 'queue-depth',
  description: 'messages waiting in a Redis-backed queue (Celery/kombu, BullMQ or a stream consumer group) are at most max; max 0 with eventually = wait until drained',
  properties: {
    ...redisProperties,
    adapter: { type: 'string', enum: ['celery', 'bullmq', 'stream'], description: 'which queue library wrote the keys' },
    queue: { type: 'string', minLength: 1, description: 'queue name (celery: default celery; bullmq: required) or stream key (stream: required)' },
    max: { type: 'integer', minimum: 0, description: 'fail when the depth is above this (default 1000; 0 = drained, usually with eventually:)' },
    sep: { type: 'string', minLength: 1, description: "celery: kombu's sep transport option (default \\x06\\x16)" },
    prioritySteps: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1, description: "celery: kombu's priority_steps (default [0, 3, 6, 9])" },
    keyPrefix: { type: 'string', description: "celery: kombu's global_keyprefix (default empty)" },
    unackedKey: { type: 'string', minLength: 1, description: "celery: kombu's unacked hash, reported separately (default unacked)" },
    prefix: { type: 'string', minLength: 1, description: 'bullmq: key prefix (default bull)' },
    states: {
      type: 'array',
      items: { type: 'string', enum: ['waiting', 'paused', 'active', 'prioritized', 'delayed', 'waiting-children', 'failed', 'completed'] },
      minItems: 1,
      description: 'bullmq: states counted toward the depth (default waiting, paused, prioritized, delayed, waiting-children)',
    },
    failIfPaused: { type: 'boolean', description: 'bullmq: fail when the queue is paused (default false: a paused queue passes on depth, with a warning)' },
    group: { type: 'string', minLength: 1, description: 'stream: only this consumer group (default: every group; the depth is the largest backlog)' },
  },
  required: ['url', 'adapter'],
  title: (entry) => `Queue ${entry.queue ?? (entry.adapter === 'celery' ? 'celery' : '?')} depth is at most ${entry.max ?? 1000}`,
  build(entry, ctx) {
    const opts: QueueDepthOptions = { ...redisConnection(entry, ctx), adapter: entry.adapter }
    for (const k of ['queue', 'max', 'sep', 'prioritySteps', 'keyPrefix', 'unackedKey', 'prefix', 'states', 'failIfPaused', 'group'] as const) {
      if (entry[k] !== undefined) (opts as unknown as Record<string, unknown>)[k] = entry[k]
    }
    return untyped(async (signal) => (await load()).queueDepth({ ...opts, signal }))
  },
}
