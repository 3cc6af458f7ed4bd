import { InvalidArgumentError, errorMessage } from '../lib/errors.ts'
import { displayUrl } from '../lib/url.ts'
import { basicAuthorization } from './http.ts'

/**
 * Pushes a text exposition to a Prometheus Pushgateway: `PUT /metrics/job/<job>{/<label>/<value>}`,
 * which replaces every series of that group (so a check removed from the suite does not linger).
 * Label values go into the path URL-encoded, or as `<label>@base64/<base64url>` when they contain a
 * slash or are empty, as the Pushgateway's README specifies.
 */

export interface PushOptions {
  /** Pushgateway base URL, e.g. `http://pushgateway:9091` (a path prefix is kept). */
  url: string
  /** The `job` label of the group. */
  job: string
  /** Further grouping labels, in path order, e.g. `{ target: 'staging', shard: '2' }`. */
  grouping?: [string, string][]
  /** Exposition in text format 0.0.4. */
  body: string
  /** Whole request, ms. Default 10000. */
  timeoutMs?: number
  signal?: AbortSignal
}

export type PushResult = { ok: true; url: string; status: number } | { ok: false; url: string; reason: string }

export const PUSH_DEFAULTS = Object.freeze({ timeoutMs: 10_000 })

/** Checks a Pushgateway URL up front (a usage error before anything runs, not a warning after). */
export function parsePushgatewayUrl(value: string): URL {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    throw new InvalidArgumentError(`--pushgateway must be an http(s) URL such as http://pushgateway:9091, got "${value}"`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`--pushgateway must be an http(s) URL, got "${displayUrl(value)}"`)
  if (u.search || u.hash) throw new InvalidArgumentError(`--pushgateway takes the base URL only (no ?query or #fragment), got "${displayUrl(value)}"`)
  return u
}

/** `/metrics/job/runbook_kit/target/staging/shard/2` under the base URL. */
export function groupingUrl(base: string, job: string, grouping: readonly [string, string][] = []): string {
  const u = parsePushgatewayUrl(base)
  const segs = ['metrics', ...pathPair('job', job), ...grouping.flatMap(([k, v]) => pathPair(k, v))]
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/${segs.join('/')}`
  return u.toString()
}

/** Never throws for a network or server problem: the result says what happened. */
export async function pushMetrics(opts: PushOptions): Promise<PushResult> {
  const url = groupingUrl(opts.url, opts.job, opts.grouping)
  const timeoutMs = opts.timeoutMs ?? PUSH_DEFAULTS.timeoutMs
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
  // fetch refuses URLs with credentials: they travel as a Basic Authorization header instead.
  const target = new URL(url)
  const headers: Record<string, string> = { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }
  if (target.username || target.password) {
    headers.authorization = basicAuthorization(decodeURIComponent(target.username), decodeURIComponent(target.password))
    target.username = ''
    target.password = ''
  }
  try {
    const res = await fetch(target, { method: 'PUT', body: opts.body, headers, signal })
    const text = (await res.text()).trim()
    if (res.status >= 200 && res.status < 300) return { ok: true, url: displayUrl(url), status: res.status }
    return { ok: false, url: displayUrl(url), reason: `HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}` }
  } catch (err) {
    const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : errorMessage(err)
    return { ok: false, url: displayUrl(url), reason }
  }
}

function pathPair(label: string, value: string): [string, string] {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) throw new InvalidArgumentError(`invalid Pushgateway grouping label name "${label}"`)
  if (value === '' || value.includes('/')) return [`${label}@base64`, Buffer.from(value, 'utf8').toString('base64url') || '=']
  return [label, encodeURIComponent(value)]
}
