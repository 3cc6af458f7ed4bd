import { HTTP_DEFAULTS } from '../../clients/http.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import type { HttpTransportOptions } from '../../clients/http.ts'
import { entryPath, readEntryFile, type EntryPath } from '../../lib/files.ts'
import type { BuildContext } from './types.ts'

/**
 * TRANSITIONAL: what the kinds not yet declared beside their checks (tls, the Prometheus and data
 * kinds) share: the CA file and the timeout fields. The converted kinds use lib/url.ts (resolveUrl)
 * and clients/http.ts (HTTP_TRANSPORT_FIELDS); this file goes when the last of these kinds moves.
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
