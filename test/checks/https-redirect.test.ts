import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpsRedirect, judgeHttpsRedirect, redirectUrls, type HttpsRedirectExpectations, type HttpsRedirectObservation } from '../../checks/https-redirect.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { closedPort, startHttpServer, startSilentServer, type TestServer } from './http-fixtures.ts'

const REQ = 'http://api.example.com/login?next=%2Fhome'

describe('judgeHttpsRedirect', () => {
  it.each<[string, Partial<HttpsRedirectObservation>, HttpsRedirectExpectations, 'pass' | 'fail', string]>([
    ['301 to https, same host and path', { status: 301, location: 'https://api.example.com/login?next=%2Fhome' }, {}, 'pass',
      '301 to https://api.example.com/login?next=%2Fhome'],
    ['308 to another port is fine by default', { status: 308, location: 'https://api.example.com:8443/login?next=%2Fhome' }, {}, 'pass',
      '308 to https://api.example.com:8443/login?next=%2Fhome'],
    ['expected port matches (443 implied)', { status: 302, location: 'https://api.example.com/login?next=%2Fhome' }, { httpsPort: 443 }, 'pass',
      '302 to https://api.example.com/login?next=%2Fhome'],
    ['wrong port', { status: 301, location: 'https://api.example.com:8443/login?next=%2Fhome' }, { httpsPort: 443 }, 'fail',
      'redirects to port 8443, expected 443'],
    ['not a redirect', { status: 200 }, {}, 'fail', 'not a redirect: expected status 301/302/307/308, got 200'],
    ['303 is not accepted by default', { status: 303, location: 'https://api.example.com/login?next=%2Fhome' }, {}, 'fail',
      'not a redirect: expected status 301/302/307/308, got 303'],
    ['303 accepted when listed', { status: 303, location: 'https://api.example.com/login?next=%2Fhome' }, { statuses: [303] }, 'pass',
      '303 to https://api.example.com/login?next=%2Fhome'],
    ['redirect without Location', { status: 301 }, {}, 'fail', 'redirect 301 has no Location header'],
    ['redirect to http', { status: 301, location: 'http://api.example.com/login?next=%2Fhome' }, {}, 'fail',
      'redirects to http:// (http://api.example.com/login?next=%2Fhome), expected https://'],
    ['relative Location stays on http', { status: 302, location: '/login?next=%2Fhome' }, {}, 'fail',
      'redirects to http:// (http://api.example.com/login?next=%2Fhome), expected https://'],
    ['wrong host', { status: 301, location: 'https://evil.example.net/login?next=%2Fhome' }, {}, 'fail',
      'redirects to wrong host evil.example.net, expected api.example.com'],
    ['wrong path (query dropped)', { status: 301, location: 'https://api.example.com/login' }, {}, 'fail',
      'redirects to wrong path /login, expected /login?next=%2Fhome'],
    ['wrong path (to root)', { status: 301, location: 'https://api.example.com/' }, {}, 'fail',
      'redirects to wrong path /, expected /login?next=%2Fhome'],
    ['host compared case-insensitively', { status: 301, location: 'https://API.EXAMPLE.COM/login?next=%2Fhome' }, {}, 'pass',
      '301 to https://api.example.com/login?next=%2Fhome'],
    ['transport error', { error: { message: `connection refused to api.example.com:80`, code: 'ECONNREFUSED' } }, {}, 'fail',
      'connection refused to api.example.com:80'],
  ])('%s', (_name, over, exp, status, message) => {
    const v = judgeHttpsRedirect({ url: REQ, ...over }, exp)
    expect(v.status).toBe(status)
    expect(v.message).toBe(message)
  })

  it('puts the resolved target and the expectation in evidence', () => {
    const v = judgeHttpsRedirect({ url: REQ, status: 301, location: 'https://api.example.com:8443/login?next=%2Fhome' }, { httpsPort: 8443 })
    expect(v.evidence).toMatchObject({
      status: 301,
      target: 'https://api.example.com:8443/login?next=%2Fhome',
      expected: { scheme: 'https', host: 'api.example.com', path: '/login?next=%2Fhome', httpsPort: 8443 },
    })
  })

  it.each([[{ statuses: [200] }], [{ statuses: [] }], [{ httpsPort: 0 }], [{ httpsPort: 70000 }]])('bad expectations throw: %j', (exp) => {
    expect(() => judgeHttpsRedirect({ url: REQ, status: 301 }, exp)).toThrow(InvalidArgumentError)
  })
})

