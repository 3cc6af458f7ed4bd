import { httpProbe, type HttpProbeExpectations } from '../../checks/http-probe.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { resolveUrl, timeoutProperties, tlsProperties, transportFromEntry, type HttpTransportFields, titleUrl } from './http-shared.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

/** A `kind: http` entry of a target file. */
export interface HttpCheckEntry extends CommonCheckFields, HttpTransportFields {
  url: string
  method?: string
  headers?: Record<string, string>
  body?: string
  expect?: { status?: number | number[]; json?: Record<string, unknown> | boolean; maxLatency?: number | string }
  followRedirects?: boolean
  evidenceHeaders?: string[]
  maxBodyBytes?: number
}

const statusCode = { type: 'integer', minimum: 100, maximum: 599 }

export const httpKind: CheckKind<HttpCheckEntry> = {
  kind: 'http',
  description: 'HTTP request judged on status, JSON body (JSON Schema) and latency',
  positional: 'url',
  aliases: { status: 'expect.status', 'json-schema': 'expect.json', 'max-latency': 'expect.maxLatency' }, // not --json: the CLI's output flag
  properties: {
    url: { type: 'string', minLength: 1, description: 'absolute http(s) URL, or a path such as /health resolved against the target baseUrl' },
    method: { type: 'string', pattern: '^[A-Za-z]+$', default: 'GET', description: 'HTTP method' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'request headers (use env:NAME for secrets; their values never reach evidence)' },
    body: { type: 'string', description: 'request body' },
    expect: {
      type: 'object',
      additionalProperties: false,
      description: 'what the response must satisfy (default: status 200)',
      properties: {
        status: { anyOf: [statusCode, { type: 'array', items: statusCode, minItems: 1 }], default: 200, description: 'accepted status code or list of codes' },
        json: { type: ['object', 'boolean'], description: 'JSON Schema the body must match (the body must be JSON)' },
        maxLatency: { ...durationSchema, description: 'maximum time to the response headers, e.g. 500ms' },
      },
    },
    followRedirects: { type: 'boolean', default: false, description: 'follow up to 5 redirects' },
    evidenceHeaders: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'response headers to record (default content-type, location, server, cache-control)' },
    maxBodyBytes: { type: 'integer', minimum: 0, description: 'read at most this many body bytes (default 1048576)' },
    ...timeoutProperties,
    ...tlsProperties,
  },
  required: ['url'],
  title(entry, ctx) {
    const where = titleUrl(entry.url, ctx)
    const status = entry.expect?.status ?? 200
    return `${(entry.method ?? 'GET').toUpperCase()} ${where} answers ${Array.isArray(status) ? status.join(' or ') : status}`
  },
  build(entry, ctx) {
    const url = resolveUrl(entry.url, ctx).toString()
    const transport = transportFromEntry(entry, ctx)
    const expect: HttpProbeExpectations = {}
    if (entry.expect?.status !== undefined) expect.status = entry.expect.status
    if (entry.expect?.json !== undefined) expect.json = entry.expect.json
    if (entry.expect?.maxLatency !== undefined) expect.maxLatencyMs = parseDuration(entry.expect.maxLatency)
    return {
      run: (signal) =>
        httpProbe({
          ...transport,
          url,
          signal,
          expect,
          ...(entry.method !== undefined ? { method: entry.method } : {}),
          ...(entry.headers !== undefined ? { headers: entry.headers } : {}),
          ...(entry.body !== undefined ? { body: entry.body } : {}),
          ...(entry.followRedirects !== undefined ? { followRedirects: entry.followRedirects } : {}),
          ...(entry.evidenceHeaders !== undefined ? { evidenceHeaders: entry.evidenceHeaders } : {}),
          ...(entry.maxBodyBytes !== undefined ? { maxBodyBytes: entry.maxBodyBytes } : {}),
        }),
    }
  },
}
