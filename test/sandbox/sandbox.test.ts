import { createHmac, X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { checkServerIdentity } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError, UsageError } from '../../lib/errors.ts'
import { startSandbox, type Fault, type Sandbox } from '../../sandbox/index.ts'
import { expectValidExposition, fetchRaw, peerCertificate } from './helpers.ts'

const DAY_MS = 86_400_000
const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

async function withSandbox<T>(faults: Fault[], fn: (sb: Sandbox) => Promise<T>, extra: { slowMs?: number } = {}): Promise<T> {
  const sb = await startSandbox({ faults, ...extra })
  try {
    return await fn(sb)
  } finally {
    await sb.close()
  }
}

function metricValue(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(sample + ' '))
  return line ? Number(line.slice(sample.length + 1)) : 0
}

describe('sandbox without faults', () => {
  let sb: Sandbox
  beforeAll(async () => {
    sb = await startSandbox({ webhookSecret: 'test-secret-value' })
  })
  afterAll(() => sb?.close())

  // Start-up time is measured by `npm run bench` (it is part of every smoke run), not asserted here.
  it('describes itself', () => {
    expect(sb.httpsUrl).toBe(`https://localhost:${sb.httpsPort}`)
    expect(sb.httpUrl).toBe(`http://localhost:${sb.httpPort}`)
    expect(sb.hostname).toBe('localhost')
    expect(sb.host).toBe('127.0.0.1')
    expect(sb.faults).toEqual([])
    expect(sb.webhookSecret).toBe('test-secret-value')
    expect(existsSync(sb.caFile)).toBe(true)
    expect(sb.vars).toEqual({
      SANDBOX_HTTPS_URL: sb.httpsUrl,
      SANDBOX_HTTP_URL: sb.httpUrl,
      SANDBOX_CA_FILE: sb.caFile,
      SANDBOX_HOST: 'localhost',
      SANDBOX_HTTPS_PORT: String(sb.httpsPort),
      SANDBOX_HTTP_PORT: String(sb.httpPort),
      SANDBOX_ADMIN_USER: 'admin',
    })
    expect(Object.values(sb.vars).join(' ')).not.toContain(sb.webhookSecret)
  })

  it('GET /health answers healthy JSON with the security headers', async () => {
    const r = await fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem })
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toMatch(/^application\/json/)
    expect(JSON.parse(r.body)).toEqual({ status: 'healthy', database: 'connected', redis: 'connected', version: '1.4.2' })
    expect(r.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
    expect(r.headers['x-content-type-options']).toBe('nosniff')
    expect(r.headers['x-frame-options']).toBe('DENY')
    expect(r.headers['content-security-policy']).toBe("default-src 'self'; frame-ancestors 'none'")
  })

  it('GET /api/v1/ready answers ready', async () => {
    const r = await fetchRaw(`${sb.httpsUrl}/api/v1/ready`, { ca: sb.caPem })
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toEqual({ ready: true })
  })

  it('unknown paths are 404 and wrong methods 405, still with security headers', async () => {
    const notFound = await fetchRaw(`${sb.httpsUrl}/nope`, { ca: sb.caPem })
    expect(notFound.status).toBe(404)
    expect(notFound.headers['strict-transport-security']).toBeDefined()
    const wrongMethod = await fetchRaw(`${sb.httpsUrl}/webhook/servicedesk`, { ca: sb.caPem })
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.allow).toBe('POST')
  })

  it('the HTTP port redirects to the same path and query on HTTPS', async () => {
    const r = await fetchRaw(`${sb.httpUrl}/api/v1/ready?x=1&y=%20`)
    expect(r.status).toBe(301)
    expect(r.headers.location).toBe(`${sb.httpsUrl}/api/v1/ready?x=1&y=%20`)
  })

  it('serves a CA-verified certificate for localhost and 127.0.0.1', async () => {
    const { cert, authorized, authorizationError } = await peerCertificate(sb.httpsPort, sb.caPem)
    expect(authorizationError).toBeUndefined()
    expect(authorized).toBe(true)
    expect(cert.subjectaltname).toBe('DNS:localhost, IP Address:127.0.0.1')
    expect(checkServerIdentity('localhost', cert)).toBeUndefined()
    expect(new Date(cert.valid_to).getTime()).toBeGreaterThan(Date.now() + 30 * DAY_MS)
    expect(new Date(cert.valid_from).getTime()).toBeLessThan(Date.now())
  })

  it.each([
    ['a valid signature', 202, (body: string) => ({ 'X-ServiceDesk-Signature': sign('test-secret-value', body) })],
    ['an uppercase-hex valid signature', 202, (body: string) => ({ 'X-ServiceDesk-Signature': sign('test-secret-value', body).toUpperCase().replace('SHA256=', 'sha256=') })],
    ['a signature made with another secret', 401, (body: string) => ({ 'X-ServiceDesk-Signature': sign('other-secret', body) })],
    ['a signature of another body', 401, (body: string) => ({ 'X-ServiceDesk-Signature': sign('test-secret-value', body + ' ') })],
    ['a truncated signature', 401, (body: string) => ({ 'X-ServiceDesk-Signature': sign('test-secret-value', body).slice(0, -2) })],
    ['a signature without the sha256= prefix', 401, (body: string) => ({ 'X-ServiceDesk-Signature': sign('test-secret-value', body).slice(7) })],
    ['no signature', 401, () => ({})],
  ])('webhook with %s -> %i', async (_name, expected, headers) => {
    const body = JSON.stringify({ ticket: 'INC-1', summary: 'disk full', unicode: 'é✓' })
    const r = await fetchRaw(`${sb.httpsUrl}/webhook/servicedesk`, {
      ca: sb.caPem,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers(body) },
      body,
    })
    expect(r.status).toBe(expected)
    const json = JSON.parse(r.body)
    if (expected === 202) {
      expect(json.accepted).toBe(true)
      expect(json.job_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    } else {
      expect(json).toEqual({ error: 'invalid signature' })
    }
  })

  it('webhook bodies over 1 MiB get 413 and are not counted as deliveries', async () => {
    const r = await fetchRaw(`${sb.httpsUrl}/webhook/servicedesk`, { ca: sb.caPem, method: 'POST', body: Buffer.alloc(2 * 1024 * 1024, 97) })
    expect(r.status).toBe(413)
    expect(JSON.parse(r.body)).toEqual({ error: 'request body too large' })
  })

  it('metrics are valid exposition text whose counters follow the requests served', async () => {
    const before = await fetchRaw(`${sb.httpsUrl}/metrics`, { ca: sb.caPem })
    expect(before.status).toBe(200)
    expect(before.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    expectValidExposition(before.body)
    const health200 = 'http_requests_total{method="GET",path="/health",code="200"}'
    const healthCount = 'http_request_duration_seconds_count{method="GET",path="/health"}'
    const healthInf = 'http_request_duration_seconds_bucket{method="GET",path="/health",le="+Inf"}'
    const rejected = 'webhook_deliveries_total{result="rejected"}'
    for (let i = 0; i < 3; i++) await fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem })
    await fetchRaw(`${sb.httpsUrl}/webhook/servicedesk`, { ca: sb.caPem, method: 'POST', body: '{}' })
    const after = await fetchRaw(`${sb.httpsUrl}/metrics`, { ca: sb.caPem })
    expectValidExposition(after.body)
    expect(metricValue(after.body, health200) - metricValue(before.body, health200)).toBe(3)
    expect(metricValue(after.body, healthCount) - metricValue(before.body, healthCount)).toBe(3)
    expect(metricValue(after.body, healthInf)).toBe(metricValue(after.body, healthCount))
    expect(metricValue(after.body, rejected) - metricValue(before.body, rejected)).toBe(1)
    // the earlier scrape itself was counted once it finished
    expect(metricValue(after.body, 'http_requests_total{method="GET",path="/metrics",code="200"}')).toBeGreaterThanOrEqual(1)
    expect(after.body).toContain('http_requests_total{method="GET",path="unmatched",code="404"}')
    const start = metricValue(after.body, 'process_start_time_seconds')
    expect(Math.abs(start - Date.now() / 1000)).toBeLessThan(120)
  })

  it('admin: login form, wrong password 401, right password -> session -> dashboard', async () => {
    const form = await fetchRaw(`${sb.httpsUrl}/admin`, { ca: sb.caPem })
    expect(form.status).toBe(200)
    expect(form.headers['content-type']).toMatch(/^text\/html/)
    expect(form.body).toMatch(/<form id="login-form" method="post" action="\/admin\/login">/)
    expect(form.body).toContain('name="username"')
    expect(form.body).toContain('name="password"')
    expect(form.body).toContain('<button type="submit"')

    const noSession = await fetchRaw(`${sb.httpsUrl}/admin/dashboard`, { ca: sb.caPem })
    expect(noSession.status).toBe(303)
    expect(noSession.headers.location).toBe('/admin')

    const post = (username: string, password: string) =>
      fetchRaw(`${sb.httpsUrl}/admin/login`, {
        ca: sb.caPem,
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, password }).toString(),
      })
    const wrong = await post('admin', sb.adminPassword + 'x')
    expect(wrong.status).toBe(401)
    expect(wrong.headers['set-cookie']).toBeUndefined()
    expect(wrong.body).toContain('id="login-form"')

    const ok = await post(sb.adminUser, sb.adminPassword)
    expect(ok.status).toBe(303)
    expect(ok.headers.location).toBe('/admin/dashboard')
    const cookie = ok.headers['set-cookie']?.[0] ?? ''
    expect(cookie).toMatch(/^sandbox_session=[\w-]+; Path=\/admin; HttpOnly; Secure; SameSite=Strict$/)
    const dash = await fetchRaw(`${sb.httpsUrl}/admin/dashboard`, { ca: sb.caPem, headers: { Cookie: cookie.split(';')[0]! } })
    expect(dash.status).toBe(200)
    expect(dash.body).toContain('<h1>Dashboard</h1>')
    const forged = await fetchRaw(`${sb.httpsUrl}/admin/dashboard`, { ca: sb.caPem, headers: { Cookie: 'sandbox_session=forged' } })
    expect(forged.status).toBe(303)
  })
})

