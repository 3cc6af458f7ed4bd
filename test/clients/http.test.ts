import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpConnectionError, InterruptedError, InvalidArgumentError, TimeoutError } from '../../lib/errors.ts'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { basicAuthorization, bearerAuthorization, displayUrl, httpRequest, isSensitiveHeader, maskHeaders } from '../../clients/http.ts'
import { MASK, Redactor } from '../../lib/redact.ts'
import { repoRoot } from '../helpers/cli.ts'
import { closedPort, startHttpServer, startSilentServer, testPki, type TestServer } from '../checks/http-fixtures.ts'

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the promise to reject')
}

describe('httpRequest over plain HTTP', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startHttpServer((req, res) => {
      const path = req.url ?? '/'
      if (path === '/hello') {
        res.setHeader('Set-Cookie', ['a=1', 'b=2'])
        res.setHeader('X-Custom', 'yes')
        return res.end('hello world')
      }
      if (path === '/echo') {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString(), auth: req.headers.authorization ?? null })))
        return
      }
      if (path === '/big') return res.end(Buffer.alloc(10_000, 'x'))
      if (path === '/redirect') {
        res.writeHead(302, { location: '/hello' })
        return res.end()
      }
      if (path === '/hang') return // never answers
      if (path === '/stall-body') {
        res.writeHead(200, { 'content-length': '10' })
        res.write('abc') // then nothing
        return
      }
      if (path === '/close-mid-body') {
        res.writeHead(200, { 'content-length': '100' })
        res.write('abcdefg')
        setTimeout(() => req.socket.destroy(), 30)
        return
      }
      if (path === '/slow') {
        setTimeout(() => res.end('late'), 150)
        return
      }
      res.statusCode = 404
      res.end()
    })
  })
  afterAll(() => server.close())

  it('returns status, lower-case headers with repeated values joined, body and sizes', async () => {
    const res = await httpRequest({ url: `${server.url}/hello` })
    expect(res.status).toBe(200)
    expect(res.headers['x-custom']).toBe('yes')
    expect(res.headers['set-cookie']).toBe('a=1, b=2')
    expect(res.body.toString()).toBe('hello world')
    expect(res.bytes).toBe(11)
    expect(res.truncated).toBe(false)
    expect(res.latencyMs).toBeGreaterThanOrEqual(0)
    expect(res.totalMs).toBeGreaterThanOrEqual(res.latencyMs)
  })

  it('sends method, headers and body', async () => {
    const res = await httpRequest({ url: `${server.url}/echo`, method: 'post', headers: { authorization: 'Bearer t0ken' }, body: 'payload' })
    expect(JSON.parse(res.body.toString())).toEqual({ method: 'POST', body: 'payload', auth: 'Bearer t0ken' })
  })

  it('latencyMs measures the time to the response headers', async () => {
    const res = await httpRequest({ url: `${server.url}/slow` })
    expect(res.latencyMs).toBeGreaterThanOrEqual(140)
  })

  it('reads at most maxBodyBytes and says the body was truncated', async () => {
    const res = await httpRequest({ url: `${server.url}/big`, maxBodyBytes: 100 })
    expect(res.body.length).toBe(100)
    expect(res.truncated).toBe(true)
    expect(res.bytes).toBeGreaterThan(100)
    const whole = await httpRequest({ url: `${server.url}/big` })
    expect(whole.body.length).toBe(10_000)
    expect(whole.truncated).toBe(false)
  })

  it('never follows redirects', async () => {
    const res = await httpRequest({ url: `${server.url}/redirect` })
    expect(res.status).toBe(302)
    expect(res.headers.location).toBe('/hello')
  })

  it('a server that never answers times out in phase headers, on time', async () => {
    const started = Date.now()
    const err = await rejection(httpRequest({ url: `${server.url}/hang`, headersTimeout: 300 }))
    const elapsed = Date.now() - started
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('headers')
    expect(err.message).toBe('headers timed out after 300 ms')
    // undici's own timers tick at ~1 s; ours must fire close to the configured value
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(elapsed).toBeLessThan(800)
  })

  it('a body that stops arriving times out in phase body', async () => {
    const err = await rejection(httpRequest({ url: `${server.url}/stall-body`, bodyTimeout: 300 }))
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('body')
  })

  it('a server closing mid-body gives a clear connection error with the bytes read', async () => {
    const err = await rejection(httpRequest({ url: `${server.url}/close-mid-body` }))
    expect(err).toBeInstanceOf(HttpConnectionError)
    expect(err.message).toMatch(/^connection closed while reading the body after 7 bytes/)
  })

  it('the caller signal aborts the request with InterruptedError', async () => {
    const ctl = new AbortController()
    setTimeout(() => ctl.abort(), 100)
    const err = await rejection(httpRequest({ url: `${server.url}/hang`, signal: ctl.signal }))
    expect(err).toBeInstanceOf(InterruptedError)
  })

  it('closes its keep-alive connection after a successful call', async () => {
    const before = server.connections()
    await httpRequest({ url: `${server.url}/hello` })
    await new Promise((r) => setTimeout(r, 100))
    expect(server.connections()).toBe(before + 1)
    expect(server.open()).toBe(0)
  })

  it('leaves no connection open after a timed-out call', async () => {
    const silent = await startSilentServer()
    try {
      await rejection(httpRequest({ url: `${silent.url}/`, headersTimeout: 200 }))
      await new Promise((r) => setTimeout(r, 100))
      expect(silent.connections()).toBe(1)
      expect(silent.open()).toBe(0)
    } finally {
      await silent.close()
    }
  })

  it('rejects bad arguments with InvalidArgumentError', async () => {
    expect(await rejection(httpRequest({ url: 'not a url' }))).toBeInstanceOf(InvalidArgumentError)
    expect(await rejection(httpRequest({ url: 'ftp://127.0.0.1/' }))).toBeInstanceOf(InvalidArgumentError)
    expect(await rejection(httpRequest({ url: server.url, headersTimeout: -1 }))).toBeInstanceOf(InvalidArgumentError)
    expect(await rejection(httpRequest({ url: server.url, maxBodyBytes: 1.5 }))).toBeInstanceOf(InvalidArgumentError)
  })
})

