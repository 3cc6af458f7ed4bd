/**
 * dnsResolves: a host name resolves (with the system resolver, as clients resolve it) to one of the
 * expected addresses, e.g. the ingress load balancer's. The seed runbook's step "point the domain at
 * the ingress": a record left at an old load balancer is the usual cause of "deployed but unreachable".
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { InvalidArgumentError, errorMessage } from '../lib/errors.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'

export interface DnsResolvesOptions {
  /** Host name to resolve. Required. */
  host: string
  /**
   * Addresses the host must resolve to: IPs, or host names (e.g. an AWS load balancer's), which are
   * resolved too. Required, at least one.
   */
  expect: string[]
  /**
   * `any`: passes when at least one resolved address is expected (others are listed in evidence);
   * `all`: every resolved address must be expected (no stray record left behind). Default `any`.
   */
  match?: 'any' | 'all'
  /** Timeout of the lookups, ms. Default 5000. */
  timeout?: number
  signal?: AbortSignal
  /** Check id. Default `dns.<host>`. */
  id?: string
  /** Check title. Default "<host> resolves to <expect>". */
  title?: string
}

export const DNS_DEFAULTS = Object.freeze({ match: 'any' as 'any' | 'all', timeout: 5000 })

export interface DnsEvidence {
  host: string
  /** Addresses the host resolved to. */
  resolved: string[]
  /** The expected addresses as given. */
  expect: string[]
  /** The expected addresses as IPs (host names resolved). */
  expectedIps: string[]
  /** Resolved addresses that are not expected. */
  unexpected: string[]
  match: 'any' | 'all'
  error?: string
}

/** Pure judge over what was resolved. */
export function judgeDns(obs: { host: string; resolved: string[]; expect: string[]; expectedIps: string[]; match: 'any' | 'all'; error?: string }): Verdict<DnsEvidence> {
  const expected = new Set(obs.expectedIps.map(normalizeIp))
  const unexpected = obs.resolved.filter((a) => !expected.has(normalizeIp(a)))
  const evidence: DnsEvidence = { host: obs.host, resolved: obs.resolved, expect: obs.expect, expectedIps: obs.expectedIps, unexpected, match: obs.match, ...(obs.error ? { error: obs.error } : {}) }
  const want = obs.expect.join(', ')
  if (obs.error) return { status: 'fail', message: `${obs.host} does not resolve: ${obs.error}`, evidence }
  if (obs.resolved.length === 0) return { status: 'fail', message: `${obs.host} resolves to no address`, evidence }
  if (obs.expectedIps.length === 0) return { status: 'fail', message: `none of the expected addresses (${want}) resolve`, evidence }
  const hits = obs.resolved.length - unexpected.length
  if (hits === 0) return { status: 'fail', message: `${obs.host} resolves to ${obs.resolved.join(', ')}, not to ${want}`, evidence }
  if (obs.match === 'all' && unexpected.length > 0) return { status: 'fail', message: `${obs.host} also resolves to ${unexpected.join(', ')} (expected only ${want})`, evidence }
  return { status: 'pass', message: `${obs.host} resolves to ${obs.resolved.join(', ')}${want === obs.resolved.join(', ') ? '' : ` (expected ${want})`}`, evidence }
}

/** `::ffff:1.2.3.4` and `1.2.3.4` are the same address; IPv6 compared in lower case. */
function normalizeIp(a: string): string {
  const s = a.toLowerCase()
  return s.startsWith('::ffff:') && isIP(s.slice(7)) === 4 ? s.slice(7) : s
}

export async function dnsResolves(opts: DnsResolvesOptions): Promise<CheckResult<DnsEvidence>> {
  const o = { ...DNS_DEFAULTS, ...opts }
  if (typeof o.host !== 'string' || o.host.trim() === '') throw new InvalidArgumentError('dnsResolves needs a host')
  if (!Array.isArray(o.expect) || o.expect.length === 0 || o.expect.some((e) => typeof e !== 'string' || e === '')) throw new InvalidArgumentError('dnsResolves needs expect: at least one address or host name')
  if (o.match !== 'any' && o.match !== 'all') throw new InvalidArgumentError(`match must be "any" or "all", got ${String(o.match)}`)
  if (!Number.isFinite(o.timeout) || o.timeout <= 0) throw new InvalidArgumentError(`timeout must be a positive number of ms, got ${o.timeout}`)
  const signal = o.signal ? AbortSignal.any([o.signal, AbortSignal.timeout(o.timeout)]) : AbortSignal.timeout(o.timeout)
  return timed({ id: o.id ?? `dns.${o.host}`, title: o.title ?? `${o.host} resolves to ${o.expect.join(', ')}`, kind: 'dns' }, async () => {
    let resolved: string[] = []
    let error: string | undefined
    try {
      resolved = await resolveAll(o.host, signal)
    } catch (err) {
      error = errorMessage(err)
    }
    const expectedIps: string[] = []
    for (const e of o.expect) {
      if (isIP(e)) expectedIps.push(e)
      else expectedIps.push(...(await resolveAll(e, signal).catch(() => [])))
    }
    return judgeDns({ host: o.host, resolved, expect: o.expect, expectedIps: [...new Set(expectedIps)], match: o.match, ...(error ? { error } : {}) })
  })
}

/** getaddrinfo (what clients use, /etc/hosts included); the lookup cannot be cancelled, so it is raced against the signal. */
async function resolveAll(host: string, signal: AbortSignal): Promise<string[]> {
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(`lookup of ${host} timed out or was cancelled`))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    const all = await Promise.race([lookup(host, { all: true }), aborted])
    return [...new Set(all.map((a) => a.address))]
  } finally {
    signal.removeEventListener('abort', onAbort!)
  }
}
