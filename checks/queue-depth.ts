import type { Redis } from 'ioredis'
import { errorMessage, InterruptedError, InvalidArgumentError, optionProblem } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Options, Type, type Static } from '../lib/schema.ts'
import { describeRedisError, openRedis, prepareRedisConnection, REDIS_CONNECTION_FIELDS, validateRedisOptions, type RedisSession } from '../clients/redis.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: queue-depth` — `queueDepth`: how many messages wait in a Redis-backed queue, against a `max`. Three adapters,
 * each reading the keys the way the queue library itself does:
 * - `celery`: kombu's Redis transport. A queue is a list named after the queue; priorities live in
 *   `<queue><sep><step>` lists (sep `\x06\x16`, steps 0,3,6,9; step 0 is the bare name), all under
 *   the optional `global_keyprefix`. Depth = sum of LLEN, as kombu's `_size`. Messages reserved by
 *   workers sit in the `unacked` hash, reported separately (they are not in the lists).
 * - `bullmq`: the counts BullMQ's `getJobCounts` reads under `<prefix>:<queue>:` (wait/paused/active
 *   lists, delayed/prioritized/failed/completed/waiting-children sorted sets).
 * - `stream`: Redis stream consumer groups (`XINFO GROUPS`): per group, pending + lag.
 * "Drained" is `max: 0` run with the runner's `eventually` retries.
 */

export type QueueAdapter = 'celery' | 'bullmq' | 'stream'
const ADAPTERS: readonly QueueAdapter[] = ['celery', 'bullmq', 'stream']
export type BullState = 'waiting' | 'paused' | 'active' | 'prioritized' | 'delayed' | 'waiting-children' | 'failed' | 'completed'
const BULL_STATES: readonly BullState[] = ['waiting', 'paused', 'active', 'prioritized', 'delayed', 'waiting-children', 'failed', 'completed']

export const QueueDepthOptions = Options({
  ...REDIS_CONNECTION_FIELDS,
  adapter: Type.Unsafe<QueueAdapter>({ type: 'string', enum: [...ADAPTERS], description: 'which queue library wrote the keys' }),
  queue: Type.Optional(Type.String({ minLength: 1, description: 'queue name (celery: default celery; bullmq: required) or stream key (stream: required)' })),
  max: Type.Optional(Type.Integer({ minimum: 0, default: 1000, description: 'fail when the depth is above this (the seed runbook pages over 1000); 0 = drained, usually with eventually' })),
  sep: Type.Optional(Type.String({ minLength: 1, default: '\x06\x16', description: "celery: kombu's sep transport option" })),
  prioritySteps: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, default: [0, 3, 6, 9], description: "celery: kombu's priority_steps transport option" })),
  keyPrefix: Type.Optional(Type.String({ default: '', description: "celery: kombu's global_keyprefix transport option" })),
  unackedKey: Type.Optional(Type.String({ minLength: 1, default: 'unacked', description: "celery: kombu's unacked hash (unacked_key), reported separately" })),
  prefix: Type.Optional(Type.String({ minLength: 1, default: 'bull', description: 'bullmq: key prefix' })),
  states: Type.Optional(Type.Array(Type.Unsafe<BullState>({ type: 'string', enum: [...BULL_STATES] }), {
    minItems: 1,
    // BullMQ's count() plus paused.
    default: ['waiting', 'paused', 'prioritized', 'delayed', 'waiting-children'],
    description: 'bullmq: states counted toward the depth',
  })),
  group: Type.Optional(Type.String({ minLength: 1, description: 'stream: only this consumer group (default: every group; the depth is the largest group backlog)' })),
})
export type QueueDepthOptions = Static<typeof QueueDepthOptions> & RunContext

export const queueDepthKind = defineKind({
  kind: 'queue-depth',
  description: 'messages waiting in a Redis-backed queue (Celery/kombu, BullMQ or a stream consumer group) are at most max; max 0 with eventually = wait until drained',
  options: QueueDepthOptions,
  prepare: prepareRedisConnection,
  validate: validateQueueDepthOptions,
  title: queueDepthTitle,
  run: (o, rt) => queueDepth({ ...o, ...rt }),
})

/** The default title: "Queue <name> depth is at most <max>". */
export function queueDepthTitle(o: Pick<QueueDepthOptions, 'adapter' | 'queue' | 'max'>): string {
  return `Queue ${o.queue ?? (o.adapter === 'celery' ? 'celery' : '?')} depth is at most ${o.max ?? DEFAULTS.max}`
}