describe('httpsRedirect against a loopback server', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      const host = '127.0.0.1'
      switch (url.pathname.split('/')[1]) {
        case 'good':
          res.writeHead(301, { location: `https://${host}:8443${url.pathname}${url.search}` })
          return res.end()
        case 'to-http':
          res.writeHead(302, { location: `http://${host}${url.pathname}` })
          return res.end()
        case 'wrong-host':
          res.writeHead(301, { location: `https://attacker.example${url.pathname}` })
          return res.end()
        case 'to-root':
          res.writeHead(308, { location: `https://${host}/` })
          return res.end()
        default:
          return res.end('plain page')
      }
    })
  })
  afterAll(() => server.close())

  it('passes for a redirect to https on the same host and path', async () => {
    const r = await httpsRedirect({ url: `${server.url}/good/page?x=1` })
    expect(r.status).toBe('pass')
    expect(r.evidence.location).toBe('https://127.0.0.1:8443/good/page?x=1')
    expect(r.kind).toBe('https-redirect')
  })

  it('checks the https port when asked', async () => {
    const r = await httpsRedirect({ url: `${server.url}/good/page`, httpsPort: 443 })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('redirects to port 8443, expected 443')
  })

  it('fails on a redirect to http', async () => {
    const r = await httpsRedirect({ url: `${server.url}/to-http/x` })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('redirects to http:// (http://127.0.0.1/to-http/x), expected https://')
  })

  it('fails on a redirect to another host', async () => {
    const r = await httpsRedirect({ url: `${server.url}/wrong-host/x` })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('redirects to wrong host attacker.example, expected 127.0.0.1')
  })

  it('fails on a redirect to another path', async () => {
    const r = await httpsRedirect({ url: `${server.url}/to-root/deep/link` })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('redirects to wrong path /, expected /to-root/deep/link')
  })

  it('fails when the answer is not a redirect', async () => {
    const r = await httpsRedirect({ url: `${server.url}/plain` })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('not a redirect: expected status 301/302/307/308, got 200')
  })

  it('fails on connection refused and on a server that never answers', async () => {
    const port = await closedPort()
    const refused = await httpsRedirect({ url: `http://127.0.0.1:${port}/` })
    expect(refused.message).toBe(`connection refused to 127.0.0.1:${port}`)
    const silent = await startSilentServer()
    try {
      const hang = await httpsRedirect({ url: `${silent.url}/`, headersTimeout: 300 })
      expect(hang.status).toBe('fail')
      expect(hang.evidence.error).toEqual({ code: 'RBK_TIMEOUT', phase: 'headers' })
      expect(hang.durationMs).toBeLessThan(800)
    } finally {
      await silent.close()
    }
  })

  it('rejects a non-http url', async () => {
    await expect(httpsRedirect({ url: 'https://127.0.0.1/' })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})

describe('https-redirect kind', () => {
  const ctx = (baseUrl?: string) => testBuildContext('/tmp', baseUrl ? { baseUrl } : {})

  it.each<[string, { url: string; httpPort?: number; httpsPort?: number }, string | undefined, string, number | undefined]>([
    ['relative url: baseUrl host on http, port 80, expect the baseUrl https port', { url: '/health' }, 'https://api.example.com:8443', 'http://api.example.com/health', 8443],
    ['relative url with httpPort', { url: '/x?y=1', httpPort: 8080 }, 'https://api.example.com', 'http://api.example.com:8080/x?y=1', 443],
    ['explicit httpsPort wins', { url: '/', httpsPort: 9443 }, 'https://api.example.com:8443', 'http://api.example.com/', 9443],
    ['absolute http url: any port', { url: 'http://127.0.0.1:8080/' }, undefined, 'http://127.0.0.1:8080/', undefined],
    ['relative url keeps the baseUrl path prefix on plain http', { url: '/login' }, 'https://gw:8443/staging', 'http://gw/staging/login', 8443],
  ])('%s', (_n, entry, baseUrl, wantUrl, wantPort) => {
    const got = redirectUrls(entry, ctx(baseUrl))
    expect(got.url.toString()).toBe(wantUrl)
    expect(got.httpsPort).toBe(wantPort)
  })

  it('refuses an absolute https url, and httpPort with an absolute url', async () => {
    await expect(buildKind({ id: 'r', kind: 'https-redirect', url: 'https://api.example.com/' }, ctx())).rejects.toThrow(/^url: must be http:\/\//)
    await expect(buildKind({ id: 'r', kind: 'https-redirect', url: 'http://api.example.com/', httpPort: 8080 }, ctx())).rejects.toThrow('httpPort: applies only to a relative url')
  })

  it('builds from a relative url: title and request on plain http', async () => {
    const plain = await startHttpServer((_req, res) => res.writeHead(301, { location: 'https://127.0.0.1/health' }).end())
    try {
      const port = new URL(plain.url).port
      const spec = await buildKind({ id: 'r', kind: 'https-redirect', url: '/health', httpPort: Number(port) }, ctx('https://127.0.0.1'))
      expect(spec.title).toBe(`http://127.0.0.1:${port}/health redirects to https`)
      const r = await spec.run(AbortSignal.timeout(5000))
      expect(r.status, r.message).toBe('pass')
      expect(r.evidence).toMatchObject({ expected: { httpsPort: 443 } })
    } finally {
      await plain.close()
    }
  })
})
