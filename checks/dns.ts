/**
 * `kind: dns` — `dnsResolves`: a host name resolves (with the system resolver, as clients resolve
 * it) to one of the expected addresses, e.g. the ingress load balancer's. The seed runbook's step
 * "point the domain at the ingress": a record left at an old load balancer is the usual cause of
 * "deployed but unreachable".
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { capToDeadline } from '../lib/deadline.ts'
import { errorMessage, InterruptedError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'
import { defaultsOf, Duration, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

export const DnsOptions = Options({
  host: Type.String({ minLength: 1, description: 'host name to resolve, e.g. api.example.com' }),
  expect: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "expected addresses: IPs, or host names (resolved too), e.g. the load balancer's hostname" }),
  match: Type.Optional(Type.Unsafe<'any' | 'all'>({
    enum: ['any', 'all'],
    default: 'any',
    description: 'any: one resolved address is expected (the others are listed in evidence); all: every resolved address must be expected (no stray record left behind)',
  })),
  lookupTimeout: Type.Optional(Duration({ positive: true, default: '5s', description: "time for each lookup (capped by the check's timeout)" })),
})
export type DnsResolvesOptions = Static<typeof DnsOptions> & RunContext

export const DNS_DEFAULTS = Object.freeze(defaultsOf(DnsOptions, 'match', 'lookupTimeout'))

export const dnsKind = defineKind({
  kind: 'dns',
  description: 'a host name resolves (system resolver, /etc/hosts included) to one of the expected addresses, e.g. the ingress load balancer',
  options: DnsOptions,
  positional: 'host',
  title: defaultTitle,
  run: (o, rt) => dnsResolves({ ...o, ...rt }),
})

function defaultTitle(o: Pick<DnsResolvesOptions, 'host' | 'expect'>): string {
  return `${o.host} resolves to ${o.expect.join(', ')}`
}

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
  const o = { ...DNS_DEFAULTS, ...stripUndefined(opts) }
  if (typeof o.host !== 'string' || o.host.trim() === '') throw new InvalidArgumentError('dnsResolves needs a host')
  if (!Array.isArray(o.expect) || o.expect.length === 0 || o.expect.some((e) => typeof e !== 'string' || e === '')) throw new InvalidArgumentError('dnsResolves needs expect: at least one address or host name')
  if (o.match !== 'any' && o.match !== 'all') throw new InvalidArgumentError(`match must be "any" or "all", got ${String(o.match)}`)
  if (!Number.isFinite(o.lookupTimeout) || o.lookupTimeout <= 0) throw new InvalidArgumentError(`lookupTimeout must be a positive number of ms, got ${o.lookupTimeout}`)
  return timed({ id: o.id ?? `dns.${o.host}`, title: o.title ?? defaultTitle(o), kind: 'dns' }, async () => {
    // Each lookup's timeout is capped by the time left before the attempt's deadline, so a resolver that
    // hangs is reported as the lookup that timed out rather than as the runner's bare timeout.
    const lookupOf = (host: string) => resolveAll(host, capToDeadline(o.lookupTimeout, o.deadline), o.signal)
    let resolved: string[] = []
    let error: string | undefined
    try {
      resolved = await lookupOf(o.host)
    } catch (err) {
      if (o.signal?.aborted) throw err
      error = errorMessage(err)
    }
    const expectedIps: string[] = []
    for (const e of o.expect) {
      if (isIP(e)) expectedIps.push(e)
      else expectedIps.push(...(await lookupOf(e).catch(() => [])))
    }
    return judgeDns({ host: o.host, resolved, expect: o.expect, expectedIps: [...new Set(expectedIps)], match: o.match, ...(error ? { error } : {}) })
  })
}

/**
 * getaddrinfo (what clients use, /etc/hosts included). The lookup cannot be cancelled, so it is raced
 * against its timeout (a TimeoutError naming the lookup) and the caller's signal (InterruptedError).
 */
async function resolveAll(host: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<string[]> {
  if (signal?.aborted) throw new InterruptedError(`lookup of ${host} cancelled`)
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`lookup of ${host}`, timeoutMs)), timeoutMs)
    onAbort = () => reject(new InterruptedError(`lookup of ${host} cancelled`))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
  try {
    const all = await Promise.race([lookup(host, { all: true }), stopped])
    return [...new Set(all.map((a) => a.address))]
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort!)
  }
}
