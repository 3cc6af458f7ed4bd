import { metricsEndpoint, normalizeRequirements, type MetricRequirement, type MetricsEndpointOptions } from '../../checks/metrics.ts'
import { resolveUrl, timeoutProperties, tlsProperties, transportFromEntry, type HttpTransportFields, titleUrl } from './http-shared.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

/** A `kind: metrics` entry of a target file. */
export interface MetricsCheckEntry extends CommonCheckFields, HttpTransportFields {
  url?: string
  require?: string | (MetricRequirement | string)[]
  expectStatus?: number | number[]
  headers?: Record<string, string>
  accept?: string
  maxBodyBytes?: number
}

export const DEFAULT_METRICS_PATH = '/metrics'

const statusCode = { type: 'integer', minimum: 100, maximum: 599 }
const metricName = { type: 'string', pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$' }
const requirementObject = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  description: 'a metric with label values and a minimum',
  properties: {
    name: { ...metricName, description: 'metric name' },
    labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'label values a sample must have (exact match)' },
    min: { type: 'number', description: 'minimum of the sum over the matching samples (inclusive)' },
  },
}

export const metricsKind: CheckKind<MetricsCheckEntry> = {
  kind: 'metrics',
  description: 'Prometheus /metrics endpoint: parses (text 0.0.4 or OpenMetrics 1.0) and has the required families',
  positional: 'url',
  properties: {
    url: { type: 'string', minLength: 1, default: DEFAULT_METRICS_PATH, description: 'absolute http(s) URL, or a path resolved against the target baseUrl' },
    require: {
      description:
        'metric families that must be present: a name, or { name, labels, min } (counters match with or without _total; min applies to the sum of the matching samples); one name alone is accepted too (check metrics URL --require NAME)',
      anyOf: [{ ...metricName, description: 'one metric name' }, { type: 'array', items: { anyOf: [{ ...metricName, description: 'metric name' }, requirementObject] } }],
    },
    expectStatus: { anyOf: [statusCode, { type: 'array', items: statusCode, minItems: 1 }], default: 200, description: 'status code(s) that pass' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'request headers, e.g. Authorization: env:METRICS_TOKEN (values never reach evidence)' },
    accept: { type: 'string', minLength: 1, description: 'Accept header (default: OpenMetrics 1.0.0 preferred, then text 0.0.4, as Prometheus asks)' },
    maxBodyBytes: { type: 'integer', minimum: 1, description: 'largest exposition read, bytes (default 16 MiB); a larger one fails' },
    ...timeoutProperties,
    ...tlsProperties,
  },
  title(entry, ctx) {
    const where = titleUrl(entry.url ?? DEFAULT_METRICS_PATH, ctx)
    const names = requirements(entry).map((r) => (typeof r === 'string' ? r : r.name))
    return names.length === 0 ? `Metrics endpoint ${where} serves a valid exposition` : `Metrics endpoint ${where} exposes ${names.join(', ')}`
  },
  build(entry, ctx) {
    const opts: MetricsEndpointOptions = { ...transportFromEntry(entry, ctx), url: resolveUrl(entry.url ?? DEFAULT_METRICS_PATH, ctx).toString() }
    // Checked now so a bad requirement is a configuration error before anything runs.
    if (entry.require !== undefined) opts.require = normalizeRequirements(requirements(entry))
    if (entry.expectStatus !== undefined) opts.expectStatus = entry.expectStatus
    if (entry.headers !== undefined) opts.headers = entry.headers
    if (entry.accept !== undefined) opts.accept = entry.accept
    if (entry.maxBodyBytes !== undefined) opts.maxBodyBytes = entry.maxBodyBytes
    return { run: (signal) => metricsEndpoint({ ...opts, signal }) }
  },
}

function requirements(entry: MetricsCheckEntry): (MetricRequirement | string)[] {
  const r = entry.require
  return r === undefined ? [] : typeof r === 'string' ? [r] : r
}
