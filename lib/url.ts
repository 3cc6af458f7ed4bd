import { InvalidArgumentError } from './errors.ts'

/**
 * `url` resolved against a base URL. A relative url, with or without a leading `/`, goes UNDER the
 * base's path as with most API clients' baseURL: `https://gw/staging` + `/health` →
 * `https://gw/staging/health` (plain RFC 3986 resolution would drop `/staging`). `//host/path`
 * keeps its meaning (another host, same scheme). InvalidArgumentError when there is no base.
 */
export function resolveUrl(url: string, baseUrl: string | undefined): URL {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return new URL(url)
  if (!baseUrl) throw new InvalidArgumentError(`url "${url}" is not an absolute http(s) URL, and there is no baseUrl to resolve it against (a target file can set baseUrl)`)
  if (url.startsWith('//')) return new URL(url, baseUrl)
  const base = new URL(baseUrl)
  base.search = ''
  base.hash = ''
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  return new URL(url.replace(/^\/+/, ''), base)
}

/** The URL without its password (user name kept), for titles, evidence and messages; the text as given when it is not a URL. */
export function displayUrl(url: string | URL): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return String(url)
  }
}