describe('httpRequest connection failures', () => {
  it('connection refused names the address', async () => {
    const port = await closedPort()
    const err = await rejection(httpRequest({ url: `http://127.0.0.1:${port}/` }))
    expect(err).toBeInstanceOf(HttpConnectionError)
    expect((err as HttpConnectionError).code).toBe('ECONNREFUSED')
    expect(err.message).toBe(`connection refused to 127.0.0.1:${port}`)
  })

  it('a TLS handshake that never completes times out in phase connect', async () => {
    const silent = await startSilentServer()
    try {
      const started = Date.now()
      const err = await rejection(httpRequest({ url: `https://127.0.0.1:${silent.port}/`, connectTimeout: 300 }))
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).phase).toBe('connect')
      expect(Date.now() - started).toBeLessThan(800)
      await new Promise((r) => setTimeout(r, 100))
      expect(silent.open()).toBe(0)
    } finally {
      await silent.close()
    }
  })

  it('the caller signal interrupts a connect in progress and closes the socket', async () => {
    const silent = await startSilentServer()
    try {
      const ctl = new AbortController()
      setTimeout(() => ctl.abort(), 150)
      const started = Date.now()
      const err = await rejection(httpRequest({ url: `https://127.0.0.1:${silent.port}/`, connectTimeout: 5000, signal: ctl.signal }))
      expect(err).toBeInstanceOf(InterruptedError)
      expect(Date.now() - started).toBeLessThan(800)
      await new Promise((r) => setTimeout(r, 100))
      expect(silent.open()).toBe(0)
    } finally {
      await silent.close()
    }
  })
})

