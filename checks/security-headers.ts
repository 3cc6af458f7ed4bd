import { HttpConnectionError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { displayUrl, HTTP_TRANSPORT_FIELDS, httpRequest, parseHttpUrl, SENSITIVE_HEADER, transportOptions } from '../clients/http.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Options, StringMap, Type, Url, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: security-headers` — `securityHeaders`: the response carries HSTS with a long enough
 * max-age, `X-Content-Type-Options: nosniff`, clickjacking protection (X-Frame-Options or CSP
 * frame-ancestors) and a Content-Security-Policy. Each requirement can be turned off.
 */

export const SecurityHeadersOptions = Options({
  url: Url({ description: 'URL to GET (normally https://), or a path such as / under the target baseUrl' }),
  headers: Type.Optional(StringMap({ secretKeys: SENSITIVE_HEADER, description: 'request headers, sent and never recorded; credentials must be env: references' })),
  hsts: Type.Optional(Type.Boolean({ default: true, description: 'require Strict-Transport-Security' })),
  minHstsMaxAge: Type.Optional(Type.Integer({ minimum: 0, default: 31_536_000, description: "minimum HSTS max-age in seconds (one year, the preload list's minimum; 15552000, 180 days, is the common lower bar)" })),
  nosniff: Type.Optional(Type.Boolean({ default: true, description: 'require X-Content-Type-Options: nosniff' })),
  frameProtection: Type.Optional(Type.Boolean({ default: true, description: 'require X-Frame-Options DENY/SAMEORIGIN or a CSP frame-ancestors directive' })),
  csp: Type.Optional(Type.Boolean({ default: true, description: 'require an enforced (not report-only) Content-Security-Policy' })),
  ...HTTP_TRANSPORT_FIELDS,
})
export type SecurityHeadersOptions = Static<typeof SecurityHeadersOptions> & RunContext

/** Which headers are required; each can be turned off. */
export type SecurityHeadersRequirements = Pick<SecurityHeadersOptions, 'hsts' | 'minHstsMaxAge' | 'nosniff' | 'frameProtection' | 'csp'>

/** What the response carried; input of the pure judge. */
export interface SecurityHeadersObservation {
  url: string
  status?: number
  /** Response headers, lower-case names. */
  headers?: Record<string, string>
  error?: { message: string; code: string; phase?: string }
}

export type HeaderVerdict = 'pass' | 'fail' | 'not-required'

export interface HeaderFinding {
  /** The header value as received; null when absent. */
  value: string | null
  verdict: HeaderVerdict
  /** Why it failed (or a remark). */
  reason?: string
}

export type SecurityHeadersEvidence = {
  url: string
  status?: number
  headers: {
    'strict-transport-security'?: HeaderFinding & { maxAge?: number; minMaxAge: number }
    'x-content-type-options'?: HeaderFinding
    'x-frame-options'?: HeaderFinding & { cspFrameAncestors: string | null }
    'content-security-policy'?: HeaderFinding
  }
  error?: { code: string; phase?: string }
}

export const SECURITY_HEADERS_DEFAULTS = Object.freeze({ ...defaultsOf(SecurityHeadersOptions, 'hsts', 'minHstsMaxAge', 'nosniff', 'frameProtection', 'csp'), id: 'security-headers' })

export const securityHeadersKind = defineKind({
  kind: 'security-headers',
  description: 'response carries HSTS (long max-age), X-Content-Type-Options nosniff, framing protection and a CSP',
  options: SecurityHeadersOptions,
  positional: 'url',
  title: (o) => defaultTitle(o.url),
  run: (o, rt) => securityHeaders({ ...o, ...rt }),
})

function defaultTitle(url: string | URL): string {
  return `${displayUrl(url)} sends the security headers`
}

type Requirements = Required<SecurityHeadersRequirements>

function checkRequirements(req: SecurityHeadersRequirements): Requirements {
  const r = { ...SECURITY_HEADERS_DEFAULTS, ...stripUndefined(req) }
  if (!Number.isInteger(r.minHstsMaxAge) || r.minHstsMaxAge < 0) throw new InvalidArgumentError(`minHstsMaxAge must be a non-negative integer of seconds, got ${r.minHstsMaxAge}`)
  return { hsts: r.hsts, minHstsMaxAge: r.minHstsMaxAge, nosniff: r.nosniff, frameProtection: r.frameProtection, csp: r.csp }
}

export async function securityHeaders(options: SecurityHeadersOptions): Promise<CheckResult<SecurityHeadersEvidence>> {
  const opts = { ...SECURITY_HEADERS_DEFAULTS, ...stripUndefined(options) }
  if (typeof opts.url !== 'string') throw new InvalidArgumentError('securityHeaders: url is required')
  const url = parseHttpUrl(opts.url)
  const req = checkRequirements(opts)
  const title = opts.title ?? defaultTitle(url)
  return timed({ id: opts.id, title, kind: 'security-headers' }, async () => {
    let obs: SecurityHeadersObservation
    try {
      const res = await httpRequest({ ...transportOptions(opts), maxBodyBytes: 0, url: url.toString(), ...(opts.headers ? { headers: opts.headers } : {}) })
      obs = { url: displayUrl(url), status: res.status, headers: res.headers }
    } catch (err) {
      if (err instanceof TimeoutError) obs = { url: displayUrl(url), error: { message: err.message, code: err.code, phase: String(err.phase) } }
      else if (err instanceof HttpConnectionError) obs = { url: displayUrl(url), error: { message: err.message, code: err.code } }
      else throw err
    }
    return judgeSecurityHeaders(obs, req)
  })
}

/** Pure: the verdict on one response's headers. */
export function judgeSecurityHeaders(obs: SecurityHeadersObservation, requirements: SecurityHeadersRequirements = {}): Verdict<SecurityHeadersEvidence> {
  const req = checkRequirements(requirements)
  const evidence: SecurityHeadersEvidence = { url: obs.url, headers: {} }
  if (obs.status !== undefined) evidence.status = obs.status
  if (obs.error || !obs.headers) {
    if (obs.error) evidence.error = { code: obs.error.code, ...(obs.error.phase ? { phase: obs.error.phase } : {}) }
    return { status: 'fail', message: obs.error?.message ?? 'no response', evidence }
  }
  const h = obs.headers
  const problems: string[] = []
  const warnings: string[] = []
  const record = <F extends HeaderFinding>(name: keyof SecurityHeadersEvidence['headers'], required: boolean, finding: F) => {
    const f = required ? finding : { ...finding, verdict: 'not-required' as const }
    ;(evidence.headers as Record<string, HeaderFinding>)[name] = f
    if (required && finding.verdict === 'fail' && finding.reason) problems.push(finding.reason)
  }

  const hsts = judgeHsts(h['strict-transport-security'], req.minHstsMaxAge)
  record('strict-transport-security', req.hsts, hsts)
  if (req.hsts && new URL(obs.url).protocol === 'http:') warnings.push('Strict-Transport-Security is ignored by browsers on plain http://; check the https:// URL')

  const xcto = h['x-content-type-options'] ?? null
  record('x-content-type-options', req.nosniff,
    xcto === null ? { value: null, verdict: 'fail', reason: 'missing X-Content-Type-Options' }
    : xcto.trim().toLowerCase() === 'nosniff' ? { value: xcto, verdict: 'pass' }
    : { value: xcto, verdict: 'fail', reason: `X-Content-Type-Options is '${xcto}', expected 'nosniff'` })

  const csp = h['content-security-policy'] ?? null
  record('x-frame-options', req.frameProtection, judgeFraming(h['x-frame-options'] ?? null, csp))

  const reportOnly = h['content-security-policy-report-only']
  record('content-security-policy', req.csp,
    csp !== null && csp.trim() !== '' ? { value: csp, verdict: 'pass' }
    : reportOnly !== undefined ? { value: null, verdict: 'fail', reason: 'missing Content-Security-Policy (only Content-Security-Policy-Report-Only is set, which enforces nothing)' }
    : { value: csp, verdict: 'fail', reason: csp === null ? 'missing Content-Security-Policy' : 'Content-Security-Policy is empty' })

  const verdict: Verdict<SecurityHeadersEvidence> = problems.length > 0
    ? { status: 'fail', message: problems.join('; '), evidence }
    : { status: 'pass', message: passMessage(req), evidence }
  if (warnings.length > 0) verdict.warnings = warnings
  return verdict
}

function judgeHsts(value: string | undefined, minMaxAge: number): HeaderFinding & { maxAge?: number; minMaxAge: number } {
  if (value === undefined) return { value: null, verdict: 'fail', reason: 'missing Strict-Transport-Security', minMaxAge: minMaxAge }
  // RFC 6797 8.1: with several headers (joined by ', '), only the first counts.
  const first = value.split(',')[0] ?? ''
  const maxAge = parseMaxAge(first)
  if (maxAge === undefined) return { value, verdict: 'fail', reason: `Strict-Transport-Security '${value}' has no valid max-age`, minMaxAge }
  if (maxAge < minMaxAge) return { value, verdict: 'fail', reason: `Strict-Transport-Security max-age=${maxAge} is below the minimum ${minMaxAge}`, maxAge, minMaxAge }
  return { value, verdict: 'pass', maxAge, minMaxAge }
}

/** max-age directive of an HSTS value (RFC 6797 6.1.1: case-insensitive name, optionally quoted digits). */
export function parseMaxAge(value: string): number | undefined {
  for (const directive of value.split(';')) {
    const m = /^\s*max-age\s*=\s*"?(\d+)"?\s*$/i.exec(directive)
    if (m) return Number(m[1])
  }
  return undefined
}

/** The `frame-ancestors` directive's sources in a CSP, or null when absent. */
export function cspFrameAncestors(csp: string | null): string | null {
  if (!csp) return null
  // Several policies may arrive joined by ', '; any one restricting framing protects.
  for (const policy of csp.split(',')) {
    for (const directive of policy.split(';')) {
      const m = /^\s*frame-ancestors(?:\s+(.*))?$/i.exec(directive)
      if (m) return (m[1] ?? '').trim()
    }
  }
  return null
}

function judgeFraming(xfo: string | null, csp: string | null): HeaderFinding & { cspFrameAncestors: string | null } {
  const ancestors = cspFrameAncestors(csp)
  const xfoOk = xfo !== null && /^(deny|sameorigin)$/i.test(xfo.trim())
  const ancestorsOk = ancestors !== null && !ancestors.split(/\s+/).includes('*')
  if (xfoOk || ancestorsOk) return { value: xfo, verdict: 'pass', cspFrameAncestors: ancestors }
  let reason: string
  if (xfo !== null) reason = `X-Frame-Options is '${xfo}', expected DENY or SAMEORIGIN`
  else reason = 'missing X-Frame-Options'
  if (ancestors !== null) reason += ` and CSP frame-ancestors '${ancestors}' allows any origin`
  else reason += xfo === null ? ' and CSP frame-ancestors' : ' (and no CSP frame-ancestors)'
  return { value: xfo, verdict: 'fail', reason, cspFrameAncestors: ancestors }
}

function passMessage(req: Requirements): string {
  const checked = [
    req.hsts ? `HSTS max-age >= ${req.minHstsMaxAge}` : undefined,
    req.nosniff ? 'nosniff' : undefined,
    req.frameProtection ? 'frame protection' : undefined,
    req.csp ? 'CSP' : undefined,
  ].filter(Boolean)
  return checked.length > 0 ? `present: ${checked.join(', ')}` : 'no header required'
}
