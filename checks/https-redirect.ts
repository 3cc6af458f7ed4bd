import { HttpConnectionError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { displayUrl, httpRequest, parseHttpUrl, transportOptions, type HttpTransportOptions } from '../clients/http.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'

/**
 * `httpsRedirect`: a plain-HTTP request must be answered with a redirect to the same host and
 * path on https://.
 */

export interface HttpsRedirectOptions extends HttpTransportOptions {
  /** Plain `http://host[:port]/path[?query]` URL. Required. */
  url: string
  /** Port the https:// Location must use (443 when the Location has none). Default: any port. */
  httpsPort?: number
  /** Redirect statuses accepted. Default 301, 302, 307, 308. */
  statuses?: number[]
  /** Request headers (e.g. Host). Sensitive values never reach evidence. */
  headers?: Record<string, string>
  /** Result id. Default `https-redirect`. */
  id?: string
  /** Result title. Default "http://host/path redirects to https". */
  title?: string
}

/** What the plain-HTTP request got; input of the pure judge. */
export interface HttpsRedirectObservation {
  /** The http:// URL requested (password masked). */
  url: string
  status?: number
  location?: string
  latencyMs?: number
  error?: { message: string; code: string; phase?: string }
}

export interface HttpsRedirectExpectations {
  /** Accepted redirect statuses. Default 301, 302, 307, 308. */
  statuses?: number[]
  /** Required https port. Default: any. */
  httpsPort?: number
}

export type HttpsRedirectEvidence = {
  url: string
  status?: number
  location?: string
  /** The Location resolved against the request URL. */
  target?: string
  latencyMs?: number
  expected: { statuses: number[]; scheme: 'https'; host: string; path: string; httpsPort?: number }
  error?: { code: string; phase?: string }
}

export const HTTPS_REDIRECT_DEFAULTS = Object.freeze({
  statuses: Object.freeze([301, 302, 307, 308]) as readonly number[],
  id: 'https-redirect',
})

export async function httpsRedirect(options: HttpsRedirectOptions): Promise<CheckResult<HttpsRedirectEvidence>> {
  const opts = { ...HTTPS_REDIRECT_DEFAULTS, ...stripUndefined(options) }
  if (typeof opts.url !== 'string') throw new InvalidArgumentError('httpsRedirect: url is required')
  const url = parseHttpUrl(opts.url)
  if (url.protocol !== 'http:') throw new InvalidArgumentError(`httpsRedirect: url must be http://, got ${displayUrl(url)}`)
  const expectations = checkExpectations({ statuses: [...opts.statuses], ...(opts.httpsPort !== undefined ? { httpsPort: opts.httpsPort } : {}) })
  const title = opts.title ?? `${displayUrl(url)} redirects to https`
  return timed({ id: opts.id, title, kind: 'https-redirect' }, async () => {
    let obs: HttpsRedirectObservation
    try {
      // Only the headers matter: read no body.
      const res = await httpRequest({ ...transportOptions(opts), maxBodyBytes: 0, url: url.toString(), ...(opts.headers ? { headers: opts.headers } : {}) })
      obs = { url: displayUrl(url), status: res.status, latencyMs: res.latencyMs }
      if (res.headers.location !== undefined) obs.location = res.headers.location
    } catch (err) {
      if (err instanceof TimeoutError) obs = { url: displayUrl(url), error: { message: err.message, code: err.code, phase: String(err.phase) } }
      else if (err instanceof HttpConnectionError) obs = { url: displayUrl(url), error: { message: err.message, code: err.code } }
      else throw err
    }
    return judgeHttpsRedirect(obs, expectations)
  })
}

function checkExpectations(exp: HttpsRedirectExpectations): { statuses: number[]; httpsPort?: number } {
  const statuses = exp.statuses ?? [...HTTPS_REDIRECT_DEFAULTS.statuses]
  if (statuses.length === 0 || !statuses.every((s) => Number.isInteger(s) && s >= 300 && s <= 399)) {
    throw new InvalidArgumentError(`statuses must be a non-empty list of 3xx codes, got ${JSON.stringify(exp.statuses)}`)
  }
  if (exp.httpsPort !== undefined && (!Number.isInteger(exp.httpsPort) || exp.httpsPort < 1 || exp.httpsPort > 65535)) {
    throw new InvalidArgumentError(`httpsPort must be a port number (1-65535), got ${exp.httpsPort}`)
  }
  return exp.httpsPort === undefined ? { statuses } : { statuses, httpsPort: exp.httpsPort }
}

/** Pure: the verdict on one plain-HTTP response. */
export function judgeHttpsRedirect(obs: HttpsRedirectObservation, expectations: HttpsRedirectExpectations = {}): Verdict<HttpsRedirectEvidence> {
  const exp = checkExpectations(expectations)
  const requested = new URL(obs.url)
  const path = requested.pathname + requested.search
  const evidence: HttpsRedirectEvidence = {
    url: obs.url,
    expected: { statuses: exp.statuses, scheme: 'https', host: requested.hostname, path, ...(exp.httpsPort !== undefined ? { httpsPort: exp.httpsPort } : {}) },
  }
  if (obs.status !== undefined) evidence.status = obs.status
  if (obs.location !== undefined) evidence.location = obs.location
  if (obs.latencyMs !== undefined) evidence.latencyMs = obs.latencyMs
  if (obs.error) {
    evidence.error = { code: obs.error.code, ...(obs.error.phase ? { phase: obs.error.phase } : {}) }
    return { status: 'fail', message: obs.error.message, evidence }
  }
  const fail = (message: string): Verdict<HttpsRedirectEvidence> => ({ status: 'fail', message, evidence })
  if (obs.status === undefined || !exp.statuses.includes(obs.status)) {
    return fail(`not a redirect: expected status ${exp.statuses.join('/')}, got ${obs.status ?? 'none'}`)
  }
  if (!obs.location) return fail(`redirect ${obs.status} has no Location header`)
  let target: URL
  try {
    target = new URL(obs.location, requested)
  } catch {
    return fail(`redirect ${obs.status} has an invalid Location "${obs.location}"`)
  }
  evidence.target = displayUrl(target)
  const problems: string[] = []
  if (target.protocol !== 'https:') problems.push(`redirects to ${target.protocol}// (${displayUrl(target)}), expected https://`)
  if (target.hostname !== requested.hostname) problems.push(`redirects to wrong host ${target.hostname}, expected ${requested.hostname}`)
  if (exp.httpsPort !== undefined && target.protocol === 'https:') {
    const port = Number(target.port || 443)
    if (port !== exp.httpsPort) problems.push(`redirects to port ${port}, expected ${exp.httpsPort}`)
  }
  const targetPath = target.pathname + target.search
  if (targetPath !== path) problems.push(`redirects to wrong path ${targetPath}, expected ${path}`)
  if (problems.length > 0) return fail(problems.join('; '))
  return { status: 'pass', message: `${obs.status} to ${displayUrl(target)}`, evidence }
}
