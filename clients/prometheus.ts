import { Options, Secret, StringMap, Type, Url, type Static } from '../lib/schema.ts'
import type { OptionProblem } from '../lib/errors.ts'
import { HTTP_TRANSPORT_FIELDS, SENSITIVE_HEADER } from './http.ts'
import { errorMessage, InterruptedError, InvalidArgumentError } from '../lib/errors.ts'
import type { Redactor } from '../lib/redact.ts'
import { basicAuthorization, bearerAuthorization, httpRequest, parseHttpUrl } from './http.ts'

/**
 * A small client for the Prometheus HTTP API (`/api/v1/...`). It never throws because Prometheus
 * is down or answers with an error: every outcome is data (`PromApiOutcome`), so checks can judge it.
 * Envelope and error types follow prometheus/prometheus docs/querying/api.md and web/api/v1/api.go.
 */

/**
 * The connection options of every Prometheus check kind (`prom-query`, `prom-targets`,
 * `prom-alerts`), declared once here and spread into each kind's options: where Prometheus is,
 * how to authenticate, and the HTTP transport (timeouts, CA, server name).
 */
export const PROMETHEUS_CONNECTION_FIELDS = Object.freeze({
  prometheus: Url({ description: 'Prometheus base URL, e.g. http://prometheus:9090, or the query URL of anything serving its HTTP API (Thanos, Mimir, VictoriaMetrics); a path such as /prometheus goes under the target baseUrl' }),
  bearerToken: Type.Optional(Secret(Type.String({ minLength: 1, description: 'sent as Authorization: Bearer <token> (not with username/password)' }))),
  username: Type.Optional(Type.String({ description: 'HTTP basic auth user name, with password' })),
  password: Type.Optional(Secret(Type.String({ description: 'HTTP basic auth password' }))),
  headers: Type.Optional(StringMap({ secretKeys: SENSITIVE_HEADER, description: 'extra request headers, e.g. X-Scope-OrgID for Mimir; credentials (Authorization, tokens, cookies, API keys) must be env: references' })),
  ...HTTP_TRANSPORT_FIELDS,
})
const ConnectionSchema = Options(PROMETHEUS_CONNECTION_FIELDS)
/** The connection options as a check receives them (absolute URL, ms, a CA file path or PEM text). */
export type PrometheusConnectionOptions = Static<typeof ConnectionSchema>

const CONNECTION_KEYS = Object.keys(PROMETHEUS_CONNECTION_FIELDS).filter((k) => k !== 'prometheus') as (keyof Omit<PrometheusConnectionOptions, 'prometheus'>)[]

/**
 * The rules on the connection options, for each kind's validate (so a bad entry fails when it is
 * built, and library callers of the checks get the same words): an http(s) URL, and one way to
 * authenticate. `{field}` names another option.
 */
export function prometheusConnectionProblems(o: Partial<PrometheusConnectionOptions>): OptionProblem[] {
  let url: URL | undefined
  try {
    url = parseHttpUrl(String(o.prometheus))
  } catch {
    return [{ path: ['prometheus'], message: 'must be an absolute http(s) URL' }]
  }
  if (o.bearerToken && (o.username || o.password || url.username || url.password)) {
    return [{ path: ['bearerToken'], message: 'give {bearerToken} or basic auth ({username} and {password}, or credentials in the URL), not both' }]
  }
  return []
}

/** The client connection for a check's options (other fields ignored), with the attempt's signal and deadline. */
export function prometheusConnection(o: PrometheusConnectionOptions & { signal?: AbortSignal | undefined; deadline?: number | undefined }): PrometheusConnection {
  const conn: PrometheusConnection = { url: o.prometheus }
  for (const k of CONNECTION_KEYS) if (o[k] !== undefined) (conn as unknown as Record<string, unknown>)[k] = o[k]
  if (o.signal !== undefined) conn.signal = o.signal
  if (o.deadline !== undefined) conn.deadline = o.deadline
  return conn
}

/** How to reach Prometheus (or anything speaking its API: Thanos, Mimir, VictoriaMetrics). */
export interface PrometheusConnection {
  /** Base URL, e.g. `http://prometheus:9090` or `https://mimir.example.com/prometheus`. */
  url: string
  /** Sent as `Authorization: Bearer <token>`. Never put into evidence. */
  bearerToken?: string
  /** HTTP basic auth user name (with `password`). */
  username?: string
  /** HTTP basic auth password. Never put into evidence. */
  password?: string
  /** Extra request headers (e.g. `X-Scope-OrgID` for Mimir). */
  headers?: Record<string, string>
  /** PEM CA bundle for an https URL: a file path, or the PEM text itself. Default: system roots. */
  ca?: string | Buffer
  /** TLS server name. Default: the URL's host. */
  servername?: string
  /** ms to connect (TLS included). Default 5000. */
  connectTimeout?: number
  /** ms until response headers. Default 10000. */
  headersTimeout?: number
  /** ms of inactivity while reading the body. Default 10000. */
  bodyTimeout?: number
  /** Epoch ms by which each request must be over: the HTTP client caps every phase against it, so a hang names its phase. */
  deadline?: number
  /** Largest accepted response body in bytes. Default 8 MiB. */
  maxBodyBytes?: number
  signal?: AbortSignal
  /** Where the credentials (bearer token, password, the basic `user:password` pair) are registered for masking before anything is sent. Default: the process-wide redactor. */
  redactor?: Redactor
}