/** The option rules (the kind's validate and queueDepth both run them); OptionsError names the field. */
export function validateQueueDepthOptions(opts: QueueDepthOptions): void {
  const o = { ...DEFAULTS, ...stripUndefined(opts) }
  validateRedisOptions(o)
  if (!ADAPTERS.includes(o.adapter)) throw optionProblem('adapter', `must be one of ${ADAPTERS.join(', ')}, got "${String(o.adapter)}"`)
  if (!Number.isInteger(o.max) || o.max < 0) throw optionProblem('max', `must be a non-negative integer, got ${o.max}`)
  if (o.queue === '') throw optionProblem('queue', 'must not be empty')
  // Named at adapter, which is written (a missing field has no line in a target file).
  if (o.queue === undefined && o.adapter !== 'celery') throw optionProblem('adapter', `the ${o.adapter} adapter needs {queue}${o.adapter === 'stream' ? ' (the stream key)' : ' (the queue name)'}`)
  if (!Array.isArray(o.prioritySteps) || o.prioritySteps.length === 0 || o.prioritySteps.some((s) => !Number.isInteger(s) || s < 0)) {
    throw optionProblem('prioritySteps', 'must be a non-empty list of non-negative integers')
  }
  if (!Array.isArray(o.states) || o.states.length === 0 || o.states.some((s) => !BULL_STATES.includes(s))) {
    throw optionProblem('states', `must be a non-empty list of ${BULL_STATES.join(', ')}`)
  }
}

export interface CeleryCounts {
  adapter: 'celery'
  /** LLEN per key (keys shown with the separator escaped). */
  keys: { key: string; priority: number; length: number }[]
  /** Messages reserved by workers (HLEN of the unacked hash), for every queue on this broker DB. */
  unacked: number
  /** True when no priority list exists (an empty queue, or a wrong queue name or prefix). */
  noKeys: boolean
}

export interface BullCounts {
  adapter: 'bullmq'
  counts: Record<BullState, number>
  /** States summed into the depth. */
  counted: BullState[]
  /** False when `<prefix>:<queue>:meta` does not exist (never used, or a wrong name or prefix). */
  queueKnown: boolean
}

export interface StreamGroupRow {
  group: string
  consumers: number
  /** Delivered but not acknowledged (XINFO GROUPS `pending`). */
  pending: number
  /** Entries not yet delivered to the group (`lag`); counted with XRANGE when Redis cannot tell. */
  lag: number
  /** True when `lag` was counted with a bounded XRANGE (max + 1 entries) and may be higher. */
  lagAtLeast?: boolean
  lastDeliveredId: string
  /** pending + lag. */
  backlog: number
}

export interface StreamCounts {
  adapter: 'stream'
  exists: boolean
  length: number
  groups: StreamGroupRow[]
  /** The group the check was limited to, when set. */
  group?: string
}

export type QueueObservation = CeleryCounts | BullCounts | StreamCounts

export interface QueueDepthEvidence {
  url: string
  adapter: QueueAdapter
  queue: string
  max: number
  depth?: number
  /** celery: per-key lengths and the unacked count. */
  keys?: CeleryCounts['keys']
  unacked?: number
  /** bullmq: per-state counts. */
  counts?: Record<string, number>
  counted?: string[]
  /** stream: per-group rows. */
  groups?: StreamGroupRow[]
  streamLength?: number
  error?: string
}

const DEFAULTS = defaultsOf(QueueDepthOptions, 'max', 'sep', 'prioritySteps', 'keyPrefix', 'unackedKey', 'prefix', 'states')

/** kombu's `_q_for_pri`: step 0 is the bare queue name, other steps append `<sep><step>`. */
export function celeryQueueKeys(queue: string, opts: { sep?: string; prioritySteps?: number[]; keyPrefix?: string } = {}): { key: string; priority: number }[] {
  const sep = opts.sep ?? DEFAULTS.sep
  const steps = opts.prioritySteps ?? DEFAULTS.prioritySteps
  const prefix = opts.keyPrefix ?? ''
  return [...new Set(steps)].sort((a, b) => a - b).map((p) => ({ key: prefix + (p ? `${queue}${sep}${p}` : queue), priority: p }))
}

