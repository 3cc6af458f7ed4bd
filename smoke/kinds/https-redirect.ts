import { httpsRedirect } from '../../checks/https-redirect.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { displayUrl } from '../../clients/http.ts'
import { resolveUrl, timeoutProperties, transportFromEntry, type HttpTransportFields } from './http-shared.ts'
import type { BuildContext, CheckKind, CommonCheckFields } from './types.ts'

/** A `kind: https-redirect` entry of a target file. */
export interface HttpsRedirectEntry extends CommonCheckFields, Omit<HttpTransportFields, 'ca' | 'servername'> {
  url: string
  httpPort?: number
  httpsPort?: number
  statuses?: number[]
  headers?: Record<string, string>
}

const port = { type: 'integer', minimum: 1, maximum: 65535 }

/**
 * The plain-HTTP URL to request. A relative `url` takes the baseUrl's host on http:// and
 * `httpPort`; when the baseUrl is https, its port becomes the expected `httpsPort`.
 */
export function redirectUrls(entry: Pick<HttpsRedirectEntry, 'url' | 'httpPort' | 'httpsPort'>, ctx: Pick<BuildContext, 'baseUrl'>): { url: URL; httpsPort?: number } {
  const relative = !/^[a-z][a-z0-9+.-]*:/i.test(entry.url)
  const url = resolveUrl(entry.url, ctx)
  let httpsPort = entry.httpsPort
  if (relative) {
    if (url.protocol === 'https:' && httpsPort === undefined) httpsPort = Number(url.port || 443)
    url.protocol = 'http:'
    url.port = String(entry.httpPort ?? 80)
  } else if (url.protocol !== 'http:') {
    throw new InvalidArgumentError(`url must be http:// (the check requests plain HTTP), got ${displayUrl(url)}`)
  } else if (entry.httpPort !== undefined) {
    throw new InvalidArgumentError('httpPort applies only to a relative url; put the port in the absolute url')
  }
  return httpsPort === undefined ? { url } : { url, httpsPort }
}

export const httpsRedirectKind: CheckKind<HttpsRedirectEntry> = {
  kind: 'https-redirect',
  description: 'plain HTTP is redirected (301/302/307/308) to https:// on the same host and path',
  positional: 'url',
  properties: {
    url: { type: 'string', minLength: 1, description: 'http:// URL, or a path such as / resolved against the baseUrl host on http:// and httpPort' },
    httpPort: { ...port, description: 'port of the plain-HTTP listener when url is a path (default 80)' },
    httpsPort: { ...port, description: 'port the https:// Location must use (default: the baseUrl port when url is a path, else any)' },
    statuses: { type: 'array', items: { type: 'integer', minimum: 300, maximum: 399 }, minItems: 1, description: 'accepted redirect statuses (default [301, 302, 307, 308])' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'request headers (e.g. Host)' },
    ...timeoutProperties,
  },
  required: ['url'],
  title(entry, ctx) {
    try {
      return `${displayUrl(redirectUrls(entry, ctx).url)} redirects to https`
    } catch {
      return `${entry.url} redirects to https`
    }
  },
  build(entry, ctx) {
    const { url, httpsPort } = redirectUrls(entry, ctx)
    const transport = transportFromEntry(entry, ctx, false)
    return {
      run: (signal) =>
        httpsRedirect({
          ...transport,
          url: url.toString(),
          signal,
          ...(httpsPort !== undefined ? { httpsPort } : {}),
          ...(entry.statuses !== undefined ? { statuses: entry.statuses } : {}),
          ...(entry.headers !== undefined ? { headers: entry.headers } : {}),
        }),
    }
  },
}
