import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { excerpt, httpProbe, judgeHttpProbe, type HttpProbeExpectations, type HttpProbeObservation } from '../../checks/http.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { Redactor } from '../../lib/redact.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import type { BuildContext } from '../../checks/kind.ts'
import { closedPort, startHttpServer, testPki, type TestServer } from './http-fixtures.ts'

const HEALTHY_SCHEMA = {
  type: 'object',
  required: ['status', 'database', 'redis'],
  properties: { status: { const: 'healthy' }, database: { const: 'connected' }, redis: { const: 'connected' } },
}

function obs(over: Partial<HttpProbeObservation> = {}): HttpProbeObservation {
  return {
    method: 'GET',
    url: 'https://api.example.com/health',
    requestHeaders: {},
    redirects: [],
    status: 200,
    latencyMs: 40,
    bytes: 60,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'healthy', database: 'connected', redis: 'connected' }),
    ...over,
  }
}

describe('judgeHttpProbe', () => {
  it.each<[string, Partial<HttpProbeObservation>, HttpProbeExpectations, 'pass' | 'fail', string | RegExp]>([
    ['default expects 200', {}, {}, 'pass', 'status 200, in 40 ms'],
    ['wrong status', { status: 503 }, {}, 'fail', 'expected status 200, got 503'],
    ['status list accepted', { status: 204 }, { status: [200, 204] }, 'pass', /^status 204/],
    ['status list rejected', { status: 500 }, { status: [200, 204] }, 'fail', 'expected status 200 or 204, got 500'],
    ['latency within budget', { latencyMs: 500 }, { maxLatency: 500 }, 'pass', /^status 200/],
    ['latency over budget', { latencyMs: 812 }, { maxLatency: 500 }, 'fail', 'latency 812 ms over budget 500 ms'],
    ['JSON matches', {}, { json: HEALTHY_SCHEMA }, 'pass', /body matches the schema/],
    ['JSON const mismatch', { body: '{"status":"degraded","database":"connected","redis":"connected"}' }, { json: HEALTHY_SCHEMA }, 'fail',
      'body does not match: /status must be equal to constant "healthy" (got "degraded")'],
    ['JSON required missing', { body: '{"status":"healthy","database":"connected"}' }, { json: HEALTHY_SCHEMA }, 'fail',
      "body does not match: (root) must have required property 'redis'"],
    ['non-JSON body', { body: '<html>oops</html>', headers: { 'content-type': 'text/html' } }, { json: HEALTHY_SCHEMA }, 'fail',
      /^body is not JSON \(content-type text\/html\): /],
    ['empty body where JSON expected', { body: '' , headers: {} }, { json: true }, 'fail', 'body is not JSON (no content-type): empty'],
    ['truncated JSON', { body: '{"status":"hea', truncated: true }, { json: HEALTHY_SCHEMA }, 'fail', /^body is not complete JSON: it was cut at 14 bytes/],
    ['several problems at once', { status: 503, latencyMs: 900, body: '{"status":"degraded","database":"connected","redis":"connected"}' },
      { maxLatency: 500, json: HEALTHY_SCHEMA }, 'fail',
      'expected status 200, got 503; latency 900 ms over budget 500 ms; body does not match: /status must be equal to constant "healthy" (got "degraded")'],
    ['transport error', { status: undefined, headers: undefined, body: undefined, error: { message: 'headers timed out after 1000 ms', code: 'RBK_TIMEOUT', phase: 'headers' } }, {}, 'fail',
      'headers timed out after 1000 ms'],
    ['enum lists the allowed values', { body: '{"status":"x","database":"connected","redis":"connected"}' },
      { json: { properties: { status: { enum: ['healthy', 'ok'] } } } }, 'fail', 'body does not match: /status must be equal to one of the allowed values: "healthy", "ok" (got "x")'],
  ])('%s', (_name, over, exp, status, message) => {
    const v = judgeHttpProbe(obs(over), exp)
    expect(v.status).toBe(status)
    if (typeof message === 'string') expect(v.message).toBe(message)
    else expect(v.message).toMatch(message)
  })

  it('records the error phase and the expectations in evidence', () => {
    const v = judgeHttpProbe(obs({ status: undefined, error: { message: 'headers timed out after 300 ms', code: 'RBK_TIMEOUT', phase: 'headers' } }), { maxLatency: 100 })
    expect(v.evidence.error).toEqual({ code: 'RBK_TIMEOUT', phase: 'headers' })
    expect(v.evidence.expected).toEqual({ status: [200], maxLatencyMs: 100 })
  })

  it.each([
    [{ status: 99 }],
    [{ status: [] as number[] }],
    [{ maxLatency: -5 }],
    [{ json: { type: 'no-such-type' } }],
  ])('bad expectations throw InvalidArgumentError: %j', (exp) => {
    expect(() => judgeHttpProbe(obs(), exp as HttpProbeExpectations)).toThrow(InvalidArgumentError)
  })
})

