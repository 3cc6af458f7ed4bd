import type { DnsResolvesOptions } from '../../checks/dns.ts'
import { parseDuration } from '../../lib/duration.ts'
import type { CheckSpec } from '../../lib/runner.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

/** A `kind: dns` entry of a target file. */
export interface DnsCheckEntry extends CommonCheckFields {
  host: string
  expect: string[]
  match?: 'any' | 'all'
}

export const dnsKind: CheckKind<DnsCheckEntry> = {
  kind: 'dns',
  description: 'a host name resolves (system resolver, /etc/hosts included) to one of the expected addresses, e.g. the ingress load balancer',
  positional: 'host',
  properties: {
    host: { type: 'string', minLength: 1, description: 'host name to resolve, e.g. api.example.com' },
    expect: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'expected addresses: IPs, or host names (resolved too), e.g. the load balancer hostname' },
    match: { enum: ['any', 'all'], description: 'any: one resolved address is expected (default); all: every resolved address must be expected' },
  },
  required: ['host', 'expect'],
  title: (entry) => `${entry.host} resolves to ${entry.expect.join(', ')}`,
  build(entry) {
    const opts: DnsResolvesOptions = { host: entry.host, expect: entry.expect }
    if (entry.match !== undefined) opts.match = entry.match
    if (entry.timeout !== undefined) opts.timeout = parseDuration(entry.timeout)
    // Loaded on first run, like the other kinds' checks.
    const run = async (signal: AbortSignal) => (await import('../../checks/dns.ts')).dnsResolves({ ...opts, signal })
    return { run: run as unknown as CheckSpec['run'] }
  },
}
