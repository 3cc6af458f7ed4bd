import type { Redis } from 'ioredis'
import { errorMessage, InterruptedError, InvalidArgumentError, optionProblem } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Options, Type, type Static } from '../lib/schema.ts'
import { describeRedisError, openRedis, prepareRedisConnection, REDIS_CONNECTION_FIELDS, validateRedisOptions, type RedisSession, preloadRedis } from '../clients/redis.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: queue-depth` — `queueDepth`: how many messages wait in a Redis-backed queue, against a `max`. Three adapters,
 * each reading the keys the way the queue library itself does:
 * - `celery`: kombu's Redis transport. A queue is a list named after the queue; priorities live in
 *   `<queue><sep><step>` lists (sep `\x06\x16`, steps 0,3,6,9; step 0 is the bare name), all under
 *   the optional `global_keyprefix`. Depth = sum of LLEN, as kombu's `_size`. Messages reserved by
 *   workers sit in the `unacked` hash, reported separately (they are not in the lists). A `sep` or
 *   `prioritySteps` that differs from the producer's silently undercounts (kombu's own `_size`
 *   does too), so the lists a producer with another common separator or step would write are probed
 *   and reported as a warning with what they hold.
 * - `bullmq`: the counts BullMQ's `getJobCounts` reads under `<prefix>:<queue>:` (wait/paused/active
 *   lists, delayed/prioritized/failed/completed/waiting-children sorted sets), and whether the queue
 *   is paused (`paused` in the meta hash, BullMQ's `isPaused`): since BullMQ 5 a paused queue keeps
 *   its jobs in `wait`, so the `paused` count stays 0 and only the flag tells.
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
  failIfPaused: Type.Optional(Type.Boolean({ default: false, description: 'bullmq: fail when the queue is paused (workers take no jobs from it); off, a paused queue is a warning' })),
  group: Type.Optional(Type.String({ minLength: 1, description: 'stream: only this consumer group (default: every group; the depth is the largest group backlog)' })),
})
export type QueueDepthOptions = Static<typeof QueueDepthOptions> & RunContext

export const queueDepthKind = defineKind({
  kind: 'queue-depth',
  description: 'messages waiting in a Redis-backed queue (Celery/kombu with priorities and unacked apart, BullMQ, or a stream consumer group) are at most max; max 0 with eventually = wait until drained; warns about priority lists under another separator, says a BullMQ queue is paused',
  options: QueueDepthOptions,
  preload: preloadRedis,
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
  /**
   * Non-empty lists holding this queue's messages under another common separator, or under the
   * configured separator with a step outside `prioritySteps`: not counted in the depth.
   */
  uncounted?: UncountedKey[]
}

/** A priority list of the queue that the configured `sep` / `prioritySteps` do not name. */
export interface UncountedKey {
  /** Key as stored (raw separator characters). */
  key: string
  priority: number
  length: number
  separator: string
}

export interface BullCounts {
  adapter: 'bullmq'
  counts: Record<BullState, number>
  /** States summed into the depth. */
  counted: BullState[]
  /** False when `<prefix>:<queue>:meta` does not exist (never used, or a wrong name or prefix). */
  queueKnown: boolean
  /** True when the meta hash has a `paused` field (BullMQ's `isPaused()`). */
  paused: boolean
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
  /** celery: this queue's priority lists the configured sep / prioritySteps miss (keys and separators shown escaped). */
  uncountedKeys?: UncountedKey[]
  /** celery: messages in `uncountedKeys`. */
  uncountedDepth?: number
  /** bullmq: the queue is paused. */
  paused?: boolean
  /** bullmq: per-state counts. */
  counts?: Record<string, number>
  counted?: string[]
  /** stream: per-group rows. */
  groups?: StreamGroupRow[]
  streamLength?: number
  error?: string
}

const DEFAULTS = defaultsOf(QueueDepthOptions, 'max', 'sep', 'prioritySteps', 'keyPrefix', 'unackedKey', 'prefix', 'states', 'failIfPaused')

/**
 * Separators probed for priority lists the configured one misses: kombu's default and the ones
 * people set (kombu's docs show ':'). kombu clamps priorities to 0..9, so steps 1..9 cover every list.
 */
const PROBED_SEPARATORS: readonly string[] = ['\x06\x16', ':', '.', '-', '_', '/', '|', '#', ';']
const PROBED_STEPS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9]

