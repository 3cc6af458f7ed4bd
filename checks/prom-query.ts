import { InvalidArgumentError } from '../lib/errors.ts'
import { formatSeries, parsePromValue, promInstantQuery, publicUrl, promRangeQuery, type PromApiOutcome, type PrometheusConnection, type PromQueryData } from '../clients/prometheus.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'

/** Comparison between each series value and the threshold: the value must satisfy `value <op> threshold`. */
export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!='
export const COMPARE_OPS: readonly CompareOp[] = Object.freeze(['<', '<=', '>', '>=', '==', '!='])

export interface PromQueryOptions extends Omit<PrometheusConnection, 'url'> {
  /** Check id. Default `prom-query`. */
  id?: string
  /** Check title. Default "PromQL `<query>` <op> <threshold>". */
  title?: string
  /** Prometheus base URL, e.g. `http://prometheus:9090`. Required. */
  url: string
  /** PromQL expression evaluated as an instant query. Required. */
  query: string
  /** Comparison every series must satisfy: `value <op> threshold`. Required. */
  op: CompareOp
  /** Number to compare against (same unit as the query result, e.g. seconds or a ratio). Required. */
  threshold: number
  /** Verdict when the query returns no series. Default `fail`: no data is never a silent pass. */
  onEmpty?: 'fail' | 'pass'
  /** Verdict for a series whose value is `NaN` (e.g. 0/0 when nothing was requested). Default `fail`. */
  onNaN?: 'fail' | 'pass'
  /**
   * Window in ms over which the condition must have held, up to now (like an alerting rule's `for`).
   * When set, the check runs one range query over the window (`/api/v1/query_range`) and every sample
   * must satisfy the comparison; there is no waiting. To wait *until* the condition holds, use the
   * engine's `eventually` (target file: `eventually: {timeout: 2m}`). Default 0: one instant query.
   */
  for?: number
  /** Step of the range query in ms when `for` is set. Default: `for / 12`, at least 1000. */
  step?: number
  /** Evaluation time for an instant query (RFC 3339 or Unix seconds). Default: now. */
  time?: string
}

/** One series as observed, for auditors. */
export interface PromSeriesEvidence {
  /** `name{label="value", ...}`. */
  series: string
  /** The value compared: the instant value, or with `for` the first violating sample (else the last). */
  value: string
  /** Samples looked at (1 for an instant query). */
  samples: number
  /** Samples that broke the comparison (NaN counted when `onNaN` is fail; with `for`, missing steps count when `onEmpty` is fail). */
  violations: number
  ok: boolean
}

export type PromQueryEvidence = {
  /** Prometheus base URL, without credentials. */
  prometheus: string
  query: string
  /** e.g. `< 0.05`. */
  expect: string
  /** ms, when `for` was used. */
  forMs?: number
  resultType?: string
  seriesCount?: number
  /** At most 100 entries; violating series first. */
  series?: PromSeriesEvidence[]
  errorType?: string
  error?: string
  httpStatus?: number
  warnings?: string[]
}

export const PROM_QUERY_DEFAULTS = Object.freeze({ id: 'prom-query', onEmpty: 'fail' as 'fail' | 'pass', onNaN: 'fail' as 'fail' | 'pass', for: 0 })

const MAX_SERIES_IN_EVIDENCE = 100

/** What `judgePromQuery` needs besides the API outcome. */
export interface PromQueryExpectation {
  prometheus: string
  query: string
  op: CompareOp
  threshold: number
  onEmpty: 'fail' | 'pass'
  onNaN: 'fail' | 'pass'
  /** Set when the outcome comes from a range query over this window. */
  forMs?: number
  /** Step of that range query, ms: a series with fewer than `forMs / stepMs + 1` samples has gaps. */
  stepMs?: number
}

/**
 * Instant PromQL query compared with a threshold. Every series must satisfy it; an empty result
 * and NaN values are explicit verdicts (`onEmpty`, `onNaN`). Prometheus down → fail; malformed
 * query (`bad_data`) → error.
 */