/** The depth and whether it is within `max`. Pure. */
export function judgeQueueDepth(obs: QueueObservation, queue: string, max: number): Verdict<{ depth: number }> & { warnings?: string[] } {
  const warnings: string[] = []
  let depth: number
  let detail: string
  switch (obs.adapter) {
    case 'celery': {
      depth = obs.keys.reduce((s, k) => s + k.length, 0)
      const parts = obs.keys.filter((k) => k.length > 0).map((k) => `priority ${k.priority}: ${k.length}`)
      detail = `${parts.length > 0 ? parts.join(', ') : 'all priority lists empty'}; ${obs.unacked} reserved by workers (unacked, not counted)`
      if (obs.noKeys) warnings.push(`no list exists for queue "${queue}": an empty queue looks like this, and so does a wrong queue name or key prefix`)
      break
    }
    case 'bullmq': {
      depth = obs.counted.reduce((s, st) => s + obs.counts[st], 0)
      detail = BULL_STATES.filter((s) => obs.counts[s] > 0 || obs.counted.includes(s)).map((s) => `${s} ${obs.counts[s]}${obs.counted.includes(s) ? '' : ' (not counted)'}`).join(', ')
      if (!obs.queueKnown) warnings.push(`BullMQ queue "${queue}" has no meta key: it was never used, or the name or prefix is wrong`)
      break
    }
    case 'stream': {
      if (!obs.exists) return { status: 'fail', message: `stream "${queue}" does not exist`, evidence: { depth: 0 } }
      if (obs.group && obs.groups.length === 0) return { status: 'fail', message: `stream "${queue}" has no consumer group "${obs.group}"`, evidence: { depth: 0 } }
      if (obs.groups.length === 0) return { status: 'fail', message: `stream "${queue}" has no consumer groups: nothing consumes it (${obs.length} entries)`, evidence: { depth: 0 } }
      depth = Math.max(...obs.groups.map((g) => g.backlog))
      detail = obs.groups.map((g) => `${g.group}: ${g.pending} pending + ${g.lagAtLeast ? 'at least ' : ''}${g.lag} lag`).join(', ')
      break
    }
  }
  const status = depth <= max ? 'pass' : 'fail'
  const message = status === 'pass' ? `depth ${depth} within max ${max} (${detail})` : `depth ${depth} exceeds max ${max} (${detail})`
  return { status, message, evidence: { depth }, ...(warnings.length > 0 ? { warnings } : {}) }
}

/** Reads the queue's keys and compares the depth with `max`. */
export async function queueDepth(opts: QueueDepthOptions): Promise<CheckResult<QueueDepthEvidence>> {
  const o = { ...DEFAULTS, ...stripUndefined(opts) }
  validateQueueDepthOptions(o)
  const { parsed } = validateRedisOptions(o)
  const queue = o.queue ?? 'celery'
  const base: QueueDepthEvidence = { url: parsed.maskedUrl, adapter: o.adapter, queue, max: o.max }
  return timed<QueueDepthEvidence>({ id: o.id ?? 'queue-depth', title: o.title ?? queueDepthTitle(o), kind: 'queue-depth' }, async () => {
    let session: RedisSession
    try {
      session = await openRedis(o)
    } catch (err) {
      if (err instanceof InvalidArgumentError || err instanceof InterruptedError) throw err
      const message = describeRedisError(err, parsed)
      return { status: 'fail', message, evidence: { ...base, error: message } }
    }
    let obs: QueueObservation
    try {
      obs = o.adapter === 'celery' ? await readCelery(session.client, queue, o) : o.adapter === 'bullmq' ? await readBull(session.client, queue, o.prefix, o.states) : await readStream(session.client, queue, o.group, o.max)
    } catch (err) {
      if (o.signal?.aborted) throw new InterruptedError('aborted', { cause: err })
      const message = `connected, but reading the queue failed: ${errorMessage(err)}`
      return { status: 'fail', message, evidence: { ...base, error: message } }
    } finally {
      session.close()
    }
    const verdict = judgeQueueDepth(obs, queue, o.max)
    const evidence: QueueDepthEvidence = { ...base, depth: verdict.evidence.depth }
    if (obs.adapter === 'celery') {
      evidence.keys = obs.keys.map((k) => ({ ...k, key: printableKey(k.key) }))
      evidence.unacked = obs.unacked
    } else if (obs.adapter === 'bullmq') {
      evidence.counts = obs.counts
      evidence.counted = obs.counted
    } else {
      evidence.groups = obs.groups
      evidence.streamLength = obs.length
    }
    return { status: verdict.status, message: verdict.message, evidence, ...(verdict.warnings ? { warnings: verdict.warnings } : {}) }
  })
}

