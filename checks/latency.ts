import { setMaxListeners } from 'node:events'
import { Pool } from 'undici'
import { errorMessage, InvalidArgumentError } from '../lib/errors.ts'
import { parseHttpUrl } from '../clients/http.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'

/**
 * A latency sample: N requests at concurrency C through one undici Pool (like `ab -n 100 -c 10`),
 * bounded by count and by time. It is a sample for a post-deploy verdict, not a load test.
 */

export interface LatencySampleOptions {
  /** Check id. Default `latency`. */
  id?: string
  /** Check title. Default "Latency of <url> over N requests". */
  title?: string
  /** Absolute http(s) URL to request. Required. */
  url: string
  /** Number of requests (N). Default 100, at most 10000. */
  requests?: number
  /** Requests in flight at once (C), one connection each. Default 10, at most 100. */
  concurrency?: number
  /** Time bound for the whole sample in ms; unfinished requests are abandoned and the check fails. Default 30000. */
  maxDuration?: number
  /** HTTP method. Default `GET`. */
  method?: string
  /** Request headers (values may come from `env:`; they never go into evidence). */
  headers?: Record<string, string>
  /** PEM CA bundle contents (not a path) trusted for https. Default: system roots. */
  ca?: string | Buffer
  /** TLS server name. Default: the URL's host. */
  servername?: string
  /** ms to connect (TLS included). Default 5000. */
  connectTimeout?: number
  /** ms until response headers, per request. Default 10000. */
  headersTimeout?: number
  /** ms of body inactivity, per request. Default 10000. */
  bodyTimeout?: number
  /** Upper bound for the 50th percentile, ms. Default: none. */
  p50?: number
  /** Upper bound for the 95th percentile, ms. Default: none. */
  p95?: number
  /** Upper bound for the 99th percentile, ms. Default: none. */
  p99?: number
  /** Upper bound for the slowest request, ms. Default: none. */
  max?: number
  /** Most errors (network failures and HTTP status >= 400) allowed. Default 0. */
  maxErrors?: number
  signal?: AbortSignal
}

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
  id: 'latency',
  requests: 100,
  concurrency: 10,
  maxDuration: 30_000,
  method: 'GET',
  connectTimeout: 5000,
  headersTimeout: 10_000,
  bodyTimeout: 10_000,
  maxErrors: 0,
})

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
  intOption('requests', opts.requests, 1, 10_000)
  intOption('concurrency', opts.concurrency, 1, 100)
  for (const k of ['maxDuration', 'connectTimeout', 'headersTimeout', 'bodyTimeout'] as const) {
    if (!Number.isFinite(opts[k]) || opts[k] <= 0) throw new InvalidArgumentError(`latencySample: ${k} must be a positive number of ms, got ${String(opts[k])}`)
  }
  for (const k of ['p50', 'p95', 'p99', 'max'] as const) {
    const v = opts[k]
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new InvalidArgumentError(`latencySample: ${k} must be a positive number of ms, got ${String(v)}`)
  }
  intOption('maxErrors', opts.maxErrors, 0, Number.MAX_SAFE_INTEGER)
  const shownUrl = `${url.origin}${url.pathname}`
  const title = opts.title ?? `Latency of ${opts.method} ${shownUrl} over ${opts.requests} requests`

  return timed({ id: opts.id, title, kind: 'latency' }, async () => {
    const started = performance.now()
    const observations = await sample(url, opts)
    const elapsedMs = Math.round(performance.now() - started)
    const thresholds = { p50: opts.p50, p95: opts.p95, p99: opts.p99, max: opts.max, maxErrors: opts.maxErrors }
    return judgeLatency(observations, {
      url: shownUrl,
      method: opts.method,
      requests: opts.requests,
      concurrency: opts.concurrency,
      elapsedMs,
      maxDurationMs: opts.maxDuration,
      thresholds: stripUndefined(thresholds),
    })
  })
}

type ResolvedOptions = LatencySampleOptions & { [K in keyof typeof LATENCY_DEFAULTS]: (typeof LATENCY_DEFAULTS)[K] extends number ? number : string }

async function sample(url: URL, opts: ResolvedOptions): Promise<LatencyObservation[]> {
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(new Error('time bound reached')), opts.maxDuration)
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal
  // Every in-flight pool.request adds one abort listener to this signal (removed when it settles), so
  // more than 10 concurrent requests would trip Node's leak warning. The bound keeps the warning for real leaks.
  setMaxListeners(opts.concurrency * 2 + 10, signal)
  const connect: Record<string, unknown> = { timeout: opts.connectTimeout }
  if (opts.ca !== undefined) connect.ca = opts.ca
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