describe('excerpt', () => {
  it.each([
    ['short', false, 'short'],
    ['short', true, 'short…'],
    ['x'.repeat(600), false, `${'x'.repeat(500)}…`],
    ['a\u0000b', false, '<binary body, 3 bytes>'],
  ])('excerpt(%j, truncated=%s)', (body, truncated, want) => {
    expect(excerpt(body, truncated)).toBe(want)
  })
})

describe('httpProbe against a loopback server', () => {
  let server: TestServer
  let health = 'healthy'
  beforeAll(async () => {
    server = await startHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      switch (url.pathname) {
        case '/health':
          res.setHeader('content-type', 'application/json')
          res.setHeader('server', 'test')
          res.setHeader('x-internal', 'secret-ish')
          return res.end(JSON.stringify({ status: health, database: 'connected', redis: 'connected' }))
        case '/unavailable':
          res.statusCode = 503
          return res.end('down')
        case '/slow':
          setTimeout(() => res.end('ok'), 250)
          return
        case '/html':
          res.setHeader('content-type', 'text/html')
          return res.end('<html><body>maintenance</body></html>')
        case '/hang':
          return
        case '/close-mid-body':
          res.writeHead(200, { 'content-length': '1000', 'content-type': 'application/json' })
          res.write('{"status":')
          setTimeout(() => req.socket.destroy(), 30)
          return
        case '/moved':
          res.writeHead(301, { location: '/health' })
          return res.end()
        case '/loop':
          res.writeHead(302, { location: '/loop' })
          return res.end()
        case '/echo-auth':
          return res.end(JSON.stringify({ auth: req.headers.authorization ?? null }))
        default:
          res.statusCode = 404
          return res.end()
      }
    })
  })
  afterAll(() => server.close())

  it('passes on a healthy JSON answer and records evidence', async () => {
    health = 'healthy'
    const r = await httpProbe({ url: `${server.url}/health`, expect: { status: 200, json: HEALTHY_SCHEMA } })
    expect(r.status).toBe('pass')
    expect(r.evidence.status).toBe(200)
    expect(r.evidence.contentType).toBe('application/json')
    expect(r.evidence.headers).toEqual({ 'content-type': 'application/json', server: 'test' })
    expect(r.evidence.bodyExcerpt).toContain('"healthy"')
    expect(r.evidence.bytes).toBeGreaterThan(0)
    expect(typeof r.evidence.latencyMs).toBe('number')
    expect(r.kind).toBe('http')
  })

  it('fails on a degraded body with the JSON path and values', async () => {
    health = 'degraded'
    const r = await httpProbe({ url: `${server.url}/health`, expect: { json: HEALTHY_SCHEMA } })
    health = 'healthy'
    expect(r.status).toBe('fail')
    expect(r.message).toBe('body does not match: /status must be equal to constant "healthy" (got "degraded")')
  })

  it('fails on a wrong status', async () => {
    const r = await httpProbe({ url: `${server.url}/unavailable` })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('expected status 200, got 503')
    expect(r.evidence.bodyExcerpt).toBe('down')
  })

  it('fails when latency is over budget', async () => {
    const r = await httpProbe({ url: `${server.url}/slow`, expect: { maxLatency: 100 } })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^latency \d+ ms over budget 100 ms$/)
    expect(r.evidence.latencyMs).toBeGreaterThanOrEqual(240)
  })

  it('fails on a non-JSON body where JSON is expected', async () => {
    const r = await httpProbe({ url: `${server.url}/html`, expect: { json: HEALTHY_SCHEMA } })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^body is not JSON \(content-type text\/html\): /)
  })

  it('fails with phase headers, within its timeout, when the server never answers', async () => {
    const r = await httpProbe({ url: `${server.url}/hang`, headersTimeout: 300 })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('headers timed out after 300 ms')
    expect(r.evidence.error).toEqual({ code: 'RBK_TIMEOUT', phase: 'headers' })
    expect(r.durationMs).toBeLessThan(800)
  })

  it('fails clearly when the server closes mid-body', async () => {
    const r = await httpProbe({ url: `${server.url}/close-mid-body` })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^connection closed while reading the body after 10 bytes/)
  })

  it('fails with "connection refused" on a closed port', async () => {
    const port = await closedPort()
    const r = await httpProbe({ url: `http://127.0.0.1:${port}/health` })
    expect(r.status).toBe('fail')
    expect(r.message).toBe(`connection refused to 127.0.0.1:${port}`)
    expect(r.evidence.error?.code).toBe('ECONNREFUSED')
  })

  it('does not follow redirects unless asked', async () => {
    const r = await httpProbe({ url: `${server.url}/moved` })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('expected status 200, got 301')
    expect(r.evidence.headers?.location).toBe('/health')
    const followed = await httpProbe({ url: `${server.url}/moved`, followRedirects: true, expect: { json: HEALTHY_SCHEMA } })
    expect(followed.status).toBe('pass')
    expect(followed.evidence.redirects).toEqual([`${server.url}/health`])
    expect(followed.evidence.url).toBe(`${server.url}/health`)
  })

  it('stops after maxRedirects', async () => {
    const before = server.connections()
    const r = await httpProbe({ url: `${server.url}/loop`, followRedirects: true })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^more than 5 redirects/)
    expect(server.connections() - before).toBe(6)
  })

  it('sends the Authorization header but never records its value', async () => {
    const r = await httpProbe({ url: `${server.url}/echo-auth`, headers: { Authorization: 'Bearer s3cr3t-token' } })
    expect(r.evidence.bodyExcerpt).toContain('s3cr3t-token') // the server got it (the engine redacts reports)
    expect(r.evidence.requestHeaders).toEqual({ Authorization: '***' })
    const { bodyExcerpt: _, ...rest } = r.evidence
    expect(JSON.stringify(rest)).not.toContain('s3cr3t-token')
    expect(r.message).not.toContain('s3cr3t-token')
  })

  it('honours the caller signal (aborted = could not check)', async () => {
    const ctl = new AbortController()
    setTimeout(() => ctl.abort(), 100)
    const r = await httpProbe({ url: `${server.url}/hang`, signal: ctl.signal })
    expect(r.status).toBe('error')
    expect(r.message).toMatch(/^request aborted/)
  })

  it('throws InvalidArgumentError for bad options', async () => {
    await expect(httpProbe({ url: 'nope' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(httpProbe({ url: server.url, expect: { status: 42 } })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})

describe('httpProbe over HTTPS and the http kind', () => {
  let server: TestServer
  let dir: string
  let caFile: string
  beforeAll(async () => {
    const pki = testPki()
    dir = mkdtempSync(join(tmpdir(), 'rbk-http-kind-'))
    caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, pki.caPem)
    server = await startHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ status: 'healthy', database: 'connected', redis: 'connected', path: req.url }))
    }, { key: pki.key, cert: pki.cert })
  })
  afterAll(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const ctx = (over: Partial<BuildContext> = {}): BuildContext => testBuildContext(dir, { baseUrl: server.url, tls: { ca: caFile }, ...over })

  it('an untrusted certificate is a fail with a TLS message', async () => {
    const r = await httpProbe({ url: `${server.url}/health` })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^TLS error from 127\.0\.0\.1:\d+/)
  })

  it('builds from a target entry: relative url, CA from tls.ca, maxLatency duration', async () => {
    const entry = { id: 'health', kind: 'http', url: '/health', expect: { status: 200, json: HEALTHY_SCHEMA, maxLatency: '5s' } }
    const spec = await buildKind(entry, ctx())
    expect(spec.title).toBe(`GET ${server.url}/health answers 200`)
    const r = await spec.run(AbortSignal.timeout(5000))
    expect(r.status).toBe('pass')
    expect(r.evidence.url).toBe(`${server.url}/health`)
  })

  it('an entry ca is read relative to the target file; a missing file is a build error', async () => {
    const spec = await buildKind({ id: 'h', kind: 'http', url: '/health', ca: 'ca.pem' }, ctx({ tls: {} }))
    expect((await spec.run(AbortSignal.timeout(5000))).status).toBe('pass')
    await expect(buildKind({ id: 'h', kind: 'http', url: '/health', ca: 'missing.pem' }, ctx({ tls: {} }))).rejects.toThrow(/cannot read CA file .*missing\.pem/)
  })

  it('without baseUrl a relative url is a build error', async () => {
    await expect(buildKind({ id: 'h', kind: 'http', url: '/health' }, ctx({ baseUrl: undefined }))).rejects.toThrow(/is not an absolute http\(s\) URL, and there is no baseUrl to resolve it against/)
  })
})