export async function promQuery(options: PromQueryOptions): Promise<CheckResult<PromQueryEvidence>> {
  const opts = { ...PROM_QUERY_DEFAULTS, ...stripUndefined(options) }
  if (typeof opts.query !== 'string' || opts.query.trim() === '') throw new InvalidArgumentError('promQuery: query is required')
  if (!COMPARE_OPS.includes(opts.op)) throw new InvalidArgumentError(`promQuery: op must be one of ${COMPARE_OPS.join(' ')}, got ${String(opts.op)}`)
  if (typeof opts.threshold !== 'number' || Number.isNaN(opts.threshold)) throw new InvalidArgumentError(`promQuery: threshold must be a number, got ${String(opts.threshold)}`)
  for (const k of ['onEmpty', 'onNaN'] as const) {
    if (opts[k] !== 'fail' && opts[k] !== 'pass') throw new InvalidArgumentError(`promQuery: ${k} must be "fail" or "pass", got ${String(opts[k])}`)
  }
  if (!Number.isFinite(opts.for) || opts.for < 0) throw new InvalidArgumentError(`promQuery: for must be a non-negative number of ms, got ${String(opts.for)}`)
  const stepMs = opts.step ?? Math.max(1000, Math.round(opts.for / 12))
  if (!Number.isFinite(stepMs) || stepMs <= 0) throw new InvalidArgumentError(`promQuery: step must be a positive number of ms, got ${String(opts.step)}`)
  const prometheus = publicUrl(opts.url)
  const expectation: PromQueryExpectation = { prometheus, query: opts.query, op: opts.op, threshold: opts.threshold, onEmpty: opts.onEmpty, onNaN: opts.onNaN }
  if (opts.for > 0) {
    expectation.forMs = opts.for
    expectation.stepMs = stepMs
  }
  const title = opts.title ?? `PromQL ${opts.query} ${opts.op} ${opts.threshold}${opts.for > 0 ? ` for ${opts.for / 1000} s` : ''}`

  return timed({ id: opts.id, title, kind: 'prom-query' }, async () => {
    let outcome: PromApiOutcome<PromQueryData>
    if (opts.for > 0) {
      const end = Date.now() / 1000
      outcome = await promRangeQuery(opts, opts.query, { start: end - opts.for / 1000, end, step: stepMs / 1000 })
    } else {
      outcome = await promInstantQuery(opts, opts.query, { time: opts.time })
    }
    return judgePromQuery(outcome, expectation)
  })
}

/** True when `value <op> threshold`. */
export function compare(value: number, op: CompareOp, threshold: number): boolean {
  switch (op) {
    case '<':
      return value < threshold
    case '<=':
      return value <= threshold
    case '>':
      return value > threshold
    case '>=':
      return value >= threshold
    case '==':
      return value === threshold
    case '!=':
      return value !== threshold
  }
}

