import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { resolveUrl, timeoutProperties, tlsProperties, transportFromEntry, type HttpTransportFields, titleUrl } from './http-shared.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/latency.ts')

/** A `kind: latency` entry. */
export interface LatencyEntry extends CommonCheckFields, HttpTransportFields {
  url: string
  requests?: number
  concurrency?: number
  maxDuration?: number | string
  method?: string
  headers?: Record<string, string>
  p50?: number | string
  p95?: number | string
  p99?: number | string
  max?: number | string
  maxErrors?: number
}

export const latencyKind: CheckKind<LatencyEntry> = {
  kind: 'latency',
  description: 'latency sample: N requests at concurrency C, p50/p95/p99/max and errors against thresholds (bounded by count and time)',
  positional: 'url',
  properties: {
    url: { type: 'string', minLength: 1, description: 'absolute http(s) URL, or a path resolved against the target baseUrl' },
    requests: { type: 'integer', minimum: 1, maximum: 10000, default: 100, description: 'number of requests (N)' },
    concurrency: { type: 'integer', minimum: 1, maximum: 100, default: 10, description: 'requests in flight at once (C)' },
    maxDuration: { ...durationSchema, description: 'time bound for the whole sample; unfinished requests fail the check (default 30s)' },
    method: { type: 'string', pattern: '^[A-Za-z]+$', default: 'GET', description: 'HTTP method' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'request headers (env:NAME for secrets)' },
    p50: { ...durationSchema, description: 'upper bound for the median latency, e.g. 200ms' },
    p95: { ...durationSchema, description: 'upper bound for the 95th percentile, e.g. 500ms' },
    p99: { ...durationSchema, description: 'upper bound for the 99th percentile, e.g. 1s' },
    max: { ...durationSchema, description: 'upper bound for the slowest request' },
    maxErrors: { type: 'integer', minimum: 0, default: 0, description: 'errors allowed (network failures and HTTP status >= 400)' },
    ...timeoutProperties,
    ...tlsProperties,
  },
  required: ['url'],
  title(entry, ctx) {
    const where = titleUrl(entry.url, ctx)
    return `Latency of ${where} over ${entry.requests ?? 100} requests${entry.p95 !== undefined ? ` (p95 < ${entry.p95})` : ''}`
  },
  build(entry, ctx) {
    const url = resolveUrl(entry.url, ctx).toString()
    const transport = transportFromEntry(entry, ctx)
    const ms = (v: number | string | undefined) => (v === undefined ? undefined : parseDuration(v))
    const limits = { p50: ms(entry.p50), p95: ms(entry.p95), p99: ms(entry.p99), max: ms(entry.max), maxDuration: ms(entry.maxDuration) }
    return {
      run: async (signal) =>
        (await load()).latencySample({
          ...transport,
          url,
          id: entry.id,
          signal,
          ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
          ...(entry.title !== undefined ? { title: entry.title } : {}),
          ...(entry.requests !== undefined ? { requests: entry.requests } : {}),
          ...(entry.concurrency !== undefined ? { concurrency: entry.concurrency } : {}),
          ...(entry.method !== undefined ? { method: entry.method } : {}),
          ...(entry.headers !== undefined ? { headers: entry.headers } : {}),
          ...(entry.maxErrors !== undefined ? { maxErrors: entry.maxErrors } : {}),
        }),
    }
  },
}