describe('redirects to another origin', () => {
  let other: TestServer
  let origin: TestServer
  let seen: Record<string, string | string[] | undefined> = {}
  beforeAll(async () => {
    other = await startHttpServer((req, res) => {
      seen = req.headers
      res.setHeader('content-type', 'application/json')
      res.end('{}')
    })
    origin = await startHttpServer((req, res) => {
      if (req.url === '/away') res.writeHead(302, { location: `${other.url}/landing` })
      else if (req.url === '/here') res.writeHead(302, { location: '/landing' })
      else {
        seen = req.headers
        res.writeHead(200, { 'content-type': 'application/json' })
      }
      res.end('{}')
    })
  })
  afterAll(async () => {
    await other.close()
    await origin.close()
  })
  const headers = {
    Authorization: 'Bearer a',
    Cookie: 'session=b',
    'Proxy-Authorization': 'Basic c',
    'X-Api-Key': 'key-d',
    'X-Auth-Token': 'tok-e',
    'X-Hub-Signature': 'sig-f',
    'X-Client-Secret': 'sec-g',
    'X-Request-Id': 'req-1',
  }

  it('drops every sensitive header (not only Authorization/Cookie) when the origin changes', async () => {
    seen = {}
    const r = await httpProbe({ url: `${origin.url}/away`, followRedirects: true, headers })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.url).toBe(`${other.url}/landing`)
    for (const name of ['authorization', 'cookie', 'proxy-authorization', 'x-api-key', 'x-auth-token', 'x-hub-signature', 'x-client-secret']) {
      expect(seen[name], name).toBeUndefined()
    }
    expect(seen['x-request-id']).toBe('req-1')
  })

  it('keeps them on a same-origin redirect', async () => {
    seen = {}
    const r = await httpProbe({ url: `${origin.url}/here`, followRedirects: true, headers })
    expect(r.status, r.message).toBe('pass')
    expect(seen).toMatchObject({ authorization: 'Bearer a', 'x-api-key': 'key-d', 'x-auth-token': 'tok-e', 'x-request-id': 'req-1' })
  })
})
