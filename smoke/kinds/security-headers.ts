import { securityHeaders } from '../../checks/security-headers.ts'
import { displayUrl } from '../../clients/http.ts'
import { resolveUrl, timeoutProperties, tlsProperties, transportFromEntry, type HttpTransportFields } from './http-shared.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

/** A `kind: security-headers` entry of a target file. */
export interface SecurityHeadersEntry extends CommonCheckFields, HttpTransportFields {
  url: string
  headers?: Record<string, string>
  hsts?: boolean
  minHstsMaxAge?: number
  nosniff?: boolean
  frameProtection?: boolean
  csp?: boolean
}

export const securityHeadersKind: CheckKind<SecurityHeadersEntry> = {
  kind: 'security-headers',
  description: 'response carries HSTS (long max-age), X-Content-Type-Options nosniff, framing protection and a CSP',
  positional: 'url',
  aliases: { 'min-hsts-max-age': 'minHstsMaxAge' },
  properties: {
    url: { type: 'string', minLength: 1, description: 'https URL to GET, or a path resolved against the target baseUrl' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'request headers' },
    hsts: { type: 'boolean', default: true, description: 'require Strict-Transport-Security' },
    minHstsMaxAge: { type: 'integer', minimum: 0, default: 31536000, description: 'minimum HSTS max-age in seconds (one year; 15552000 is 180 days)' },
    nosniff: { type: 'boolean', default: true, description: 'require X-Content-Type-Options: nosniff' },
    frameProtection: { type: 'boolean', default: true, description: 'require X-Frame-Options DENY/SAMEORIGIN or CSP frame-ancestors' },
    csp: { type: 'boolean', default: true, description: 'require an enforced Content-Security-Policy' },
    ...timeoutProperties,
    ...tlsProperties,
  },
  required: ['url'],
  title(entry, ctx) {
    try {
      return `${displayUrl(resolveUrl(entry.url, ctx))} sends the security headers`
    } catch {
      return `${entry.url} sends the security headers`
    }
  },
  build(entry, ctx) {
    const url = resolveUrl(entry.url, ctx).toString()
    const transport = transportFromEntry(entry, ctx)
    return {
      run: (signal) =>
        securityHeaders({
          ...transport,
          url,
          signal,
          ...(entry.headers !== undefined ? { headers: entry.headers } : {}),
          ...(entry.hsts !== undefined ? { hsts: entry.hsts } : {}),
          ...(entry.minHstsMaxAge !== undefined ? { minHstsMaxAge: entry.minHstsMaxAge } : {}),
          ...(entry.nosniff !== undefined ? { nosniff: entry.nosniff } : {}),
          ...(entry.frameProtection !== undefined ? { frameProtection: entry.frameProtection } : {}),
          ...(entry.csp !== undefined ? { csp: entry.csp } : {}),
        }),
    }
  },
}
