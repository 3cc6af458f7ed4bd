import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cspFrameAncestors, judgeSecurityHeaders, parseMaxAge, securityHeaders, type SecurityHeadersRequirements } from '../../checks/security-headers.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { closedPort, startHttpServer, testPki, type TestServer } from './http-fixtures.ts'

const GOOD: Record<string, string> = Object.freeze({
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'self'",
})

function without(...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(GOOD).filter(([k]) => !names.includes(k)))
}

const URL_ = 'https://app.example.com/'

describe('judgeSecurityHeaders', () => {
  it.each<[string, Record<string, string>, SecurityHeadersRequirements, 'pass' | 'fail', string]>([
    ['all present', GOOD, {}, 'pass', 'present: HSTS max-age >= 31536000, nosniff, frame protection, CSP'],
    ['missing HSTS', without('strict-transport-security'), {}, 'fail', 'missing Strict-Transport-Security'],
    ['short HSTS', { ...GOOD, 'strict-transport-security': 'max-age=300' }, {}, 'fail', 'Strict-Transport-Security max-age=300 is below the minimum 31536000'],
    ['HSTS at a lower configured minimum', { ...GOOD, 'strict-transport-security': 'max-age=15552000' }, { minHstsMaxAge: 15552000 }, 'pass',
      'present: HSTS max-age >= 15552000, nosniff, frame protection, CSP'],
    ['HSTS without max-age', { ...GOOD, 'strict-transport-security': 'includeSubDomains' }, {}, 'fail',
      "Strict-Transport-Security 'includeSubDomains' has no valid max-age"],
    ['missing nosniff', without('x-content-type-options'), {}, 'fail', 'missing X-Content-Type-Options'],
    ['wrong nosniff value', { ...GOOD, 'x-content-type-options': 'sniff' }, {}, 'fail', "X-Content-Type-Options is 'sniff', expected 'nosniff'"],
    ['missing framing protection', without('x-frame-options'), {}, 'fail', 'missing X-Frame-Options and CSP frame-ancestors'],
    ['CSP frame-ancestors replaces X-Frame-Options', { ...without('x-frame-options'), 'content-security-policy': "default-src 'self'; frame-ancestors 'none'" }, {}, 'pass',
      'present: HSTS max-age >= 31536000, nosniff, frame protection, CSP'],
    ['X-Frame-Options ALLOW-FROM is not protection', { ...GOOD, 'x-frame-options': 'ALLOW-FROM https://x.example' }, {}, 'fail',
      "X-Frame-Options is 'ALLOW-FROM https://x.example', expected DENY or SAMEORIGIN (and no CSP frame-ancestors)"],
    ['frame-ancestors * is not protection', { ...without('x-frame-options'), 'content-security-policy': 'frame-ancestors *' }, {}, 'fail',
      "missing X-Frame-Options and CSP frame-ancestors '*' allows any origin"],
    ['SAMEORIGIN in lower case', { ...GOOD, 'x-frame-options': 'sameorigin' }, {}, 'pass', 'present: HSTS max-age >= 31536000, nosniff, frame protection, CSP'],
    ['missing CSP', without('content-security-policy'), {}, 'fail', 'missing Content-Security-Policy'],
    ['report-only CSP', { ...without('content-security-policy'), 'content-security-policy-report-only': "default-src 'self'" }, {}, 'fail',
      'missing Content-Security-Policy (only Content-Security-Policy-Report-Only is set, which enforces nothing)'],
    ['everything missing names every header', {}, {}, 'fail',
      'missing Strict-Transport-Security; missing X-Content-Type-Options; missing X-Frame-Options and CSP frame-ancestors; missing Content-Security-Policy'],
    ['requirements can be turned off', {}, { hsts: false, nosniff: false, frameProtection: false, csp: false }, 'pass', 'no header required'],
    ['only HSTS off', without('strict-transport-security'), { hsts: false }, 'pass', 'present: nosniff, frame protection, CSP'],
  ])('%s', (_name, headers, req, status, message) => {
    const v = judgeSecurityHeaders({ url: URL_, status: 200, headers }, req)
    expect(v.status).toBe(status)
    expect(v.message).toBe(message)
  })

  it('records each header value and verdict', () => {
    const v = judgeSecurityHeaders({ url: URL_, status: 200, headers: { ...GOOD, 'x-content-type-options': 'sniff' } }, { csp: false })
    expect(v.evidence.headers['strict-transport-security']).toMatchObject({ value: GOOD['strict-transport-security'], verdict: 'pass', maxAge: 31536000, minMaxAge: 31536000 })
    expect(v.evidence.headers['x-content-type-options']).toEqual({ value: 'sniff', verdict: 'fail', reason: "X-Content-Type-Options is 'sniff', expected 'nosniff'" })
    expect(v.evidence.headers['x-frame-options']).toMatchObject({ value: 'DENY', verdict: 'pass', cspFrameAncestors: null })
    expect(v.evidence.headers['content-security-policy']?.verdict).toBe('not-required')
  })

  it('warns that HSTS means nothing on http://', () => {
    const v = judgeSecurityHeaders({ url: 'http://app.example.com/', status: 200, headers: GOOD })
    expect(v.status).toBe('pass')
    expect(v.warnings?.[0]).toMatch(/ignored by browsers on plain http/)
  })

  it('a transport error is a fail with its message', () => {
    const v = judgeSecurityHeaders({ url: URL_, error: { message: 'connect timed out after 300 ms', code: 'RBK_TIMEOUT', phase: 'connect' } })
    expect(v).toMatchObject({ status: 'fail', message: 'connect timed out after 300 ms', evidence: { error: { code: 'RBK_TIMEOUT', phase: 'connect' } } })
  })

  it('rejects a bad minimum', () => {
    expect(() => judgeSecurityHeaders({ url: URL_, headers: GOOD }, { minHstsMaxAge: -1 })).toThrow(InvalidArgumentError)
  })
})

