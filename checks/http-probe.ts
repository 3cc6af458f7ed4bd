import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { HttpConnectionError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { displayUrl, httpRequest, isSensitiveHeader, maskHeaders, parseHttpUrl, transportOptions, type HttpTransportOptions } from '../clients/http.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'

/**
 * `httpProbe`: one HTTP request (redirects followed only when asked), judged on status, latency
 * and, optionally, a JSON Schema the body must match.
 */

export interface HttpProbeExpectations {
  /** Accepted status code(s). Default 200. */
  status?: number | number[]
  /** JSON Schema the body must match; the body must then be JSON. Default: the body is not checked. */
  json?: Record<string, unknown> | boolean
  /** Maximum ms until the response headers (summed over redirects when they are followed). Default: no limit. */
  maxLatencyMs?: number
}

export interface HttpProbeOptions extends HttpTransportOptions {
  /** Absolute http(s) URL. Required. */
  url: string
  /** HTTP method. Default `GET`. */
  method?: string
  /** Request headers. Values of Authorization, Cookie, *-Signature, *token* headers never reach evidence. */
  headers?: Record<string, string>
  /** Request body. Default: none. */
  body?: string
  /** What the response must satisfy. Default: status 200. */
  expect?: HttpProbeExpectations
  /** Follow 301/302/303/307/308 redirects, at most `maxRedirects` hops. Default false. */
  followRedirects?: boolean
  /** Hops followed when `followRedirects` is on; more is a failure. Default 5. */
  maxRedirects?: number
  /** Response headers copied into evidence (case-insensitive). Default content-type, location, server, cache-control. */
  evidenceHeaders?: readonly string[]
  /** Result id. Default `http`. */
  id?: string
  /** Result title. Default "GET <url> answers 200". */
  title?: string
}

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

type ResolvedProbeOptions = HttpProbeOptions & { method: string; followRedirects: boolean; maxRedirects: number; evidenceHeaders: readonly string[]; id: string }

export const HTTP_PROBE_DEFAULTS: Readonly<Pick<ResolvedProbeOptions, 'method' | 'followRedirects' | 'maxRedirects' | 'evidenceHeaders' | 'id'>> = Object.freeze({
  method: 'GET',
  followRedirects: false,
  maxRedirects: 5,
  evidenceHeaders: Object.freeze(['content-type', 'location', 'server', 'cache-control']) as readonly string[],
  id: 'http',
})

const EXCERPT_CHARS = 500
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

export async function httpProbe(options: HttpProbeOptions): Promise<CheckResult<HttpProbeEvidence>> {
  const opts: ResolvedProbeOptions = { ...HTTP_PROBE_DEFAULTS, ...stripUndefined(options) }
  if (typeof opts.url !== 'string') throw new InvalidArgumentError('httpProbe: url is required')
  parseHttpUrl(opts.url)
  if (!Number.isInteger(opts.maxRedirects) || opts.maxRedirects < 0) throw new InvalidArgumentError(`maxRedirects must be a non-negative integer, got ${opts.maxRedirects}`)
  const expect = normalizeExpectations(opts.expect)
  const method = opts.method.toUpperCase()
  const title = opts.title ?? `${method} ${displayUrl(opts.url)} answers ${expect.status.join(' or ')}`
  return timed({ id: opts.id, title, kind: 'http' }, async () => judgeHttpProbe(await observeHttp(opts, method), expect))
}

/** Expectations with defaults applied and values checked; InvalidArgumentError for bad ones. */
export function normalizeExpectations(exp: HttpProbeExpectations = {}): { status: number[]; json?: Record<string, unknown> | boolean; maxLatencyMs?: number } {
  const status = exp.status === undefined ? [200] : Array.isArray(exp.status) ? exp.status : [exp.status]
  if (status.length === 0 || !status.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
    throw new InvalidArgumentError(`expect.status must be an HTTP status code (100-599) or a non-empty list of them, got ${JSON.stringify(exp.status)}`)
  }
  if (exp.maxLatencyMs !== undefined && (!Number.isFinite(exp.maxLatencyMs) || exp.maxLatencyMs <= 0)) {
    throw new InvalidArgumentError(`expect.maxLatencyMs must be a positive number of ms, got ${exp.maxLatencyMs}`)
  }
  const out: { status: number[]; json?: Record<string, unknown> | boolean; maxLatencyMs?: number } = { status }
  if (exp.maxLatencyMs !== undefined) out.maxLatencyMs = exp.maxLatencyMs
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
