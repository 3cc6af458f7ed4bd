import { isIP } from 'node:net'
import { domainToASCII } from 'node:url'

/** The identities a certificate presents, as far as hostname verification cares. */
export interface PresentedIdentities {
  dnsNames: readonly string[]
  ipAddresses: readonly string[]
  commonName?: string
}

/** Lower-case A-label form without a trailing dot. */
function normalizeDnsName(name: string): string {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name
  return (domainToASCII(trimmed) || trimmed).toLowerCase()
}

/**
 * RFC 6125 §6.4.3 as browsers apply it: `*` may only be the whole left-most label and stands for
 * exactly one label, so `*.example.com` matches `api.example.com` but neither `example.com` nor
 * `a.b.example.com`. Wildcards directly under a top-level domain (`*.com`) never match.
 */
export function dnsNameMatches(pattern: string, host: string): boolean {
  const p = normalizeDnsName(pattern)
  const h = normalizeDnsName(host)
  if (!p || !h) return false
  if (!p.includes('*')) return p === h
  const [first, ...rest] = p.split('.')
  if (first !== '*' || rest.length < 2 || rest.some((l) => l.includes('*') || l === '')) return false
  const hostLabels = h.split('.')
  if (hostLabels.length !== rest.length + 1 || hostLabels[0] === '') return false
  return hostLabels.slice(1).join('.') === rest.join('.')
}

/**
 * Whether `host` is one of the certificate's identities. IP addresses match IP SANs only; DNS
 * names match DNS SANs, and the subject CN only when the certificate has no DNS SANs at all.
 */
export function hostnameMatches(host: string, ids: PresentedIdentities): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (isIP(bare)) {
    const ip = canonicalIp(bare)
    return ids.ipAddresses.some((a) => canonicalIp(a) === ip)
  }
  if (ids.dnsNames.length > 0) return ids.dnsNames.some((n) => dnsNameMatches(n, bare))
  return ids.commonName !== undefined && !isIP(ids.commonName) && dnsNameMatches(ids.commonName, bare)
}

/** Canonical text form of an IP address (`::1`, `127.0.0.1`), or the input when it is not one. */
export function canonicalIp(ip: string): string {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip
  try {
    const host = new URL(`http://${bare.includes(':') ? `[${bare}]` : bare}/`).hostname
    return host.startsWith('[') ? host.slice(1, -1) : host
  } catch {
    return bare.toLowerCase()
  }
}
