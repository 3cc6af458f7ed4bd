import { describe, expect, it, vi } from 'vitest'
import { dnsResolves, judgeDns } from '../../checks/dns.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'

// A resolver that never answers for one name, like a DNS server that drops the query; others resolve as usual.
vi.mock('node:dns/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:dns/promises')>()
  const lookup = (host: string, opts: unknown) => (host === 'hangs.test' ? new Promise(() => {}) : actual.lookup(host, opts as never))
  return { ...actual, lookup }
})

const base = { host: 'api.example.com', expect: ['10.0.0.5'], expectedIps: ['10.0.0.5'], match: 'any' as const }

describe('judgeDns', () => {
  it.each([
    { name: 'resolves to the load balancer', obs: { ...base, resolved: ['10.0.0.5'] }, status: 'pass', msg: /resolves to 10.0.0.5/ },
    { name: 'IPv4-mapped IPv6 is the same address', obs: { ...base, resolved: ['::ffff:10.0.0.5'] }, status: 'pass', msg: /resolves/ },
    { name: 'points elsewhere (old load balancer)', obs: { ...base, resolved: ['10.9.9.9'] }, status: 'fail', msg: /resolves to 10.9.9.9, not to 10.0.0.5/ },
    { name: 'any: a stray record too still passes', obs: { ...base, resolved: ['10.0.0.5', '10.9.9.9'] }, status: 'pass', msg: /resolves/ },
    { name: 'all: a stray record fails', obs: { ...base, match: 'all' as const, resolved: ['10.0.0.5', '10.9.9.9'] }, status: 'fail', msg: /also resolves to 10.9.9.9/ },
    { name: 'does not resolve', obs: { ...base, resolved: [], error: 'getaddrinfo ENOTFOUND api.example.com' }, status: 'fail', msg: /does not resolve: getaddrinfo ENOTFOUND/ },
    { name: 'expected host name did not resolve', obs: { ...base, expect: ['lb.elb.amazonaws.com'], expectedIps: [], resolved: ['10.0.0.5'] }, status: 'fail', msg: /none of the expected addresses/ },
  ])('$name', ({ obs, status, msg }) => {
    const v = judgeDns(obs)
    expect(v.status).toBe(status)
    expect(v.message).toMatch(msg)
  })

  it('lists the unexpected addresses in evidence', () => {
    expect(judgeDns({ ...base, resolved: ['10.0.0.5', '10.9.9.9'] }).evidence.unexpected).toEqual(['10.9.9.9'])
  })
})

describe('dnsResolves (system resolver, /etc/hosts)', () => {
  it('localhost resolves to 127.0.0.1', async () => {
    const r = await dnsResolves({ host: 'localhost', expect: ['127.0.0.1', '::1'] })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.resolved.length).toBeGreaterThan(0)
  })

  it('an expected host name is resolved too', async () => {
    const r = await dnsResolves({ host: 'localhost', expect: ['localhost'] })
    expect(r.status, r.message).toBe('pass')
  })

  it('a name that cannot resolve fails with the reason, it does not throw', async () => {
    const r = await dnsResolves({ host: 'no-such-host.invalid', expect: ['127.0.0.1'], lookupTimeout: 3000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/does not resolve/)
  })

  it.each([
    { opts: { host: '', expect: ['1.2.3.4'] } },
    { opts: { host: 'a', expect: [] } },
    { opts: { host: 'a', expect: ['1.2.3.4'], match: 'some' as never } },
    { opts: { host: 'a', expect: ['1.2.3.4'], lookupTimeout: 0 } },
  ])('bad arguments throw InvalidArgumentError: $opts', async ({ opts }) => {
    await expect(dnsResolves(opts)).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})

describe('the dns kind (target-file entries)', () => {
  it('builds from an entry: title, and the lookup runs', async () => {
    const spec = await buildKind({ id: 'dns.local', kind: 'dns', host: 'localhost', expect: ['127.0.0.1', '::1'] }, testBuildContext('/tmp'))
    expect(spec.title).toBe('localhost resolves to 127.0.0.1, ::1')
    const r = await spec.run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
    expect(r.id).toBe('dns.local')
  })

  it('a lookup that hangs is named when the check timeout is shorter than lookupTimeout', async () => {
    const spec = await buildKind({ id: 'dns.hang', kind: 'dns', host: 'hangs.test', expect: ['127.0.0.1'], lookupTimeout: '10s' }, testBuildContext('/tmp'))
    const started = Date.now()
    const r = await spec.run(AbortSignal.timeout(3000), started + 1000)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^hangs\.test does not resolve: lookup of hangs\.test timed out after (8|9)\d\d ms$/)
  })
})