/** Prometheus `errorType` values (web/api/v1/api.go), plus what a client adds for transport problems. */
export type PromErrorType =
  | 'timeout'
  | 'canceled'
  | 'execution'
  | 'bad_data'
  | 'internal'
  | 'unavailable'
  | 'not_found'
  | 'not_acceptable'
  | (string & {})

export type PromApiOutcome<T> =
  | { ok: true; data: T; httpStatus: number; warnings: string[]; infos: string[]; latencyMs: number }
  | {
      ok: false
      /** `api`: Prometheus answered `status: error`; `http`: a non-2xx without an API envelope; `network`: no answer; `parse`: not JSON. */
      kind: 'api' | 'http' | 'network' | 'parse'
      /** Set when `kind` is `api`. */
      errorType?: PromErrorType
      error: string
      httpStatus?: number
    }

export interface PromSample {
  /** Series labels (`__name__` included when the query keeps it). */
  metric: Record<string, string>
  /** Sample value as Prometheus wrote it: a string because of `NaN`, `+Inf`, `-Inf`. */
  value: string
  /** Unix time in seconds. */
  time: number
}

export type PromQueryData =
  | { resultType: 'vector'; result: { metric: Record<string, string>; value?: [number, string]; histogram?: unknown }[] }
  | { resultType: 'matrix'; result: { metric: Record<string, string>; values?: [number, string][]; histograms?: unknown }[] }
  | { resultType: 'scalar'; result: [number, string] }
  | { resultType: 'string'; result: [number, string] }

/** One entry of `/api/v1/targets` `activeTargets`. */
export interface PromTarget {
  labels: Record<string, string>
  discoveredLabels?: Record<string, string>
  scrapePool: string
  scrapeUrl: string
  lastError: string
  lastScrape: string
  /** Seconds. */
  lastScrapeDuration: number
  health: 'up' | 'down' | 'unknown'
}

/** One entry of `/api/v1/alerts`. */
export interface PromAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  state: 'firing' | 'pending' | 'inactive' | (string & {})
  activeAt?: string
  value?: string
}

const DEFAULTS = Object.freeze({ maxBodyBytes: 8 * 1024 * 1024 })

/** GET (or form POST) an API path and unwrap the `{status, data, errorType, error}` envelope. */
export async function promApi<T>(conn: PrometheusConnection, path: string, params: Record<string, string | undefined> = {}, method: 'GET' | 'POST' = 'GET'): Promise<PromApiOutcome<T>> {
  const base = parseHttpUrl(conn.url)
  // Credentials written into the URL become basic auth; they never travel in the URL itself.
  let username = conn.username
  let password = conn.password
  if (base.username || base.password) {
    username ??= decodeURIComponent(base.username)
    password ??= decodeURIComponent(base.password)
    base.username = ''
    base.password = ''
  }
  if (conn.bearerToken && (username || password)) throw new InvalidArgumentError('give either bearerToken or username/password, not both')
  const url = new URL(base.href.replace(/\/+$/, '') + path)
  const form = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) (method === 'GET' ? url.searchParams : form).set(k, v)
  const headers: Record<string, string> = { accept: 'application/json', ...conn.headers }
  if (conn.bearerToken) headers.authorization = bearerAuthorization(conn.bearerToken, conn.redactor)
  else if (username !== undefined || password !== undefined) {
    headers.authorization = basicAuthorization(username, password, conn.redactor)
  }
  if (method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded'

  let res
  try {
    res = await httpRequest({
      url: url.href,
      method,
      headers,
      body: method === 'POST' ? form.toString() : undefined,
      ca: conn.ca,
      servername: conn.servername,
      connectTimeout: conn.connectTimeout,
      headersTimeout: conn.headersTimeout,
      bodyTimeout: conn.bodyTimeout,
      maxBodyBytes: conn.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
      signal: conn.signal,
      deadline: conn.deadline,
    })
  } catch (err) {
    if (err instanceof InvalidArgumentError || err instanceof InterruptedError) throw err
    return { ok: false, kind: 'network', error: errorMessage(err) }
  }
  if (res.truncated) return { ok: false, kind: 'parse', error: `response larger than ${conn.maxBodyBytes ?? DEFAULTS.maxBodyBytes} bytes`, httpStatus: res.status }
  let body: { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown; warnings?: unknown; infos?: unknown }
  try {
    body = JSON.parse(res.body.toString('utf8')) as typeof body
  } catch {
    if (res.status < 200 || res.status >= 300) return { ok: false, kind: 'http', error: `HTTP ${res.status}: ${snippet(res.body)}`, httpStatus: res.status }
    return { ok: false, kind: 'parse', error: `response is not JSON: ${snippet(res.body)}`, httpStatus: res.status }
  }
  if (body?.status === 'error') {
    return { ok: false, kind: 'api', errorType: String(body.errorType ?? 'unknown'), error: String(body.error ?? ''), httpStatus: res.status }
  }
  if (body?.status !== 'success' || res.status < 200 || res.status >= 300) {
    return { ok: false, kind: 'http', error: `HTTP ${res.status}: ${snippet(res.body)}`, httpStatus: res.status }
  }
  return {
    ok: true,
    data: body.data as T,
    httpStatus: res.status,
    warnings: Array.isArray(body.warnings) ? body.warnings.map(String) : [],
    infos: Array.isArray(body.infos) ? body.infos.map(String) : [],
    latencyMs: res.latencyMs,
  }
}