describe('httpRequest over HTTPS', () => {
  let server: TestServer
  let caPem: string
  beforeAll(async () => {
    const pki = testPki()
    caPem = pki.caPem
    server = await startHttpServer((_req, res) => res.end('secure'), { key: pki.key, cert: pki.cert })
  })
  afterAll(() => server.close())

  it('trusts the given CA bundle', async () => {
    const res = await httpRequest({ url: `${server.url}/`, ca: caPem })
    expect(res.body.toString()).toBe('secure')
  })

  it('rejects a certificate from an unknown CA with a TLS error code', async () => {
    const err = await rejection(httpRequest({ url: `${server.url}/` }))
    expect(err).toBeInstanceOf(HttpConnectionError)
    expect((err as HttpConnectionError).code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/)
    expect(err.message).toMatch(/^TLS error from 127\.0\.0\.1:\d+/)
  })

  it('checks the certificate against servername', async () => {
    const err = await rejection(httpRequest({ url: `${server.url}/`, ca: caPem, servername: 'api.example.com' }))
    expect((err as HttpConnectionError).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  it('rejectUnauthorized: false accepts an untrusted certificate', async () => {
    const res = await httpRequest({ url: `${server.url}/`, rejectUnauthorized: false })
    expect(res.status).toBe(200)
  })
})

describe('evidence helpers', () => {
  it.each([
    ['Authorization', true],
    ['cookie', true],
    ['Set-Cookie', true],
    ['X-ServiceDesk-Signature', true],
    ['X-Api-Key', true],
    ['X-Auth-Token', true],
    ['Content-Type', false],
    ['Accept', false],
    ['Host', false],
  ])('isSensitiveHeader(%s) is %s', (name, sensitive) => {
    expect(isSensitiveHeader(name)).toBe(sensitive)
  })

  it('maskHeaders masks only sensitive values', () => {
    expect(maskHeaders({ Authorization: 'Bearer x', Accept: 'application/json' })).toEqual({ Authorization: '***', Accept: 'application/json' })
  })

  it('displayUrl hides a URL password', () => {
    expect(displayUrl('https://user:hunter22@example.com/x')).toBe('https://user:***@example.com/x')
    expect(displayUrl('http://example.com/')).toBe('http://example.com/')
  })
})

describe('Authorization headers', () => {
  it('basicAuthorization registers the password and the whole user:password value before returning the header', () => {
    const r = new Redactor()
    const h = basicAuthorization('ops', 'promPw2OOOO1357', r)
    expect(h).toBe(`Basic ${Buffer.from('ops:promPw2OOOO1357').toString('base64')}`)
    expect(r.redact(`echo ${h}`)).toBe(`echo Basic ${MASK}`)
    expect(r.redact('promPw2OOOO1357')).toBe(MASK)
  })

  it('bearerAuthorization registers the token', () => {
    const r = new Redactor()
    expect(r.redact(bearerAuthorization('tok-0123456789', r))).toBe(`Bearer ${MASK}`)
  })

  it('basic and bearer headers are built in clients/http.ts only (so none escapes registration)', () => {
    const offenders: string[] = []
    for (const dir of ['bin', 'checks', 'clients', 'lib', 'runbooks', 'smoke']) {
      for (const f of readdirSync(join(repoRoot, dir), { recursive: true }) as string[]) {
        if (!/\.m?ts$/.test(f) || join(dir, f) === join('clients', 'http.ts')) continue
        if (/(Basic|Bearer) \$\{/.test(readFileSync(join(repoRoot, dir, f), 'utf8'))) offenders.push(join(dir, f))
      }
    }
    expect(offenders).toEqual([])
  })
})

describe('credentials in the URL', () => {
  it('travel as Basic auth (as curl sends them), never in the request line, and are registered for redaction', async () => {
    const { createServer } = await import('node:http')
    const { redactor } = await import('../../lib/redact.ts')
    const seen: { auth?: string; url?: string }[] = []
    const server = createServer((q, r) => {
      seen.push({ auth: q.headers.authorization, url: q.url })
      r.end('ok')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const port = (server.address() as { port: number }).port
      const { httpRequest: send } = await import('../../clients/http.ts')
      const res = await send({ url: `http://ops:p%40ss%2Fw0rd@127.0.0.1:${port}/x?y=1` })
      expect(res.status).toBe(200)
      expect(seen[0]).toEqual({ auth: `Basic ${Buffer.from('ops:p@ss/w0rd').toString('base64')}`, url: '/x?y=1' })
      // An explicit Authorization header wins over the URL's credentials.
      await send({ url: `http://ops:pw12345@127.0.0.1:${port}/`, headers: { Authorization: 'Bearer given-token-1' } })
      expect(seen[1]!.auth).toBe('Bearer given-token-1')
      expect(redactor.redact('user:p@ss/w0rd and pw12345')).toBe('user:*** and ***')
    } finally {
      server.close()
    }
  })
})

describe('https:// to a plain-HTTP port', () => {
  it('says in plain words that the server did not answer with TLS, not just OpenSSL\'s "wrong version number"', async () => {
    const { createServer } = await import('node:http')
    const server = createServer((_q, r) => r.end('plain'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const { httpRequest: send } = await import('../../clients/http.ts')
      const err = await send({ url: `https://127.0.0.1:${(server.address() as { port: number }).port}/` }).catch((e: unknown) => e as Error)
      expect((err as Error).message).toMatch(/the server did not answer with TLS \(OpenSSL: wrong version number\): it probably speaks plain HTTP on this port; use http:\/\//)
    } finally {
      server.close()
    }
  })
})
