import { HttpConnectionError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { displayUrl, HTTP_TRANSPORT_FIELDS, httpRequest, maskHeaders, parseHttpUrl, SENSITIVE_HEADER, transportOptions } from '../clients/http.ts'
import { formatFromContentType, parseExposition, type ExpositionFormat, type MetricFamily, type Sample } from '../clients/prom-text.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'
import { decodeOptions } from '../lib/options.ts'
import { defaultsOf, Options, StatusCodes, StringMap, Type, Url, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: metrics` — `metricsEndpoint`: GET a Prometheus `/metrics` URL, parse the exposition by its
 * content type (text 0.0.4 or OpenMetrics 1.0) and require metric families to be present,
 * optionally with label values and a minimum value.
 */

const METRIC_NAME = '^[a-zA-Z_:][a-zA-Z0-9_:]*$'

const MetricRequirementSchema = Options(
  {
    name: Type.String({ pattern: METRIC_NAME, description: 'metric name; for counters x and x_total are the same metric, a histogram or summary family name stands for its _count' }),
    labels: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'label values a sample must have (exact match; other labels are ignored)' })),
    min: Type.Optional(Type.Number({ description: 'minimum of the sum over the matching samples (inclusive)' })),
  },
  { description: 'a metric with label values and a minimum' },
)
/** A metric family that must be present. */
export type MetricRequirement = Static<typeof MetricRequirementSchema>

/** The seed application's metrics path, under the target baseUrl. */
export const DEFAULT_METRICS_PATH = '/metrics'

export const MetricsOptions = Options({
  url: Type.Optional(Url({ default: DEFAULT_METRICS_PATH, description: 'the metrics endpoint: an absolute http(s) URL, or a path under the target baseUrl' })),
  require: Type.Optional(Type.Union([
    Type.String({ pattern: METRIC_NAME, description: 'one metric name' }),
    Type.Array(Type.Union([Type.String({ pattern: METRIC_NAME, description: 'metric name' }), MetricRequirementSchema])),
  ], {
    description: 'metric families that must be present: a name, or { name, labels, min } (counters match with or without _total; min applies to the sum of the matching samples); one name alone is accepted too (check metrics URL --require NAME)',
  })),
  expectStatus: Type.Optional(StatusCodes({ default: 200, description: 'status code(s) that pass' })),
  headers: Type.Optional(StringMap({ secretKeys: SENSITIVE_HEADER, description: 'request headers, e.g. Authorization: env:METRICS_TOKEN; credentials must be env: references and never reach evidence' })),
  accept: Type.Optional(Type.String({ minLength: 1, default: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', description: 'Accept header: OpenMetrics 1.0.0 preferred, then text 0.0.4, as Prometheus asks' })),
  // Real expositions reach megabytes (kube-state-metrics); a cut-off exposition is judged invalid.
  maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1, default: 16 * 1024 * 1024, description: 'largest exposition read, in bytes; a larger one fails' })),
  ...HTTP_TRANSPORT_FIELDS,
})
/** What `metricsEndpoint` takes: the options as declared, with an absolute `url`. */
export type MetricsEndpointOptions = Omit<Static<typeof MetricsOptions>, 'url'> & Required<Pick<Static<typeof MetricsOptions>, 'url'>> & RunContext

/** One requirement's outcome. */
export interface RequirementEvidence {
  name: string
  labels?: Record<string, string>
  min?: number
  present: boolean
  /** Matching samples (at most 10 listed). */
  samples: { name: string; labels: Record<string, string>; value: number | string }[]
  /** How many samples matched. */
  matchedCount: number
  /** Sum of the matching samples' values (a string for NaN/±Inf). */
  sum?: number | string
  /** Why it failed, when it did. */
  problem?: string
}

// A type alias, not an interface, so it is assignable to CheckSpec's Record<string, unknown> evidence.
export type MetricsEvidence = {
  url: string
  requestHeaders: Record<string, string>
  expectedStatus: number[]
  status?: number
  contentType?: string
  format?: ExpositionFormat
  bytes?: number
  latencyMs?: number
  families?: number
  samples?: number
  /** Parse problem with its 1-based line number. */
  parseError?: { line: number; message: string }
  required?: RequirementEvidence[]
  error?: { code: string; phase?: string }
}

/** What the request saw; input of the pure judge. */
export interface MetricsObservation {
  status?: number
  contentType?: string
  body?: string
  bytes?: number
  truncated?: boolean
  latencyMs?: number
  error?: { message: string; code: string; phase?: string }
}

type Resolved = MetricsEndpointOptions & { id: string; accept: string; maxBodyBytes: number }

export const METRICS_DEFAULTS: Readonly<Pick<Resolved, 'id' | 'accept' | 'maxBodyBytes'>> = Object.freeze({ ...defaultsOf(MetricsOptions, 'accept', 'maxBodyBytes'), id: 'metrics' })
const STATUS_DEFAULT = defaultsOf(MetricsOptions, 'expectStatus').expectStatus

// Decodes the default url through the same adapter as a url the user writes.
const URL_FIELD = Options({ url: MetricsOptions.properties.url })

export const metricsKind = defineKind({
  kind: 'metrics',
  description: 'Prometheus /metrics endpoint: parses (text 0.0.4 or OpenMetrics 1.0) and has the required families',
  options: MetricsOptions,
  positional: 'url',
  prepare: (o, ctx) => (o.url === undefined ? { ...o, url: decodeOptions(URL_FIELD, { url: DEFAULT_METRICS_PATH }, ctx).url } : o),
  validate: (o) => void normalizeRequirements(o.require),
  title: (o) => defaultTitle(o.url ?? DEFAULT_METRICS_PATH, normalizeRequirements(o.require)),
  run: (o, rt) => metricsEndpoint({ ...o, url: o.url ?? DEFAULT_METRICS_PATH, ...rt }),
})

const LISTED_SAMPLES = 10

export async function metricsEndpoint(options: MetricsEndpointOptions): Promise<CheckResult<MetricsEvidence>> {
  const opts: Resolved = { ...METRICS_DEFAULTS, ...stripUndefined(options) }
  if (typeof opts.url !== 'string') throw new InvalidArgumentError('metricsEndpoint: url is required')
  parseHttpUrl(opts.url)
  const require = normalizeRequirements(opts.require)
  const expectStatus = normalizeStatuses(opts.expectStatus)
  const title = opts.title ?? defaultTitle(opts.url, require)
  const headers = { Accept: opts.accept, ...(opts.headers ?? {}) }
  return timed({ id: opts.id, title, kind: 'metrics' }, async () => {
    const obs = await observe(opts, headers)
    const v = judgeMetrics(obs, require, expectStatus)
    // url and headers first, for readers of the evidence.
    const { url: _u, requestHeaders: _h, ...rest } = v.evidence
    v.evidence = { url: displayUrl(opts.url), requestHeaders: maskHeaders(headers), ...rest }
    return v
  })
}

/** Requirements with strings expanded and values checked (one name alone is a list of one); InvalidArgumentError for bad ones. */
export function normalizeRequirements(given: string | readonly (MetricRequirement | string)[] | undefined): MetricRequirement[] {
  if (given === undefined) return []
  const list = typeof given === 'string' ? [given] : given
  if (!Array.isArray(list)) throw new InvalidArgumentError('require must be a list of metric names or { name, labels, min } objects')
  return list.map((item, i) => {
    const r: MetricRequirement = typeof item === 'string' ? { name: item } : { ...item }
    if (typeof r.name !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(r.name)) throw new InvalidArgumentError(`require[${i}].name must be a metric name, got ${JSON.stringify(r.name)}`)
    if (r.min !== undefined && (typeof r.min !== 'number' || Number.isNaN(r.min))) throw new InvalidArgumentError(`require[${i}].min must be a number, got ${JSON.stringify(r.min)}`)
    if (r.labels !== undefined) {
      if (!r.labels || typeof r.labels !== 'object' || Object.values(r.labels).some((v) => typeof v !== 'string')) {
        throw new InvalidArgumentError(`require[${i}].labels must map label names to string values`)
      }
    }
    return r
  })
}

function normalizeStatuses(value: number | number[] | undefined): number[] {
  const given = value ?? STATUS_DEFAULT
  const list = Array.isArray(given) ? given : [given]
  if (list.length === 0 || !list.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
    throw new InvalidArgumentError(`expectStatus must be an HTTP status code (100-599) or a non-empty list of them, got ${JSON.stringify(value)}`)
  }
  return list
}

async function observe(opts: Resolved, headers: Record<string, string>): Promise<MetricsObservation> {
  try {
    const res = await httpRequest({ ...transportOptions(opts), url: opts.url, method: 'GET', headers })
    const obs: MetricsObservation = { status: res.status, body: res.body.toString('utf8'), bytes: res.bytes, truncated: res.truncated, latencyMs: res.latencyMs }
    if (res.headers['content-type'] !== undefined) obs.contentType = res.headers['content-type']
    return obs
  } catch (err) {
    if (err instanceof TimeoutError) return { error: { message: err.message, code: err.code, phase: String(err.phase) } }
    if (err instanceof HttpConnectionError) return { error: { message: err.message, code: err.code } }
    throw err
  }
}

/** Pure: the verdict on one scrape. */
export function judgeMetrics(obs: MetricsObservation, require: readonly MetricRequirement[], expectStatus: readonly number[] = normalizeStatuses(undefined)): Verdict<MetricsEvidence> {
  const evidence = { expectedStatus: [...expectStatus] } as MetricsEvidence
  if (obs.status !== undefined) evidence.status = obs.status
  if (obs.contentType !== undefined) evidence.contentType = obs.contentType
  if (obs.bytes !== undefined) evidence.bytes = obs.bytes
  if (obs.latencyMs !== undefined) evidence.latencyMs = obs.latencyMs
  if (obs.error) {
    evidence.error = { code: obs.error.code, ...(obs.error.phase ? { phase: obs.error.phase } : {}) }
    return { status: 'fail', message: obs.error.message, evidence }
  }
  if (obs.status === undefined || !expectStatus.includes(obs.status)) {
    return { status: 'fail', message: `expected status ${expectStatus.join(' or ')}, got ${obs.status ?? 'none'}`, evidence }
  }
  const format = formatFromContentType(obs.contentType)
  if (!format) return { status: 'fail', message: `not a Prometheus text exposition (content-type ${obs.contentType})`, evidence }
  evidence.format = format
  if (obs.truncated) return { status: 'fail', message: `exposition larger than maxBodyBytes (read ${obs.bytes ?? '?'} bytes before stopping); raise maxBodyBytes`, evidence }
  const parsed = parseExposition(obs.body ?? '', format)
  if (!parsed.ok) {
    evidence.parseError = parsed.problem
    const where = parsed.problem.line > 0 ? `line ${parsed.problem.line}: ` : ''
    return { status: 'fail', message: `invalid ${format === 'openmetrics' ? 'OpenMetrics' : 'Prometheus text'} exposition: ${where}${parsed.problem.message}`, evidence }
  }
  const { families, sampleCount } = parsed.exposition
  evidence.families = families.length
  evidence.samples = sampleCount
  evidence.required = require.map((r) => judgeRequirement(r, families))
  const failed = evidence.required.filter((r) => r.problem)
  const summary = `${obs.status}, ${families.length} families, ${sampleCount} samples`
  if (failed.length > 0) return { status: 'fail', message: failed.map((r) => r.problem).join('; '), evidence }
  const met = evidence.required.map((r) => `${describe(r)}${r.min !== undefined ? ` = ${r.sum} ≥ ${r.min}` : ''}`)
  return { status: 'pass', message: met.length > 0 ? `${summary}; present: ${met.join(', ')}` : summary, evidence }
}

function judgeRequirement(r: MetricRequirement, families: readonly MetricFamily[]): RequirementEvidence {
  const names = new Set([r.name, r.name.endsWith('_total') ? r.name.slice(0, -'_total'.length) : r.name + '_total'])
  const labelsMatch = (s: Sample) => Object.entries(r.labels ?? {}).every(([k, v]) => s.labels[k] === v)
  const matched: Sample[] = []
  let declared = false
  for (const fam of families) {
    const familyNamed = names.has(fam.name)
    declared ||= familyNamed
    const histogramLike = fam.type === 'histogram' || fam.type === 'summary' || fam.type === 'gaugehistogram'
    for (const s of fam.samples) {
      // A histogram/summary named by its family stands for its observation count; its series can also be named directly (x_bucket, x_sum).
      const sampleNamed = histogramLike && familyNamed ? s.name === fam.name + (fam.type === 'gaugehistogram' ? '_gcount' : '_count') : names.has(s.name)
      if (sampleNamed && labelsMatch(s)) matched.push(s)
    }
  }
  const out: RequirementEvidence = { name: r.name, present: matched.length > 0, samples: [], matchedCount: matched.length }
  if (r.labels) out.labels = r.labels
  if (r.min !== undefined) out.min = r.min
  out.samples = matched.slice(0, LISTED_SAMPLES).map((s) => ({ name: s.name, labels: s.labels, value: jsonNumber(s.value) }))
  if (matched.length === 0) {
    out.problem = declared
      ? `${describe(out)} is declared but has no ${r.labels ? 'matching ' : ''}samples`
      : `${describe(out)} is missing`
    return out
  }
  const sum = matched.reduce((a, s) => a + s.value, 0)
  out.sum = jsonNumber(sum)
  if (r.min !== undefined && !(sum >= r.min)) out.problem = `${describe(out)} is ${out.sum}, below the minimum ${r.min}`
  return out
}

function describe(r: { name: string; labels?: Record<string, string> }): string {
  const labels = Object.entries(r.labels ?? {})
  return labels.length === 0 ? r.name : `${r.name}{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`
}

/** JSON has no NaN/Infinity: keep them readable as strings in evidence. */
function jsonNumber(n: number): number | string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  return n
}

function defaultTitle(url: string, require: readonly MetricRequirement[]): string {
  const u = displayUrl(url)
  if (require.length === 0) return `Metrics endpoint ${u} serves a valid exposition`
  const names = require.map(describe)
  return `Metrics endpoint ${u} exposes ${names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')}`
}