/** Instant query (`/api/v1/query`). POST, so long queries do not hit URL length limits. */
export function promInstantQuery(conn: PrometheusConnection, query: string, opts: { time?: string; timeout?: string } = {}): Promise<PromApiOutcome<PromQueryData>> {
  return promApi<PromQueryData>(conn, '/api/v1/query', { query, time: opts.time, timeout: opts.timeout }, 'POST')
}

/** Range query (`/api/v1/query_range`), times in Unix seconds, step in seconds. */
export function promRangeQuery(conn: PrometheusConnection, query: string, range: { start: number; end: number; step: number }): Promise<PromApiOutcome<PromQueryData>> {
  return promApi<PromQueryData>(conn, '/api/v1/query_range', { query, start: String(range.start), end: String(range.end), step: String(range.step) }, 'POST')
}

/** Active targets (`/api/v1/targets?state=active`). */
export function promActiveTargets(conn: PrometheusConnection): Promise<PromApiOutcome<{ activeTargets: PromTarget[] }>> {
  return promApi(conn, '/api/v1/targets', { state: 'active' })
}

/** Alerts the server currently holds (`/api/v1/alerts`): pending and firing. */
export function promAlerts(conn: PrometheusConnection): Promise<PromApiOutcome<{ alerts: PromAlert[] }>> {
  return promApi(conn, '/api/v1/alerts')
}

/** Parses a Prometheus sample value (`"0.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`). */
export function parsePromValue(s: string): number {
  if (s === 'NaN') return Number.NaN
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY
  if (s === '-Inf') return Number.NEGATIVE_INFINITY
  return Number(s)
}

/** A series as `name{a="b", c="d"}`, as Prometheus prints it. */
export function formatSeries(metric: Record<string, string>): string {
  const { __name__: name = '', ...labels } = metric
  const inner = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')
  return inner ? `${name}{${inner}}` : name || '{}'
}

/** A label matcher as in PromQL: `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`. */
export interface LabelMatcher {
  name: string
  op: '=' | '!=' | '=~' | '!~'
  value: string
}

/** Parses `a="x", b=~"y.*"` (braces optional). Throws InvalidArgumentError on bad syntax. */
export function parseLabelSelector(selector: string): LabelMatcher[] {
  let s = selector.trim()
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1)
  const out: LabelMatcher[] = []
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y
  let pos = 0
  while (pos < s.length) {
    re.lastIndex = pos
    const m = re.exec(s)
    if (!m) throw new InvalidArgumentError(`invalid label selector "${selector}": expected name="value", name!="value", name=~"regex" or name!~"regex"`)
    out.push({ name: m[1]!, op: m[2] as LabelMatcher['op'], value: JSON.parse(`"${m[3]!}"`) as string })
    pos = re.lastIndex
    if (m[4] === '') break
  }
  for (const m of out) {
    if (m.op === '=~' || m.op === '!~') {
      try {
        new RegExp(`^(?:${m.value})$`)
      } catch (cause) {
        throw new InvalidArgumentError(`invalid regex in label selector: ${m.name}${m.op}"${m.value}"`, { cause })
      }
    }
  }
  return out
}

/** True when the labels satisfy every matcher (a missing label is the empty string, as in PromQL; regexes are anchored). */
export function matchesLabels(labels: Record<string, string>, matchers: readonly LabelMatcher[]): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? ''
    switch (m.op) {
      case '=':
        return v === m.value
      case '!=':
        return v !== m.value
      case '=~':
        return new RegExp(`^(?:${m.value})$`).test(v)
      case '!~':
        return !new RegExp(`^(?:${m.value})$`).test(v)
    }
  })
}

/** A URL without user info and trailing slash, safe for evidence. Throws InvalidArgumentError when not a URL. */
export function publicUrl(url: string): string {
  const u = parseHttpUrl(url)
  u.username = ''
  u.password = ''
  return u.href.replace(/\/$/, '')
}

function snippet(body: Buffer): string {
  const s = body.toString('utf8', 0, Math.min(body.length, 200)).replace(/\s+/g, ' ').trim()
  return s || '(empty body)'
}
