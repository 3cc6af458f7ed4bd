import { formatSeries, parsePromValue, prometheusConnection, prometheusConnectionProblems, PROMETHEUS_CONNECTION_FIELDS, promInstantQuery, promRangeQuery, publicUrl, type PromApiOutcome, type PromQueryData } from '../clients/prometheus.ts'
import { OptionsError, type OptionProblem } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { defaultsOf, Duration, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: prom-query` — `promQuery`: a PromQL expression compared with a threshold. Every series
 * must satisfy it; an empty result and NaN values are explicit verdicts (`onEmpty`, `onNaN`).
 *
 * `guard` demands enough data first. A rate gate judged on too little traffic passes vacuously:
 * 0 errors out of Prometheus' own scrapes, or out of the first two requests, is "0 %". The guard is
 * a second PromQL expression, evaluated (instant, at `time` when set) before the query; it holds
 * when its result has a sample that is neither 0 nor NaN, so a filtering comparison
 * (`sum(increase(http_requests_total[5m])) >= 100`, empty when false), a `bool` comparison (0 when
 * false) or a bare count (`sum(increase(...))`: any traffic at all) all read as meant. While it does
 * not hold, the check fails with "not enough data: ..." and the query is not evaluated; `eventually`
 * retries it like any failure, so a suite waits for the traffic instead of passing before it. A guard
 * that Prometheus rejects (`bad_data`) is an error, like a malformed query.
 */

/** Comparison between each series value and the threshold: the value must satisfy `value <op> threshold`. */
export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!='
export const COMPARE_OPS: readonly CompareOp[] = Object.freeze(['<', '<=', '>', '>=', '==', '!='])

const Verdicts = (o: { default: 'fail' | 'pass'; description: string }) => Type.Unsafe<'fail' | 'pass'>({ type: 'string', enum: ['fail', 'pass'], ...o })

export const PromQueryOptions = Options({
  query: Type.String({ minLength: 1, description: 'PromQL expression judged series by series (one instant query, or a range query over the for window), e.g. sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))' }),
  op: Type.Unsafe<CompareOp>({ type: 'string', enum: [...COMPARE_OPS], description: 'comparison every series value must satisfy: value <op> threshold' }),
  threshold: Type.Number({ description: 'number compared with, in the unit of the query result (seconds, a ratio, a count)' }),
  guard: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'PromQL expression that must hold (return a sample neither 0 nor NaN) before the query is judged, e.g. sum(increase(http_requests_total[5m])) >= 100; until then the check fails with "not enough data" instead of passing on too little traffic',
    }),
  ),
  onEmpty: Type.Optional(Verdicts({ default: 'fail', description: 'verdict when the query returns no series (fail: no data is never a silent pass)' })),
  onNaN: Type.Optional(Verdicts({ default: 'fail', description: 'verdict for NaN values, e.g. 0/0 when there was no traffic' })),
  for: Type.Optional(Duration({ default: 0, description: 'window over which the condition must have held up to now, like an alerting rule\'s for: one range query, no waiting (0: one instant query). To wait until it holds, use eventually' })),
  step: Type.Optional(Duration({ positive: true, description: 'resolution of the for window (by default for/12, at least 1s)' })),
  ...PROMETHEUS_CONNECTION_FIELDS,
})

/**
 * Options of `promQuery`: the declaration above (`for` and `step` in ms, `prometheus` an absolute
 * URL) plus the run context, and for library callers only `time`: the evaluation time of an instant
 * query (RFC 3339 or Unix seconds; default now).
 */
export type PromQueryOptions = Static<typeof PromQueryOptions> & RunContext & { time?: string }

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
  /** The `guard` and what it returned, when one was given. */
  guard?: PromGuardEvidence
}

/** What the guard returned. */
export interface PromGuardEvidence {
  query: string
  /** True when a sample was neither 0 nor NaN: the query was then judged. */
  holds: boolean
  seriesCount?: number
  /** The first sample that made it hold, else the first sample (absent for an empty result). */
  value?: string
}

export const PROM_QUERY_DEFAULTS = Object.freeze({ ...defaultsOf(PromQueryOptions, 'onEmpty', 'onNaN', 'for'), id: 'prom-query' as string })

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

export const promQueryKind = defineKind({
  kind: 'prom-query',
  description: 'PromQL query compared with a threshold; every series must satisfy it; empty and NaN results are explicit verdicts; a guard expression can demand enough data first',
  options: PromQueryOptions,
  positional: 'query',
  aliases: { 'on-nan': 'onNaN' },
  title: (o) => promQueryTitle(o),
  validate: (o) => validatePromQuery(o),
  run: (o, rt) => promQuery({ ...o, ...rt }),
})

/** The default title: `PromQL <query> <op> <threshold>[ for <n> s]`. */
function promQueryTitle(o: Pick<PromQueryOptions, 'query' | 'op' | 'threshold' | 'for'>): string {
  return `PromQL ${o.query} ${o.op} ${o.threshold}${o.for ? ` for ${o.for / 1000} s` : ''}`
}

/**
 * The rules on promQuery's options, for the kind (when the check is built) and for library
 * callers (when it runs): OptionsError naming each field.
 */
export function validatePromQuery(o: Partial<PromQueryOptions>): void {
  const problems: OptionProblem[] = []
  const problem = (field: string, message: string) => problems.push({ path: [field], message })
  if (typeof o.query !== 'string' || o.query.trim() === '') problem('query', 'a PromQL expression is required')
  if (!COMPARE_OPS.includes(o.op as CompareOp)) problem('op', `must be one of ${COMPARE_OPS.join(' ')}, got ${String(o.op)}`)
  if (typeof o.threshold !== 'number' || Number.isNaN(o.threshold)) problem('threshold', `must be a number, got ${String(o.threshold)}`)
  if (o.guard !== undefined && (typeof o.guard !== 'string' || o.guard.trim() === '')) problem('guard', 'must be a PromQL expression')
  for (const k of ['onEmpty', 'onNaN'] as const) {
    if (o[k] !== undefined && o[k] !== 'fail' && o[k] !== 'pass') problem(k, `must be "fail" or "pass", got ${String(o[k])}`)
  }
  if (o.for !== undefined && (!Number.isFinite(o.for) || o.for < 0)) problem('for', `must be a non-negative number of ms, got ${String(o.for)}`)
  if (o.step !== undefined) {
    if (!Number.isFinite(o.step) || o.step <= 0) problem('step', `must be a positive number of ms, got ${String(o.step)}`)
    else if (!o.for) problem('step', 'applies only with {for} (it is the resolution of the {for} window)')
  }
  problems.push(...prometheusConnectionProblems(o))
  if (problems.length > 0) throw new OptionsError(problems)
}

/**
 * PromQL query compared with a threshold. Every series must satisfy it; an empty result and NaN
 * values are explicit verdicts (`onEmpty`, `onNaN`). With `guard`, that expression is evaluated
 * first and must hold, else the check fails with "not enough data" and the query is not judged.
 * Prometheus down → fail; malformed query or guard (`bad_data`) → error.
 */
export async function promQuery(options: PromQueryOptions): Promise<CheckResult<PromQueryEvidence>> {
  const opts = { ...PROM_QUERY_DEFAULTS, ...stripUndefined(options) }
  validatePromQuery(opts)
  const stepMs = opts.step ?? Math.max(1000, Math.round(opts.for / 12))
  const prometheus = publicUrl(opts.prometheus)
  const expectation: PromQueryExpectation = { prometheus, query: opts.query, op: opts.op, threshold: opts.threshold, onEmpty: opts.onEmpty, onNaN: opts.onNaN }
  if (opts.for > 0) {
    expectation.forMs = opts.for
    expectation.stepMs = stepMs
  }
  const conn = prometheusConnection(opts)
  const title = opts.title ?? promQueryTitle(opts)

  return timed({ id: opts.id, title, kind: 'prom-query' }, async () => {
    let guard: PromGuardEvidence | undefined
    if (opts.guard !== undefined) {
      const verdict = judgePromGuard(await promInstantQuery(conn, opts.guard, { time: opts.time }), opts.guard, expectation)
      if (verdict.status !== 'pass') return verdict
      guard = verdict.evidence.guard
    }
    let outcome: PromApiOutcome<PromQueryData>
    if (opts.for > 0) {
      const end = Date.now() / 1000
      outcome = await promRangeQuery(conn, opts.query, { start: end - opts.for / 1000, end, step: stepMs / 1000 })
    } else {
      outcome = await promInstantQuery(conn, opts.query, { time: opts.time })
    }
    const verdict = judgePromQuery(outcome, expectation)
    return guard ? { ...verdict, evidence: { ...verdict.evidence, guard } } : verdict
  })
}

/**
 * Pure: judges the guard's outcome. `pass` when it holds (a sample neither 0 nor NaN: the query is
 * then judged); `fail` with "not enough data" when it does not, or when Prometheus cannot be reached;
 * `error` when the guard itself is wrong (bad_data, a range vector, a string).
 */
export function judgePromGuard(outcome: PromApiOutcome<PromQueryData>, guard: string, x: PromQueryExpectation): Verdict<PromQueryEvidence> {
  const evidence: PromQueryEvidence = { prometheus: x.prometheus, query: x.query, expect: `${x.op} ${x.threshold}`, guard: { query: guard, holds: false } }
  if (x.forMs !== undefined) evidence.forMs = x.forMs
  if (!outcome.ok) {
    const failed = apiFailure(outcome, evidence)
    return { ...failed, message: `guard: ${failed.message}` }
  }
  const data = outcome.data
  let values: string[]
  if (data.resultType === 'vector') values = data.result.flatMap((s) => (s.value ? [s.value[1]] : []))
  else if (data.resultType === 'scalar') values = [data.result[1]]
  else if (data.resultType === 'matrix') return { status: 'error', message: 'guard returns a range vector (e.g. `metric[5m]`); wrap it in a function such as increase() or count_over_time()', evidence }
  else return { status: 'error', message: `guard returns a ${data.resultType}, not a number`, evidence }
  const seriesCount = data.resultType === 'vector' ? data.result.length : 1
  const holding = values.find((v) => {
    const n = parsePromValue(v)
    return !Number.isNaN(n) && n !== 0
  })
  const g: PromGuardEvidence = { query: guard, holds: holding !== undefined, seriesCount }
  const shown = holding ?? values[0]
  if (shown !== undefined) g.value = shown
  evidence.guard = g
  if (g.holds) return { status: 'pass', message: `guard ${guard} holds (${holding})`, evidence }
  const what = seriesCount === 0 ? 'returned no series' : seriesCount === 1 ? `is ${values[0] ?? 'empty'}` : `is 0 or NaN in all ${seriesCount} series`
  return { status: 'fail', message: `not enough data: guard ${guard} ${what}, so the query was not judged`, evidence }
}

/** The verdict on an API call that did not succeed (evidence filled in). */
function apiFailure(outcome: Extract<PromApiOutcome<unknown>, { ok: false }>, evidence: PromQueryEvidence): Verdict<PromQueryEvidence> {
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
  if (!outcome.ok) return apiFailure(outcome, evidence)
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
