import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { displayUrl, HTTP_TRANSPORT_FIELDS, httpRequest, isSensitiveHeader, maskHeaders, parseHttpUrl, SENSITIVE_HEADER, transportOptions } from '../clients/http.ts'
import { HttpConnectionError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { defaultsOf, Duration, Options, StatusCodes, StringMap, Type, Url, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: http` — `httpProbe`: one HTTP request (redirects followed only when asked), judged on
 * status, latency and, optionally, a JSON Schema the body must match.
 */

export const HttpExpectations = Options(
  {
    status: Type.Optional(StatusCodes({ default: 200, description: 'accepted status code or list of codes' })),
    json: Type.Optional(Type.Unsafe<Record<string, unknown> | boolean>({ type: ['object', 'boolean'], description: 'JSON Schema the body must match (the body must then be JSON)' })),
    maxLatency: Type.Optional(Duration({ positive: true, description: 'maximum time to the response headers (summed over redirects), e.g. 500ms' })),
  },
  { description: 'what the response must satisfy (default: status 200)' },
)
export type HttpProbeExpectations = Static<typeof HttpExpectations>

export const HttpOptions = Options({
  url: Url({ description: 'absolute http(s) URL, or a path such as /health under the target baseUrl' }),
  method: Type.Optional(Type.String({ pattern: '^[A-Za-z]+$', default: 'GET', description: 'HTTP method' })),
  headers: Type.Optional(StringMap({ secretKeys: SENSITIVE_HEADER, description: 'request headers; credentials (Authorization, tokens, cookies, signatures, API keys) must be env: references, and no sensitive header value reaches evidence' })),
  body: Type.Optional(Type.String({ description: 'request body' })),
  expect: Type.Optional(HttpExpectations),
  followRedirects: Type.Optional(Type.Boolean({ default: false, description: 'follow 301/302/303/307/308 redirects, at most maxRedirects hops' })),
  maxRedirects: Type.Optional(Type.Integer({ minimum: 0, default: 5, description: 'hops followed when followRedirects is on; more is a failure' })),
  evidenceHeaders: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: ['content-type', 'location', 'server', 'cache-control'], description: 'response headers copied into evidence (case-insensitive)' })),
  maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0, default: 1024 * 1024, description: 'read at most this many body bytes' })),
  ...HTTP_TRANSPORT_FIELDS,
})
export type HttpProbeOptions = Static<typeof HttpOptions> & RunContext

/** What the probe saw; input of the pure judge. */
export interface HttpProbeObservation {
  method: string
  /** Final URL (after redirects), password masked. */
  url: string
  /** Request headers with sensitive values masked. */
  requestHeaders: Record<string, string>
  /** URLs of the redirects followed, in order. */
  redirects: string[]
  status?: number
  /** ms to the final response headers. */
  latencyMs?: number
  bytes?: number
  truncated?: boolean
  /** Selected response headers (lower-case names). */
  headers?: Record<string, string>
  /** Body read (at most maxBodyBytes), decoded as UTF-8. */
  body?: string
  /** Transport failure: the request got no (complete) response. */
  error?: { message: string; code: string; phase?: string }
}

export type HttpProbeEvidence = {
  method: string
  url: string
  requestHeaders: Record<string, string>
  redirects?: string[]
  status?: number
  latencyMs?: number
  bytes?: number
  truncated?: boolean
  contentType?: string
  headers?: Record<string, string>
  /** First 500 characters of the body. */
  bodyExcerpt?: string
  /** Every JSON Schema violation, when the body did not match. */
  jsonErrors?: string[]
  error?: { code: string; phase?: string }
  expected: { status: number[]; maxLatencyMs?: number; json?: boolean }
}


export const HTTP_PROBE_DEFAULTS = Object.freeze({ ...defaultsOf(HttpOptions, 'method', 'followRedirects', 'maxRedirects', 'evidenceHeaders', 'maxBodyBytes'), id: 'http' as string })
const STATUS_DEFAULT = defaultsOf(HttpExpectations, 'status').status

const EXCERPT_CHARS = 500
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

export const httpKind = defineKind({
  kind: 'http',
  description: 'an HTTP request judged on status (one or a list; default 200), a JSON body against a JSON Schema, and latency; redirects followed only when asked',
  options: HttpOptions,
  positional: 'url',
  // not --json: that is the command's output flag
  aliases: { status: 'expect.status', 'json-schema': 'expect.json', 'max-latency': 'expect.maxLatency' },
  title(o) {
    const status = o.expect?.status ?? STATUS_DEFAULT
    return `${(o.method ?? HTTP_PROBE_DEFAULTS.method).toUpperCase()} ${displayUrl(o.url)} answers ${Array.isArray(status) ? status.join(' or ') : status}`
  },
  validate: (o) => void normalizeExpectations(o.expect),
  run: (o, rt) => httpProbe({ ...o, ...rt }),
})

type ResolvedProbeOptions = HttpProbeOptions & typeof HTTP_PROBE_DEFAULTS

export async function httpProbe(options: HttpProbeOptions): Promise<CheckResult<HttpProbeEvidence>> {
  const opts: ResolvedProbeOptions = { ...HTTP_PROBE_DEFAULTS, ...stripUndefined(options) }
  if (typeof opts.url !== 'string') throw new InvalidArgumentError('httpProbe: url is required')
  parseHttpUrl(opts.url)
  if (!Number.isInteger(opts.maxRedirects) || opts.maxRedirects < 0) throw new InvalidArgumentError(`maxRedirects must be a non-negative integer, got ${opts.maxRedirects}`)
  const expect = normalizeExpectations(opts.expect)
  const method = opts.method.toUpperCase()
  const title = opts.title ?? `${method} ${displayUrl(opts.url)} answers ${expect.status.join(' or ')}`
  return timed({ id: opts.id, title, kind: 'http' }, async () => judgeHttpProbe(await observeHttp(opts, method), opts.expect ?? {}))
}

/** Expectations with defaults applied and values checked; InvalidArgumentError for bad ones. */
export function normalizeExpectations(exp: HttpProbeExpectations = {}): { status: number[]; json?: Record<string, unknown> | boolean; maxLatencyMs?: number } {
  const status = exp.status === undefined ? [200] : Array.isArray(exp.status) ? exp.status : [exp.status]
  if (status.length === 0 || !status.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
    throw new InvalidArgumentError(`expect.status must be an HTTP status code (100-599) or a non-empty list of them, got ${JSON.stringify(exp.status)}`)
  }
  if (exp.maxLatency !== undefined && (!Number.isFinite(exp.maxLatency) || exp.maxLatency <= 0)) {
    throw new InvalidArgumentError(`expect.maxLatency must be a positive number of ms, got ${exp.maxLatency}`)
  }
  const out: { status: number[]; json?: Record<string, unknown> | boolean; maxLatencyMs?: number } = { status }
  if (exp.maxLatency !== undefined) out.maxLatencyMs = exp.maxLatency
  if (exp.json !== undefined) {
    compileSchema(exp.json)
    out.json = exp.json
  }
  return out
}

async function observeHttp(opts: ResolvedProbeOptions, initialMethod: string): Promise<HttpProbeObservation> {
  let url = opts.url
  let method = initialMethod
  let body = opts.body
  let headers = { ...(opts.headers ?? {}) }
  const obs: HttpProbeObservation = { method: initialMethod, url: displayUrl(url), requestHeaders: maskHeaders(headers), redirects: [] }
  let latencyMs = 0
  for (let hop = 0; ; hop++) {
    try {
      const res = await httpRequest({ ...transportOptions(opts), url, method, headers, body })
      latencyMs += res.latencyMs
      const location = res.headers.location
      if (opts.followRedirects && REDIRECT_STATUSES.has(res.status) && location) {
        if (hop >= opts.maxRedirects) {
          return { ...obs, url: displayUrl(url), latencyMs, status: res.status, headers: pickHeaders(res.headers, opts.evidenceHeaders),
            error: { message: `more than ${opts.maxRedirects} redirects (last to ${location})`, code: 'TOO_MANY_REDIRECTS' } }
        }
        latencyMs += res.totalMs - res.latencyMs
        const next = new URL(location, url)
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          return { ...obs, url: displayUrl(url), latencyMs, status: res.status, error: { message: `redirect to unsupported URL ${location}`, code: 'BAD_REDIRECT' } }
        }
        // Credentials stay with the origin they were meant for.
        if (next.origin !== new URL(url).origin) headers = dropCredentials(headers)
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = method === 'HEAD' ? 'HEAD' : 'GET'
          body = undefined
        }
        obs.redirects.push(displayUrl(next))
        url = next.toString()
        continue
      }
      return {
        ...obs,
        method,
        url: displayUrl(url),
        status: res.status,
        latencyMs,
        bytes: res.bytes,
        truncated: res.truncated,
        headers: pickHeaders(res.headers, opts.evidenceHeaders),
        body: res.body.toString('utf8'),
      }
    } catch (err) {
      if (err instanceof TimeoutError) return { ...obs, url: displayUrl(url), error: { message: err.message, code: err.code, phase: String(err.phase) } }
      if (err instanceof HttpConnectionError) return { ...obs, url: displayUrl(url), error: { message: err.message, code: err.code } }
      throw err // interrupted, bad arguments, bugs: not the target's fault
    }
  }
}

/** Pure: the verdict on one observation. */
export function judgeHttpProbe(obs: HttpProbeObservation, expectations: HttpProbeExpectations): Verdict<HttpProbeEvidence> {
  const exp = normalizeExpectations(expectations)
  const evidence: HttpProbeEvidence = {
    method: obs.method,
    url: obs.url,
    requestHeaders: obs.requestHeaders,
    expected: { status: exp.status, ...(exp.maxLatencyMs !== undefined ? { maxLatencyMs: exp.maxLatencyMs } : {}), ...(exp.json !== undefined ? { json: true } : {}) },
  }
  if (obs.redirects.length > 0) evidence.redirects = obs.redirects
  if (obs.status !== undefined) evidence.status = obs.status
  if (obs.latencyMs !== undefined) evidence.latencyMs = obs.latencyMs
  if (obs.bytes !== undefined) evidence.bytes = obs.bytes
  if (obs.truncated) evidence.truncated = true
  if (obs.headers) {
    evidence.headers = obs.headers
    if (obs.headers['content-type'] !== undefined) evidence.contentType = obs.headers['content-type']
  }
  if (obs.body !== undefined) evidence.bodyExcerpt = excerpt(obs.body, obs.truncated)

  if (obs.error) {
    evidence.error = { code: obs.error.code, ...(obs.error.phase ? { phase: obs.error.phase } : {}) }
    return { status: 'fail', message: obs.error.message, evidence }
  }
  const problems: string[] = []
  if (obs.status === undefined || !exp.status.includes(obs.status)) {
    problems.push(`expected status ${exp.status.join(' or ')}, got ${obs.status ?? 'none'}`)
  }
  if (exp.maxLatencyMs !== undefined && obs.latencyMs !== undefined && obs.latencyMs > exp.maxLatencyMs) {
    problems.push(`latency ${obs.latencyMs} ms over budget ${exp.maxLatencyMs} ms`)
  }
  if (exp.json !== undefined) {
    const jsonProblem = judgeJsonBody(obs, exp.json)
    if (jsonProblem) {
      problems.push(jsonProblem.message)
      if (jsonProblem.errors) evidence.jsonErrors = jsonProblem.errors
    }
  }
  if (problems.length > 0) return { status: 'fail', message: problems.join('; '), evidence }
  const parts = [`status ${obs.status}`]
  if (obs.latencyMs !== undefined) parts.push(`in ${obs.latencyMs} ms`)
  if (exp.json !== undefined) parts.push('body matches the schema')
  if (obs.redirects.length > 0) parts.push(`after ${obs.redirects.length} redirect(s)`)
  return { status: 'pass', message: parts.join(', '), evidence }
}

function judgeJsonBody(obs: HttpProbeObservation, schema: Record<string, unknown> | boolean): { message: string; errors?: string[] } | undefined {
  const body = obs.body ?? ''
  const contentType = obs.headers?.['content-type']
  let data: unknown
  try {
    data = JSON.parse(body)
  } catch (err) {
    if (obs.truncated) return { message: `body is not complete JSON: it was cut at ${Buffer.byteLength(body)} bytes (raise maxBodyBytes)` }
    const what = body.trim() === '' ? 'empty' : `${(err as Error).message}`
    return { message: `body is not JSON (${contentType ? `content-type ${contentType}` : 'no content-type'}): ${what}` }
  }
  const validate = compileSchema(schema)
  if (validate(data)) return undefined
  const errors = (validate.errors ?? []).map((e) => describeSchemaError(e, data))
  const shown = errors.slice(0, 3).join('; ')
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''
  return { message: `body does not match: ${shown}${more}`, errors }
}

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv
let ajv: Ajv | undefined
const compiled = new WeakMap<object, ValidateFunction>()
const compiledBoolean = new Map<boolean, ValidateFunction>()

/** Compiles (once per schema object) a user's JSON Schema; InvalidArgumentError when it is not one. */
function compileSchema(schema: Record<string, unknown> | boolean): ValidateFunction {
  // strict off: user schemas carry annotations (example, x-...) that strict mode rejects.
  ajv ??= addFormats(new Ajv({ allErrors: true, strict: false }))
  const cached = typeof schema === 'boolean' ? compiledBoolean.get(schema) : compiled.get(schema)
  if (cached) return cached
  let fn: ValidateFunction
  try {
    fn = ajv.compile(schema)
  } catch (cause) {
    throw new InvalidArgumentError(`expect.json is not a valid JSON Schema: ${(cause as Error).message}`, { cause })
  }
  if (typeof schema === 'boolean') compiledBoolean.set(schema, fn)
  else compiled.set(schema, fn)
  return fn
}

/** One ajv error as a line: `/status must be equal to constant "healthy" (got "degraded")`. */
export function describeSchemaError(e: ErrorObject, data: unknown): string {
  const where = e.instancePath || '(root)'
  let what = e.message ?? e.keyword
  const params = e.params as Record<string, unknown>
  if (e.keyword === 'const') what += ` ${JSON.stringify(params.allowedValue)}`
  else if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) what += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
  const got = e.keyword === 'required' || e.keyword === 'additionalProperties' ? undefined : valueAt(data, e.instancePath)
  return got === undefined ? `${where} ${what}` : `${where} ${what} (got ${got})`
}

/** Short JSON rendering of the value at a JSON Pointer; undefined for objects/arrays and missing values. */
function valueAt(data: unknown, pointer: string): string | undefined {
  let cur: unknown = data
  if (pointer) {
    for (const raw of pointer.slice(1).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
      if (cur === null || typeof cur !== 'object') return undefined
      cur = (cur as Record<string, unknown>)[key]
    }
  }
  if (cur === undefined || (cur !== null && typeof cur === 'object')) return undefined
  const s = JSON.stringify(cur)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}

/** First EXCERPT_CHARS characters; binary bodies are summarised, not copied. */
export function excerpt(body: string, truncated = false): string {
  if (body.includes('\u0000')) return `<binary body, ${Buffer.byteLength(body)} bytes>`
  const chars = [...body]
  if (chars.length <= EXCERPT_CHARS) return truncated ? `${body}…` : body
  return `${chars.slice(0, EXCERPT_CHARS).join('')}…`
}

function pickHeaders(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const n of names) {
    const v = headers[n.toLowerCase()]
    if (v !== undefined) out[n.toLowerCase()] = v
  }
  return maskHeaders(out)
}

/** Without the headers that carry credentials (Authorization, Cookie, X-Api-Key, *token*, *-Signature, ...). */
function dropCredentials(headers: Record<string, string>): Record<string, string> {
  // The same rule that masks evidence: a header too secret to record is too secret to hand to another origin.
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !isSensitiveHeader(k)))
}
