import { HttpConnectionError, InvalidArgumentError, optionProblem, TimeoutError } from '../lib/errors.ts'
import { displayUrl, HTTP_TRANSPORT_FIELDS, httpRequest, parseHttpUrl, SENSITIVE_HEADER, transportOptions } from '../clients/http.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Options, StringMap, Type, type Static } from '../lib/schema.ts'
import { resolveUrl } from '../lib/url.ts'
import { defineKind, type BuildContext, type RunContext } from './kind.ts'

/**
 * `kind: https-redirect` — `httpsRedirect`: a plain-HTTP request must be answered with a redirect
 * to the same host and path on https://.
 */

const port = (o: { description: string; default?: number }) => Type.Integer({ minimum: 1, maximum: 65535, ...o })
// Plain HTTP: the TLS fields of the transport do not apply.
const { connectTimeout, headersTimeout, bodyTimeout } = HTTP_TRANSPORT_FIELDS

export const HttpsRedirectOptions = Options({
  url: Type.String({ minLength: 1, description: 'http:// URL, or a path such as / on the baseUrl host over http:// and httpPort' }),
  httpPort: Type.Optional(port({ default: 80, description: 'port of the plain-HTTP listener when url is a path' })),
  httpsPort: Type.Optional(port({ description: 'port the https:// Location must use (default: the baseUrl port when url is a path, else any)' })),
  statuses: Type.Optional(Type.Array(Type.Integer({ minimum: 300, maximum: 399 }), { minItems: 1, default: [301, 302, 307, 308], description: 'accepted redirect statuses' })),
  headers: Type.Optional(StringMap({ secretKeys: SENSITIVE_HEADER, description: 'request headers (e.g. Host); credentials must be env: references, and no sensitive header value reaches evidence' })),
  connectTimeout,
  headersTimeout,
  bodyTimeout,
})
/**
 * What `httpsRedirect` takes: an absolute http:// `url` (`httpPort` only applies to a relative url
 * in a target file or on the command line, see `redirectUrls`).
 */
export type HttpsRedirectOptions = Omit<Static<typeof HttpsRedirectOptions>, 'httpPort'> & RunContext

export const HTTPS_REDIRECT_DEFAULTS = Object.freeze({ ...defaultsOf(HttpsRedirectOptions, 'statuses'), id: 'https-redirect' })
const HTTP_PORT_DEFAULT = defaultsOf(HttpsRedirectOptions, 'httpPort').httpPort

export const httpsRedirectKind = defineKind({
  kind: 'https-redirect',
  description: 'plain HTTP is redirected (301/302/307/308) to https:// on the same host and path',
  options: HttpsRedirectOptions,
  positional: 'url',
  prepare(o, ctx) {
    const { httpPort: _applied, ...rest } = o
    const { url, httpsPort } = redirectUrls(o, ctx)
    return { ...rest, url: url.toString(), ...(httpsPort !== undefined ? { httpsPort } : {}) }
  },
  validate: (o) => void validateHttpsRedirect(o),
  title: (o) => `${displayUrl(o.url)} redirects to https`,
  run: (o, rt) => httpsRedirect({ ...o, ...rt }),
})

/**
 * The plain-HTTP URL to request. A relative `url` takes the baseUrl's host on http:// and
 * `httpPort`; when the baseUrl is https, its port becomes the expected `httpsPort`.
 */
export function redirectUrls(o: { url: string; httpPort?: number | undefined; httpsPort?: number | undefined }, ctx: Pick<BuildContext, 'baseUrl'>): { url: URL; httpsPort?: number } {
  const relative = !/^[a-z][a-z0-9+.-]*:/i.test(o.url)
  let url: URL
  try {
    url = resolveUrl(o.url, ctx.baseUrl)
  } catch (err) {
    throw optionProblem('url', (err as Error).message)
  }
  let httpsPort = o.httpsPort
  if (relative) {
    if (url.protocol === 'https:' && httpsPort === undefined) httpsPort = Number(url.port || 443)
    url.protocol = 'http:'
    url.port = String(o.httpPort ?? HTTP_PORT_DEFAULT)
  } else if (o.httpPort !== undefined) {
    throw optionProblem('httpPort', 'applies only to a relative {url}; put the port in the absolute url')
  }
  return httpsPort === undefined ? { url } : { url, httpsPort }
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

/** What the judge holds the response to. */
export type HttpsRedirectExpectations = Pick<HttpsRedirectOptions, 'statuses' | 'httpsPort'>

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

export async function httpsRedirect(options: HttpsRedirectOptions): Promise<CheckResult<HttpsRedirectEvidence>> {
  const opts = { ...HTTPS_REDIRECT_DEFAULTS, ...stripUndefined(options) }
  const { url, expectations } = validateHttpsRedirect(opts)
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

/** The rules on the options (the kind's `validate`, and the check for library callers): a plain http:// url, 3xx statuses, a port. */
function validateHttpsRedirect(o: HttpsRedirectOptions): { url: URL; expectations: { statuses: number[]; httpsPort?: number } } {
  if (typeof o.url !== 'string') throw new InvalidArgumentError('httpsRedirect: url is required')
  const url = parseHttpUrl(o.url)
  if (url.protocol !== 'http:') throw optionProblem('url', `must be http:// (the check requests plain HTTP), got ${displayUrl(url)}`)
  return { url, expectations: checkExpectations({ ...(o.statuses !== undefined ? { statuses: [...o.statuses] } : {}), ...(o.httpsPort !== undefined ? { httpsPort: o.httpsPort } : {}) }) }
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