/** kombu's `_q_for_pri`: step 0 is the bare queue name, other steps append `<sep><step>`. */
export function celeryQueueKeys(queue: string, opts: { sep?: string; prioritySteps?: number[]; keyPrefix?: string } = {}): { key: string; priority: number }[] {
  const sep = opts.sep ?? DEFAULTS.sep
  const steps = opts.prioritySteps ?? DEFAULTS.prioritySteps
  const prefix = opts.keyPrefix ?? ''
  return [...new Set(steps)].sort((a, b) => a - b).map((p) => ({ key: prefix + (p ? `${queue}${sep}${p}` : queue), priority: p }))
}

/** What the judgement needs besides the observation: the options the keys were read with. */
export interface QueueJudgeOptions {
  /** bullmq: a paused queue fails. Default false. */
  failIfPaused?: boolean
  /** celery: the separator and steps the keys were read with (for the uncounted-lists warning). */
  sep?: string
  prioritySteps?: number[]
}

/** The depth and whether it is within `max`. Pure. */
export function judgeQueueDepth(obs: QueueObservation, queue: string, max: number, opts: QueueJudgeOptions = {}): Verdict<{ depth: number }> & { warnings?: string[] } {
  const warnings: string[] = []
  let paused = false
  let depth: number
  let detail: string
  switch (obs.adapter) {
    case 'celery': {
      depth = obs.keys.reduce((s, k) => s + k.length, 0)
      const parts = obs.keys.filter((k) => k.length > 0).map((k) => `priority ${k.priority}: ${k.length}`)
      detail = `${parts.length > 0 ? parts.join(', ') : 'all priority lists empty'}; ${obs.unacked} reserved by workers (unacked, not counted)`
      if (obs.noKeys && !(obs.uncounted && obs.uncounted.length > 0)) warnings.push(`no list exists for queue "${queue}": an empty queue looks like this, and so does a wrong queue name or key prefix`)
      if (obs.uncounted && obs.uncounted.length > 0) warnings.push(uncountedWarning(obs.uncounted, queue, opts.sep ?? DEFAULTS.sep, opts.prioritySteps ?? DEFAULTS.prioritySteps))
      break
    }
    case 'bullmq': {
      depth = obs.counted.reduce((s, st) => s + obs.counts[st], 0)
      // `paused` is BullMQ's legacy paused list (before 5, pausing moved jobs there); an empty one
      // says nothing about whether the queue is paused, so it is shown only when it holds jobs.
      detail = BULL_STATES.filter((s) => obs.counts[s] > 0 || (obs.counted.includes(s) && s !== 'paused')).map((s) => `${s} ${obs.counts[s]}${obs.counted.includes(s) ? '' : ' (not counted)'}`).join(', ')
      if (!obs.queueKnown) warnings.push(`BullMQ queue "${queue}" has no meta key: it was never used, or the name or prefix is wrong`)
      if (obs.paused) {
        paused = true
        const held = obs.counts.waiting + obs.counts.paused + obs.counts.prioritized + obs.counts.delayed
        warnings.push(`BullMQ queue "${queue}" is paused: workers take no jobs from it until it is resumed (${held} waiting or delayed)`)
      }
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
  const w = warnings.length > 0 ? { warnings } : {}
  if (paused && opts.failIfPaused) {
    return { status: 'fail', message: `BullMQ queue "${queue}" is paused (failIfPaused): workers take no jobs from it until it is resumed; depth ${depth} (${detail})`, evidence: { depth }, ...w }
  }
  const status = depth <= max ? 'pass' : 'fail'
  const pausedText = paused ? '; queue is paused' : ''
  const message = status === 'pass' ? `depth ${depth} within max ${max} (${detail})${pausedText}` : `depth ${depth} exceeds max ${max} (${detail})${pausedText}`
  return { status, message, evidence: { depth }, ...w }
}

/** One line: how many messages sit in lists the configured sep / steps miss, and which setting would count them. */
function uncountedWarning(uncounted: readonly UncountedKey[], queue: string, sep: string, steps: readonly number[]): string {
  const total = uncounted.reduce((n, k) => n + k.length, 0)
  const keys = uncounted.map((k) => `${printableKey(k.key)} (${k.length})`).join(', ')
  const fixes: string[] = []
  const others = [...new Set(uncounted.filter((k) => k.separator !== sep).map((k) => k.separator))]
  if (others.length > 0) {
    const list = others.map((x) => `"${printableKey(x)}"`).join(' and ')
    fixes.push(`they use the separator${others.length > 1 ? 's' : ''} ${list} (sep is "${printableKey(sep)}"): set sep: ${list}`)
  }
  const missingSteps = [...new Set(uncounted.filter((k) => k.separator === sep).map((k) => k.priority))].sort((a, b) => a - b)
  if (missingSteps.length > 0) {
    fixes.push(`steps ${missingSteps.join(', ')} are not in prioritySteps [${[...steps].sort((a, b) => a - b).join(', ')}]: set prioritySteps to kombu's priority_steps`)
  }
  return `${total} message${total === 1 ? '' : 's'} of queue "${queue}" are in priority lists this check does not count: ${keys}; ${fixes.join('; ')}`
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
    const verdict = judgeQueueDepth(obs, queue, o.max, { failIfPaused: o.failIfPaused, sep: o.sep, prioritySteps: o.prioritySteps })
    const evidence: QueueDepthEvidence = { ...base, depth: verdict.evidence.depth }
    if (obs.adapter === 'celery') {
      evidence.keys = obs.keys.map((k) => ({ ...k, key: printableKey(k.key) }))
      evidence.unacked = obs.unacked
      if (obs.uncounted && obs.uncounted.length > 0) {
        evidence.uncountedKeys = obs.uncounted.map((k) => ({ ...k, key: printableKey(k.key), separator: printableKey(k.separator) }))
        evidence.uncountedDepth = obs.uncounted.reduce((n, k) => n + k.length, 0)
      }
    } else if (obs.adapter === 'bullmq') {
      evidence.counts = obs.counts
      evidence.counted = obs.counted
      evidence.paused = obs.paused
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
  const uncounted = await probeUncounted(client, queue, o, new Set(keys.map((k) => k.key)))
  return {
    adapter: 'celery',
    keys: keys.map((k, i) => ({ ...k, length: lengths[i]! })),
    unacked: Number(replies[2 * n]),
    noKeys: exists.every((e) => e === 0),
    ...(uncounted.length > 0 ? { uncounted } : {}),
  }
}

/**
 * The lists a producer with another common separator, or with steps outside `prioritySteps`,
 * would have written for this queue (one pipeline: LLEN and the oldest message of each). A list
 * counts only when its oldest entry is a kombu message whose routing key is not the list's own
 * name: a queue called `work-2` beside `work` is another queue, not a priority list of `work`.
 */
async function probeUncounted(client: Redis, queue: string, o: { sep: string; keyPrefix: string }, counted: Set<string>): Promise<UncountedKey[]> {
  const candidates: { key: string; priority: number; separator: string }[] = []
  for (const separator of new Set([o.sep, ...PROBED_SEPARATORS])) {
    for (const priority of PROBED_STEPS) {
      const key = `${o.keyPrefix}${queue}${separator}${priority}`
      if (!counted.has(key)) candidates.push({ key, priority, separator })
    }
  }
  const pipe = client.pipeline()
  for (const c of candidates) pipe.llen(c.key)
  for (const c of candidates) pipe.lindex(c.key, -1)
  // Per-command errors (a key of another type answers WRONGTYPE) mean "not a priority list".
  const results = (await pipe.exec()) ?? []
  const out: UncountedKey[] = []
  candidates.forEach((c, i) => {
    const [lenErr, len] = results[i] ?? [new Error('no reply'), 0]
    const [tailErr, tail] = results[candidates.length + i] ?? [new Error('no reply'), null]
    if (lenErr || tailErr || !(Number(len) > 0) || typeof tail !== 'string') return
    const routingKey = kombuRoutingKey(tail)
    if (routingKey === undefined || (routingKey !== queue && routingKey === c.key.slice(o.keyPrefix.length))) return
    out.push({ ...c, length: Number(len) })
  })
  return out.sort((a, b) => a.separator.localeCompare(b.separator) || a.priority - b.priority)
}

/** `properties.delivery_info.routing_key` of a kombu message as the Redis transport stores it; undefined when it is not one. */
function kombuRoutingKey(raw: string): string | undefined {
  try {
    const m = JSON.parse(raw) as { properties?: { delivery_info?: { routing_key?: unknown }; delivery_tag?: unknown } }
    if (!m || typeof m !== 'object' || !m.properties || m.properties.delivery_tag === undefined) return undefined
    const rk = m.properties.delivery_info?.routing_key
    return typeof rk === 'string' ? rk : ''
  } catch {
    return undefined
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
  pipe.hexists(key('meta'), 'paused')
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
  return { adapter: 'bullmq', counts, counted: [...counted], queueKnown: Number(r[10]) === 1, paused: Number(r[11]) === 1 }
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