/** Pure: judges an API outcome (instant or, with `forMs`, range query) against the expectation. */
export function judgePromQuery(outcome: PromApiOutcome<PromQueryData>, x: PromQueryExpectation): Verdict<PromQueryEvidence> {
  const expect = `${x.op} ${x.threshold}`
  const evidence: PromQueryEvidence = { prometheus: x.prometheus, query: x.query, expect }
  if (x.forMs !== undefined) evidence.forMs = x.forMs
  if (!outcome.ok) {
    if (outcome.errorType) evidence.errorType = outcome.errorType
    evidence.error = outcome.error
    if (outcome.httpStatus !== undefined) evidence.httpStatus = outcome.httpStatus
    if (outcome.kind === 'network') return { status: 'fail', message: `Prometheus unreachable: ${outcome.error}`, evidence }
    if (outcome.kind === 'api') {
      // A malformed query will not fix itself: 'error' (could not check), which eventually does not retry.
      const status = outcome.errorType === 'bad_data' ? 'error' : 'fail'
      return { status, message: `Prometheus API error ${outcome.errorType}: ${outcome.error}`, evidence }
    }
    return { status: 'fail', message: `Prometheus answered unexpectedly: ${outcome.error}`, evidence }
  }
  if (outcome.warnings.length > 0) evidence.warnings = outcome.warnings
  const data = outcome.data
  evidence.resultType = data.resultType

  // Normalise every result type into series with their sample values.
  let series: { metric: Record<string, string>; values: string[] }[]
  if (data.resultType === 'vector') {
    series = data.result.map((s) => ({ metric: s.metric, values: s.value ? [s.value[1]] : [] }))
    if (series.some((s) => s.values.length === 0)) {
      return { status: 'error', message: 'query returned native histogram samples; compare a number, e.g. histogram_quantile(0.95, ...)', evidence }
    }
  } else if (data.resultType === 'scalar') {
    series = [{ metric: {}, values: [data.result[1]] }]
  } else if (data.resultType === 'matrix' && x.forMs !== undefined) {
    series = data.result.map((s) => ({ metric: s.metric, values: (s.values ?? []).map((v) => v[1]) }))
  } else if (data.resultType === 'matrix') {
    return { status: 'error', message: 'query returns a range vector (e.g. `metric[5m]`); wrap it in a function such as rate() or max_over_time() to get one value per series', evidence }
  } else {
    return { status: 'error', message: `query returns a ${data.resultType}, not a number`, evidence }
  }

  evidence.seriesCount = series.length
  if (series.length === 0) {
    evidence.series = []
    if (x.onEmpty === 'pass') return { status: 'pass', message: 'query returned no series (accepted: onEmpty is pass)', evidence }
    return { status: 'fail', message: `query returned no series, so nothing satisfies ${expect} (set onEmpty: pass if no data means healthy)`, evidence }
  }

  let nanSeries = 0
  const judged: PromSeriesEvidence[] = series.map((s) => {
    let violations = 0
    let firstBad: string | undefined
    let sawNaN = false
    for (const raw of s.values) {
      const v = parsePromValue(raw)
      let ok: boolean
      if (Number.isNaN(v)) {
        sawNaN = true
        ok = x.onNaN === 'pass'
      } else ok = compare(v, x.op, x.threshold)
      if (!ok) {
        violations++
        firstBad ??= raw
      }
    }
    if (sawNaN) nanSeries++
    // With `for`, a series that did not exist for the whole window has not held for the window.
    if (x.forMs !== undefined && x.stepMs && x.onEmpty === 'fail') {
      const expected = Math.floor(x.forMs / x.stepMs) + 1
      if (s.values.length < expected) {
        violations += expected - s.values.length
        firstBad ??= `no data for ${expected - s.values.length} of ${expected} steps`
      }
    }
    return { series: formatSeries(s.metric), value: firstBad ?? s.values[s.values.length - 1] ?? '', samples: s.values.length, violations, ok: violations === 0 }
  })
  const bad = judged.filter((s) => !s.ok)
  evidence.series = [...bad, ...judged.filter((s) => s.ok)].slice(0, MAX_SERIES_IN_EVIDENCE)
  const window = x.forMs !== undefined ? ` over the last ${x.forMs / 1000} s` : ''

  if (bad.length === 0) {
    const nanNote = nanSeries > 0 ? ` (${nanSeries} NaN accepted: onNaN is pass)` : ''
    if (judged.length === 1) return { status: 'pass', message: `${describeValue(judged[0]!)} ${expect}${window}${nanNote}`, evidence }
    return { status: 'pass', message: `all ${judged.length} series ${expect}${window}${nanNote}`, evidence }
  }
  const badNaN = bad.filter((s) => s.value === 'NaN')
  if (badNaN.length === bad.length) {
    const which = judged.length === 1 ? 'the result' : `${bad.length} of ${judged.length} series`
    return {
      status: 'fail',
      message: `${which} is NaN (0/0, e.g. no requests in the window), which cannot be compared with ${expect} (set onNaN: pass to accept)`,
      evidence,
    }
  }
  const shown = bad.slice(0, 3).map(describeValue).join('; ')
  const more = bad.length > 3 ? `; and ${bad.length - 3} more` : ''
  if (judged.length === 1) return { status: 'fail', message: `${shown}, expected ${expect}${window}`, evidence }
  return { status: 'fail', message: `${bad.length} of ${judged.length} series break ${expect}${window}: ${shown}${more}`, evidence }
}

function describeValue(s: PromSeriesEvidence): string {
  const name = s.series === '{}' ? 'value' : s.series
  return s.samples > 1 ? `${name} = ${s.value} (${s.violations} of ${s.samples} samples)` : `${name} = ${s.value}`
}