describe('sandbox faults', () => {
  it('readiness-503', () =>
    withSandbox(['readiness-503'], async (sb) => {
      const r = await fetchRaw(`${sb.httpsUrl}/api/v1/ready`, { ca: sb.caPem })
      expect(r.status).toBe(503)
      expect(JSON.parse(r.body)).toEqual({ ready: false, reason: 'warming up' })
      expect((await fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem })).status).toBe(200)
    }))

  it('health-degraded', () =>
    withSandbox(['health-degraded'], async (sb) => {
      const r = await fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem })
      expect(r.status).toBe(503)
      expect(JSON.parse(r.body)).toEqual({ status: 'degraded', database: 'connected', redis: 'disconnected' })
      expect((await fetchRaw(`${sb.httpsUrl}/api/v1/ready`, { ca: sb.caPem })).status).toBe(200)
    }))

  it('slow delays every response by slowMs and the histogram sees it', () =>
    withSandbox(
      ['slow'],
      async (sb) => {
        const [health, redirect] = await Promise.all([fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem }), fetchRaw(`${sb.httpUrl}/health`)])
        expect(health.status).toBe(200)
        expect(health.ms).toBeGreaterThanOrEqual(300)
        expect(redirect.status).toBe(301)
        expect(redirect.ms).toBeGreaterThanOrEqual(300)
        const metrics = await fetchRaw(`${sb.httpsUrl}/metrics`, { ca: sb.caPem })
        expect(metricValue(metrics.body, 'http_request_duration_seconds_bucket{method="GET",path="/health",le="0.25"}')).toBe(0)
        expect(metricValue(metrics.body, 'http_request_duration_seconds_bucket{method="GET",path="/health",le="0.5"}')).toBe(1)
      },
      { slowMs: 300 },
    ))

  it('no-hsts removes only HSTS', () =>
    withSandbox(['no-hsts'], async (sb) => {
      const r = await fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem })
      expect(r.headers['strict-transport-security']).toBeUndefined()
      expect(r.headers['x-content-type-options']).toBe('nosniff')
      expect(r.headers['content-security-policy']).toBeDefined()
    }))

  it('no-redirect serves 200 over plain HTTP', () =>
    withSandbox(['no-redirect'], async (sb) => {
      const r = await fetchRaw(`${sb.httpUrl}/health`)
      expect(r.status).toBe(200)
      expect(r.headers.location).toBeUndefined()
      expect(r.body).toBe('ok\n')
    }))

  it('accept-bad-signature accepts missing and wrong signatures', () =>
    withSandbox(['accept-bad-signature'], async (sb) => {
      const url = `${sb.httpsUrl}/webhook/servicedesk`
      const missing = await fetchRaw(url, { ca: sb.caPem, method: 'POST', body: '{"x":1}' })
      const wrong = await fetchRaw(url, { ca: sb.caPem, method: 'POST', body: '{"x":1}', headers: { 'X-ServiceDesk-Signature': sign('nope', 'x') } })
      expect([missing.status, wrong.status]).toEqual([202, 202])
      expect(JSON.parse(wrong.body).accepted).toBe(true)
    }))

  it('expired-cert serves a leaf that expired yesterday', () =>
    withSandbox(['expired-cert'], async (sb) => {
      const { cert, authorized, authorizationError } = await peerCertificate(sb.httpsPort, sb.caPem)
      expect(authorized).toBe(false)
      expect(authorizationError).toBe('CERT_HAS_EXPIRED')
      const notAfter = new Date(cert.valid_to).getTime()
      const notBefore = new Date(cert.valid_from).getTime()
      expect(Math.abs(notAfter - (Date.now() - DAY_MS))).toBeLessThan(60_000)
      expect(Math.abs(notBefore - (Date.now() - 90 * DAY_MS))).toBeLessThan(60_000)
      expect(cert.subjectaltname).toBe('DNS:localhost, IP Address:127.0.0.1')
      await expect(fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem })).rejects.toThrow(/expired/)
    }))

  it('wrong-host-cert serves a CA-signed leaf for wrong.example.test only', () =>
    withSandbox(['wrong-host-cert'], async (sb) => {
      const { cert, authorized, authorizationError } = await peerCertificate(sb.httpsPort, sb.caPem)
      expect(authorized).toBe(false)
      expect(authorizationError).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
      // the chain is fine; only the name is wrong
      expect(new X509Certificate(cert.raw).verify(new X509Certificate(sb.caPem).publicKey)).toBe(true)
      expect(cert.subjectaltname).toBe('DNS:wrong.example.test')
      expect(checkServerIdentity('localhost', cert)).toBeInstanceOf(Error)
      await expect(fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem })).rejects.toThrow(/wrong\.example\.test/)
    }))

  it('errors makes every 3rd /health or /api/v1/* request a 500 and leaves other routes alone', () =>
    withSandbox(['errors'], async (sb) => {
      const statuses: number[] = []
      for (const path of ['/health', '/api/v1/ready', '/health', '/admin', '/health', '/api/v1/ready', '/api/v1/ready']) {
        statuses.push((await fetchRaw(`${sb.httpsUrl}${path}`, { ca: sb.caPem })).status)
      }
      expect(statuses).toEqual([200, 200, 500, 200, 200, 200, 500])
      const metrics = await fetchRaw(`${sb.httpsUrl}/metrics`, { ca: sb.caPem })
      expect(metrics.body).toContain('http_requests_total{method="GET",path="/health",code="500"} 1\n')
    }))

  it('several faults at once', () =>
    withSandbox(['readiness-503', 'no-hsts'], async (sb) => {
      expect(sb.faults).toEqual(['readiness-503', 'no-hsts'])
      const r = await fetchRaw(`${sb.httpsUrl}/api/v1/ready`, { ca: sb.caPem })
      expect(r.status).toBe(503)
      expect(r.headers['strict-transport-security']).toBeUndefined()
    }))
})

