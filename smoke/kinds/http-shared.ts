import { displayUrl, HTTP_DEFAULTS } from '../../clients/http.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import type { HttpTransportOptions } from '../../clients/http.ts'
import { entryPath, readEntryFile, type EntryPath } from '../../lib/files.ts'
import type { BuildContext } from './types.ts'

/**
 * What the HTTP kinds (`http`, `https-redirect`, `security-headers`) share: URL resolution against
 * the target's baseUrl, the CA file, and the timeout fields.
 */

/** Target-file fields for the connection: timeouts and TLS trust. */
export interface HttpTransportFields {
  connectTimeout?: number | string
  headersTimeout?: number | string
  bodyTimeout?: number | string
  ca?: string
  servername?: string
}

export const timeoutProperties = Object.freeze({
  connectTimeout: { ...durationSchema, description: 'time to open the connection, TLS handshake included (default 5s)' },
  headersTimeout: { ...durationSchema, description: 'time from sending the request to the response headers (default 10s)' },
  bodyTimeout: { ...durationSchema, description: 'longest pause while reading the body (default 10s)' },
})

export const tlsProperties = Object.freeze({
  ca: { type: 'string', minLength: 1, description: "PEM CA bundle file to trust for https (relative to the target file; default: the target's tls.ca, else system roots)" },
  servername: { type: 'string', minLength: 1, description: "TLS server name (SNI) and certificate name to verify (default: the target's tls.servername, else the URL host)" },
})

/**
 * `url` resolved against the target's baseUrl; an error message when it cannot be. A relative url,
 * with or without a leading `/`, goes UNDER the baseUrl's path as with most API clients' baseURL:
 * `https://gw/staging` + `/health` → `https://gw/staging/health` (plain RFC 3986 resolution would
 * drop `/staging`). `//host/path` keeps its meaning (another host, same scheme).
 */
export function resolveUrl(url: string, ctx: Pick<BuildContext, 'baseUrl'>): URL {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return new URL(url)
  if (!ctx.baseUrl) throw new InvalidArgumentError(`url "${url}" is not an absolute http(s) URL, and there is no baseUrl to resolve it against (a target file can set baseUrl)`)
  if (url.startsWith('//')) return new URL(url, ctx.baseUrl)
  const base = new URL(ctx.baseUrl)
  base.search = ''
  base.hash = ''
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  return new URL(url.replace(/^\/+/, ''), base)
}

/** The transport options for a check: timeouts parsed, CA file read, defaults from the target's tls settings. */
export function transportFromEntry(entry: HttpTransportFields, ctx: BuildContext, withTls = true): HttpTransportOptions {
  const out: HttpTransportOptions = {}
  if (entry.connectTimeout !== undefined) out.connectTimeout = positive('connectTimeout', entry.connectTimeout)
  if (entry.headersTimeout !== undefined) out.headersTimeout = positive('headersTimeout', entry.headersTimeout)
  if (entry.bodyTimeout !== undefined) out.bodyTimeout = positive('bodyTimeout', entry.bodyTimeout)
  if (ctx.timeoutMs !== undefined) {
    // Keep each phase inside the check's own timeout, so the phase that hung is the one reported.
    const cap = Math.max(1, ctx.timeoutMs - 100)
    out.connectTimeout = Math.min(out.connectTimeout ?? HTTP_DEFAULTS.connectTimeout, cap)
    out.headersTimeout = Math.min(out.headersTimeout ?? HTTP_DEFAULTS.headersTimeout, cap)
    out.bodyTimeout = Math.min(out.bodyTimeout ?? HTTP_DEFAULTS.bodyTimeout, cap)
  }
  if (!withTls) return out
  const ca = caEntryPath(entry.ca, ctx)
  if (ca !== undefined) out.ca = readEntryFile(ca, 'CA file')
  const servername = entry.servername ?? ctx.tls.servername
  if (servername !== undefined) out.servername = servername
  return out
}

/** The URL as a title shows it (resolved, password hidden); as written when it cannot be resolved (build() reports why). */
export function titleUrl(url: string, ctx: Pick<BuildContext, 'baseUrl'>): string {
  try {
    return displayUrl(resolveUrl(url, ctx))
  } catch {
    return url
  }
}

/** The entry's `ca` (relative to the target file), else the target's `tls.ca`, as a path to check or read. */
export function caEntryPath(ca: string | undefined, ctx: Pick<BuildContext, 'resolvePath' | 'tls'>): EntryPath | undefined {
  if (ca !== undefined) return entryPath('ca', ca, ctx)
  if (ctx.tls.ca !== undefined) return { field: 'tls.ca', given: ctx.tls.ca, path: ctx.tls.ca }
  return undefined
}

function positive(name: string, value: number | string): number {
  const ms = parseDuration(value)
  if (ms <= 0) throw new InvalidArgumentError(`${name} must be more than 0 ms`)
  return ms
}