describe('header parsing', () => {
  it.each<[string, number | undefined]>([
    ['max-age=31536000', 31536000],
    ['max-age=0; includeSubDomains', 0],
    ['includeSubDomains; MAX-AGE="600"; preload', 600],
    ['max-age = 60', 60],
    ['max-age=abc', undefined],
    ['', undefined],
  ])('parseMaxAge(%j) = %s', (value, want) => {
    expect(parseMaxAge(value)).toBe(want)
  })

  it.each<[string | null, string | null]>([
    [null, null],
    ["default-src 'self'", null],
    ["default-src 'self'; frame-ancestors 'none'", "'none'"],
    ['FRAME-ANCESTORS https://a.example https://b.example', 'https://a.example https://b.example'],
    ["default-src 'self', frame-ancestors 'self'", "'self'"],
  ])('cspFrameAncestors(%j) = %j', (csp, want) => {
    expect(cspFrameAncestors(csp)).toBe(want)
  })
})

describe('securityHeaders against a loopback HTTPS server', () => {
  let server: TestServer
  let caPem: string
  beforeAll(async () => {
    const pki = testPki()
    caPem = pki.caPem
    server = await startHttpServer((req, res) => {
      const drop = new URL(req.url ?? '/', 'https://x').searchParams.getAll('drop')
      for (const [k, v] of Object.entries(GOOD)) if (!drop.includes(k)) res.setHeader(k, v)
      res.end('<html></html>')
    }, { key: pki.key, cert: pki.cert })
  })
  afterAll(() => server.close())

  it('passes when every header is present', async () => {
    const r = await securityHeaders({ url: `${server.url}/`, ca: caPem })
    expect(r.status).toBe('pass')
    expect(r.evidence.status).toBe(200)
    expect(r.kind).toBe('security-headers')
  })

  it.each([
    ['strict-transport-security', 'missing Strict-Transport-Security'],
    ['x-content-type-options', 'missing X-Content-Type-Options'],
    ['x-frame-options', 'missing X-Frame-Options and CSP frame-ancestors'],
    ['content-security-policy', 'missing Content-Security-Policy'],
  ])('names the missing %s', async (header, message) => {
    const r = await securityHeaders({ url: `${server.url}/?drop=${header}`, ca: caPem })
    expect(r.status).toBe('fail')
    expect(r.message).toBe(message)
  })

  it('fails on connection refused', async () => {
    const port = await closedPort()
    const r = await securityHeaders({ url: `https://127.0.0.1:${port}/` })
    expect(r.status).toBe('fail')
    expect(r.message).toBe(`connection refused to 127.0.0.1:${port}`)
  })

  it('the kind resolves a relative url against baseUrl, trusts tls.ca and passes requirement toggles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbk-sec-kind-'))
    try {
      writeFileSync(join(dir, 'ca.pem'), caPem)
      const ctx = testBuildContext(dir, { baseUrl: server.url, tls: { ca: join(dir, 'ca.pem') } })
      const entry = { id: 'sec', kind: 'security-headers', url: '/?drop=strict-transport-security' }
      const spec = await buildKind(entry, ctx)
      expect(spec.title).toBe(`${server.url}/?drop=strict-transport-security sends the security headers`)
      expect((await spec.run(AbortSignal.timeout(5000))).message).toBe('missing Strict-Transport-Security')
      expect((await (await buildKind({ ...entry, hsts: false }, ctx)).run(AbortSignal.timeout(5000))).status).toBe('pass')
      // without a CA the throwaway CA is untrusted: a TLS failure, not a pass
      const untrusted = await (await buildKind(entry, { ...ctx, tls: {} })).run(AbortSignal.timeout(5000))
      expect(untrusted.message).toMatch(/^TLS error/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