describe('sandbox lifecycle and arguments', () => {
  it('unknown fault -> UsageError listing the valid ones, nothing started', async () => {
    await expect(startSandbox({ faults: ['nope' as Fault] })).rejects.toThrow(UsageError)
    await expect(startSandbox({ faults: ['nope' as Fault] })).rejects.toThrow(/valid faults: readiness-503, .*errors/)
  })

  it.each([
    [{ httpsPort: -1 }],
    [{ httpPort: 70000 }],
    [{ slowMs: -5 }],
    [{ webhookSecret: '' }],
  ])('rejects %j with InvalidArgumentError', async (opts) => {
    await expect(startSandbox(opts)).rejects.toThrow(InvalidArgumentError)
  })

  it('close() frees both ports, removes the temp dir, and can be called twice', async () => {
    const sb = await startSandbox()
    const { httpsPort, httpPort, caFile } = sb
    // keep a connection open: close() must not wait for idle keep-alive sockets
    await fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem })
    await Promise.all([sb.close(), sb.close()])
    expect(existsSync(caFile)).toBe(false)
    await expect(fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem })).rejects.toThrow(/ECONNREFUSED/)
    for (const port of [httpsPort, httpPort]) {
      const server = createServer()
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('close() drops a request that is still being delayed', async () => {
    const sb = await startSandbox({ faults: ['slow'], slowMs: 5000 })
    const pending = fetchRaw(`${sb.httpsUrl}/health`, { ca: sb.caPem }).then(
      (r) => `answered ${r.status}`,
      (err: Error) => err,
    )
    await new Promise((r) => setTimeout(r, 200))
    const t = performance.now()
    await sb.close()
    // close() must not wait for the 5 s delay to finish.
    expect(performance.now() - t).toBeLessThan(4000)
    expect(await pending).toBeInstanceOf(Error)
  })

  it('fixed ports are honoured, and a port in use fails start-up cleanly', async () => {
    const a = await startSandbox()
    try {
      await expect(startSandbox({ httpsPort: a.httpsPort })).rejects.toThrow(/EADDRINUSE/)
    } finally {
      await a.close()
    }
    const b = await startSandbox({ httpsPort: a.httpsPort, httpPort: a.httpPort })
    try {
      expect([b.httpsPort, b.httpPort]).toEqual([a.httpsPort, a.httpPort])
    } finally {
      await b.close()
    }
  })
})
