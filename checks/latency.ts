import { setMaxListeners } from 'node:events'
import { Pool } from 'undici'
import { HTTP_TRANSPORT_FIELDS, parseHttpUrl, readCa, SENSITIVE_HEADER } from '../clients/http.ts'
import { capToDeadline } from '../lib/deadline.ts'
import { errorMessage, InvalidArgumentError } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Duration, Options, StringMap, Type, Url, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: latency` — `latencySample`: N requests at concurrency C through one undici Pool (like
 * `ab -n 100 -c 10`), bounded by count and by time. It is a sample for a post-deploy verdict, not
 * a load test.
 */

const threshold = (description: string) => Type.Optional(Duration({ positive: true, description }))

export const LatencyOptions = Options({
  url: Url({ description: 'absolute http(s) URL, or a path such as /health under the target baseUrl' }),
  requests: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'number of requests (N)' })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'requests in flight at once (C), one connection each' })),
  maxDuration: Type.Optional(Duration({ positive: true, default: '30s', description: "time bound for the whole sample (capped by the check's timeout); unfinished requests fail the check" })),
  method: Type.Optional(Type.String({ pattern: '^[A-Za-z]+$', default: 'GET', description: 'HTTP method' })),
  headers: Type.Optional(StringMap({ secretKeys: SENSITIVE_HEADER, description: 'request headers; credentials must be env: references, and no header value reaches evidence' })),
  p50: threshold('upper bound for the median latency, e.g. 200ms'),
  p95: threshold('upper bound for the 95th percentile, e.g. 500ms'),
  p99: threshold('upper bound for the 99th percentile, e.g. 1s'),
  max: threshold('upper bound for the slowest request'),
  maxErrors: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'errors allowed (network failures and HTTP status >= 400)' })),
  ...HTTP_TRANSPORT_FIELDS,
})
export type LatencySampleOptions = Static<typeof LatencyOptions> & RunContext

/** Latency statistics in ms (nearest-rank percentiles, as `ab` prints them). */
export interface LatencySummary {
  /** Requests that got a full response (any status). */
  completed: number
  minMs: number
  meanMs: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  maxMs: number
}

export type LatencyEvidence = Partial<LatencySummary> & {
  url: string
  method: string
  requests: number
  concurrency: number
  /** Network failures plus responses with status >= 400. */
  errors: number
  /** Responses per HTTP status. */
  statusCodes: Record<string, number>
  /** Distinct error reasons with counts, most frequent first (at most 5). */
  errorReasons: { reason: string; count: number }[]
  /** Requests not finished when the time bound hit. */
  unfinished: number
  /** ms the whole sample took. */
  elapsedMs: number
  maxDurationMs: number
  /** Thresholds in force, ms. */
  thresholds: { p50?: number; p95?: number; p99?: number; max?: number; maxErrors: number }
}

export const LATENCY_DEFAULTS = Object.freeze({
  ...defaultsOf(LatencyOptions, 'requests', 'concurrency', 'maxDuration', 'method', 'maxErrors', 'connectTimeout', 'headersTimeout', 'bodyTimeout'),
  id: 'latency',
})

export const latencyKind = defineKind({
  kind: 'latency',
  description: 'latency sample: N requests at concurrency C, p50/p95/p99/max and errors against thresholds (bounded by count and time)',
  options: LatencyOptions,
  positional: 'url',
  title: (o) => defaultTitle(parseHttpUrl(o.url), { ...LATENCY_DEFAULTS, ...stripUndefined(o) }),
  run: (o, rt) => latencySample({ ...o, ...rt }),
})

function defaultTitle(url: URL, o: { method: string; requests: number; p95?: number | undefined }): string {
  return `Latency of ${o.method.toUpperCase()} ${url.origin}${url.pathname} over ${o.requests} requests${o.p95 !== undefined ? ` (p95 < ${o.p95} ms)` : ''}`
}

/** One request's outcome. */
export interface LatencyObservation {
  /** ms until the whole body was read; undefined for network failures and unfinished requests. */
  latencyMs?: number
  status?: number
  error?: string
}

export async function latencySample(options: LatencySampleOptions): Promise<CheckResult<LatencyEvidence>> {
  const opts = { ...LATENCY_DEFAULTS, ...stripUndefined(options) }
  const url = parseHttpUrl(opts.url)
  for (const k of ['requests', 'concurrency'] as const) intOption(k, opts[k], LatencyOptions.properties[k].minimum!, LatencyOptions.properties[k].maximum!)
  for (const k of ['maxDuration', 'connectTimeout', 'headersTimeout', 'bodyTimeout'] as const) {
    if (!Number.isFinite(opts[k]) || opts[k] <= 0) throw new InvalidArgumentError(`latencySample: ${k} must be a positive number of ms, got ${String(opts[k])}`)
  }
  for (const k of ['p50', 'p95', 'p99', 'max'] as const) {
    const v = opts[k]
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new InvalidArgumentError(`latencySample: ${k} must be a positive number of ms, got ${String(v)}`)
  }
  intOption('maxErrors', opts.maxErrors, 0, Number.MAX_SAFE_INTEGER)
  const shownUrl = `${url.origin}${url.pathname}`
  const title = opts.title ?? defaultTitle(url, opts)

  return timed({ id: opts.id, title, kind: 'latency' }, async () => {
    // The sample's time bound ends before the attempt's deadline, so running out of time is reported as
    // unfinished requests ("within the 2900 ms time bound") rather than as the runner's bare timeout.
    const timeBound = capToDeadline(opts.maxDuration, opts.deadline)
    const started = performance.now()
    const observations = await sample(url, opts, timeBound)
    const elapsedMs = Math.round(performance.now() - started)
    const thresholds = { p50: opts.p50, p95: opts.p95, p99: opts.p99, max: opts.max, maxErrors: opts.maxErrors }
    return judgeLatency(observations, {
      url: shownUrl,
      method: opts.method,
      requests: opts.requests,
      concurrency: opts.concurrency,
      elapsedMs,
      maxDurationMs: timeBound,
      thresholds: stripUndefined(thresholds),
    })
  })
}

type ResolvedOptions = LatencySampleOptions & { [K in keyof typeof LATENCY_DEFAULTS]: (typeof LATENCY_DEFAULTS)[K] extends number ? number : string }

async function sample(url: URL, opts: ResolvedOptions, timeBound: number): Promise<LatencyObservation[]> {
  const bound = new AbortController()
  const timer = setTimeout(() => bound.abort(new Error('time bound reached')), timeBound)
  const signal = opts.signal ? AbortSignal.any([opts.signal, bound.signal]) : bound.signal
  // Every in-flight pool.request adds one abort listener to this signal (removed when it settles), so
  // more than 10 concurrent requests would trip Node's leak warning. The bound keeps the warning for real leaks.
  setMaxListeners(opts.concurrency * 2 + 10, signal)
  // No need to cap these against the deadline: the time bound (already capped) abandons every request still running.
  const connect: Record<string, unknown> = { timeout: opts.connectTimeout }
  if (opts.ca !== undefined) connect.ca = readCa(opts.ca)
  if (opts.servername !== undefined) connect.servername = opts.servername
  const pool = new Pool(url.origin, { connections: opts.concurrency, connect, headersTimeout: opts.headersTimeout, bodyTimeout: opts.bodyTimeout })
  const observations: LatencyObservation[] = Array.from({ length: opts.requests }, () => ({}))
  let next = 0
  const worker = async () => {
    while (next < opts.requests && !signal.aborted) {
      const obs = observations[next++]!
      const t0 = performance.now()
      try {
        const res = await pool.request({ path: url.pathname + url.search, method: opts.method as 'GET', headers: opts.headers, signal })
        await res.body.dump({ limit: 16 * 1024 * 1024 })
        obs.latencyMs = performance.now() - t0
        obs.status = res.statusCode
      } catch (err) {
        // A request cut off by the time bound is unfinished, not an error of the target.
        if (!signal.aborted) obs.error = errorMessage(err)
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.requests) }, worker))
  } finally {
    clearTimeout(timer)
    await pool.destroy().catch(() => {})
  }
  return observations
}

/** Nearest-rank percentile of sorted values (p in 0..100): the smallest value with at least p% of values at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]!
}

/** Pure: statistics of the completed requests, rounded to 0.1 ms. */
export function summarizeLatency(latenciesMs: readonly number[]): LatencySummary | undefined {
  if (latenciesMs.length === 0) return undefined
  const sorted = [...latenciesMs].sort((a, b) => a - b)
  const r = (v: number) => Math.round(v * 10) / 10
  return {
    completed: sorted.length,
    minMs: r(sorted[0]!),
    meanMs: r(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    p50Ms: r(percentile(sorted, 50)),
    p95Ms: r(percentile(sorted, 95)),
    p99Ms: r(percentile(sorted, 99)),
    maxMs: r(sorted[sorted.length - 1]!),
  }
}

/** Pure: judges the observations against the thresholds. */
export function judgeLatency(
  observations: readonly LatencyObservation[],
  ctx: Pick<LatencyEvidence, 'url' | 'method' | 'requests' | 'concurrency' | 'elapsedMs' | 'maxDurationMs' | 'thresholds'>,
): Verdict<LatencyEvidence> {
  const statusCodes: Record<string, number> = {}
  const reasons = new Map<string, number>()
  let errors = 0
  let unfinished = 0
  const latencies: number[] = []
  for (const o of observations) {
    if (o.latencyMs !== undefined) latencies.push(o.latencyMs)
    if (o.status !== undefined) {
      statusCodes[o.status] = (statusCodes[o.status] ?? 0) + 1
      if (o.status >= 400) {
        errors++
        reasons.set(`HTTP ${o.status}`, (reasons.get(`HTTP ${o.status}`) ?? 0) + 1)
      }
    } else if (o.error !== undefined) {
      errors++
      reasons.set(o.error, (reasons.get(o.error) ?? 0) + 1)
    } else unfinished++
  }
  const summary = summarizeLatency(latencies)
  const evidence: LatencyEvidence = {
    ...ctx,
    ...summary,
    errors,
    statusCodes,
    errorReasons: [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([reason, count]) => ({ reason, count })),
    unfinished,
  }
  if (!summary) evidence.completed = 0
  const problems: string[] = []
  if (unfinished > 0) problems.push(`only ${ctx.requests - unfinished} of ${ctx.requests} requests finished within the ${ctx.maxDurationMs} ms time bound`)
  if (errors > ctx.thresholds.maxErrors) problems.push(`${errors} error(s) (allowed ${ctx.thresholds.maxErrors})${evidence.errorReasons[0] ? `, e.g. ${evidence.errorReasons[0].reason}` : ''}`)
  if (summary) {
    for (const [key, field] of [['p50', 'p50Ms'], ['p95', 'p95Ms'], ['p99', 'p99Ms'], ['max', 'maxMs']] as const) {
      const limit = ctx.thresholds[key]
      if (limit !== undefined && summary[field] > limit) problems.push(`${key} ${fmt(summary[field])} ms > ${limit} ms`)
    }
  }
  const stats = summary
    ? `p50 ${fmt(summary.p50Ms)} ms, p95 ${fmt(summary.p95Ms)} ms, p99 ${fmt(summary.p99Ms)} ms, max ${fmt(summary.maxMs)} ms, ${errors} error(s) over ${summary.completed} responses (c=${ctx.concurrency})`
    : `no responses, ${errors} error(s)`
  if (problems.length === 0) return { status: 'pass', message: stats, evidence }
  return { status: 'fail', message: `${problems.join('; ')} — ${stats}`, evidence }
}

function fmt(ms: number): string {
  return ms >= 100 ? String(Math.round(ms)) : String(ms)
}

function intOption(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidArgumentError(`latencySample: ${name} must be an integer from ${min} to ${max}, got ${String(v)}`)
}