/** Control characters (kombu's `\x06\x16`) made visible for reports. */
function printableKey(key: string): string {
  return key.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

async function readCelery(client: Redis, queue: string, o: { sep: string; prioritySteps: number[]; keyPrefix: string; unackedKey: string }): Promise<CeleryCounts> {
  const keys = celeryQueueKeys(queue, o)
  const pipe = client.pipeline()
  for (const k of keys) pipe.llen(k.key)
  for (const k of keys) pipe.exists(k.key)
  pipe.hlen(o.keyPrefix + o.unackedKey)
  const replies = await execPipeline(pipe)
  const n = keys.length
  const lengths = replies.slice(0, n).map(Number)
  const exists = replies.slice(n, 2 * n).map(Number)
  return {
    adapter: 'celery',
    keys: keys.map((k, i) => ({ ...k, length: lengths[i]! })),
    unacked: Number(replies[2 * n]),
    noKeys: exists.every((e) => e === 0),
  }
}

async function readBull(client: Redis, queue: string, prefix: string, counted: BullState[]): Promise<BullCounts> {
  const key = (s: string) => `${prefix}:${queue}:${s}`
  const pipe = client.pipeline()
  pipe.llen(key('wait'))
  pipe.lindex(key('wait'), -1)
  pipe.llen(key('paused'))
  pipe.lindex(key('paused'), -1)
  pipe.llen(key('active'))
  for (const z of ['prioritized', 'delayed', 'waiting-children', 'failed', 'completed']) pipe.zcard(key(z))
  pipe.exists(key('meta'))
  const r = await execPipeline(pipe)
  // BullMQ's getCounts script: a legacy marker ("0:...") at the tail of wait/paused is not a job.
  const listCount = (len: unknown, tail: unknown) => Math.max(0, Number(len) - (typeof tail === 'string' && tail.startsWith('0:') ? 1 : 0))
  const counts: Record<BullState, number> = {
    waiting: listCount(r[0], r[1]),
    paused: listCount(r[2], r[3]),
    active: Number(r[4]),
    prioritized: Number(r[5]),
    delayed: Number(r[6]),
    'waiting-children': Number(r[7]),
    failed: Number(r[8]),
    completed: Number(r[9]),
  }
  return { adapter: 'bullmq', counts, counted: [...counted], queueKnown: Number(r[10]) === 1 }
}

async function readStream(client: Redis, stream: string, onlyGroup: string | undefined, max: number): Promise<StreamCounts> {
  const type = await client.type(stream)
  if (type === 'none') return { adapter: 'stream', exists: false, length: 0, groups: [], ...(onlyGroup ? { group: onlyGroup } : {}) }
  if (type !== 'stream') throw new Error(`key "${stream}" is a ${type}, not a stream`)
  const length = await client.xlen(stream)
  const raw = (await client.call('XINFO', 'GROUPS', stream)) as unknown[]
  const groups: StreamGroupRow[] = []
  for (const entry of raw) {
    const f = pairs(entry as unknown[])
    const name = String(f.name)
    if (onlyGroup && name !== onlyGroup) continue
    const lastDeliveredId = String(f['last-delivered-id'])
    let lag: number
    let lagAtLeast = false
    if (f.lag === null || f.lag === undefined) {
      // Redis < 7 has no lag, and 7 reports nil after XDEL/XTRIM: count what follows the group's
      // last delivered id, bounded (max + 1 entries are enough to judge).
      const after = (await client.xrange(stream, `(${lastDeliveredId}`, '+', 'COUNT', max + 1)) as unknown[]
      lag = after.length
      lagAtLeast = after.length > max
    } else lag = Number(f.lag)
    const pending = Number(f.pending)
    groups.push({ group: name, consumers: Number(f.consumers), pending, lag, ...(lagAtLeast ? { lagAtLeast } : {}), lastDeliveredId, backlog: pending + lag })
  }
  return { adapter: 'stream', exists: true, length, groups, ...(onlyGroup ? { group: onlyGroup } : {}) }
}

function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1]
  return out
}

async function execPipeline(pipe: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = (await pipe.exec()) ?? []
  return results.map(([err, value]) => {
    if (err) throw err
    return value
  })
}
