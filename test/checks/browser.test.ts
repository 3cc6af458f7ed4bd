import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserPage, browserUnavailableReason, judgeBrowserPage, type BrowserPageEvidence } from '../../checks/browser.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { createCa, issueCert } from '../../sandbox/pki.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { startSilentServer } from './http-fixtures.ts'

const PASSWORD = 'hunter2-very-secret'
const html = (body: string, title = 'Test') => `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`

function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0]
  res.setHeader('content-type', 'text/html; charset=utf-8')
  if (path === '/') return void res.end(html('<h1>Hello</h1><p>Everything is fine</p>', 'Home'))
  if (path === '/500') {
    res.statusCode = 500
    return void res.end(html('<h1>Internal Server Error</h1>'))
  }
  if (path === '/page-error') return void res.end(html('<h1>Broken</h1><script>throw new Error("boom from page")</script>'))
  if (path === '/console-error') return void res.end(html('<h1>Noisy</h1><script>console.error("widget failed to load")</script>'))
  if (path === '/admin') return void res.end(html('<form id="login-form" method="post" action="/admin/login"><input name="username"><input name="password" type="password"><button type="submit">Sign in</button></form>', 'Login'))
  if (path === '/admin/login' && req.method === 'POST') {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const form = new URLSearchParams(body)
      if (form.get('username') === 'admin' && form.get('password') === PASSWORD) {
        res.statusCode = 302
        res.setHeader('set-cookie', 'session=ok; Path=/; HttpOnly')
        res.setHeader('location', '/admin/dashboard')
        return void res.end()
      }
      res.statusCode = 401
      res.end(html('<p>Invalid credentials</p>', 'Login'))
    })
    return
  }
  if (path === '/admin/dashboard') {
    if (!/session=ok/.test(req.headers.cookie ?? '')) {
      res.statusCode = 302
      res.setHeader('location', '/admin')
      return void res.end()
    }
    return void res.end(html('<h1>Dashboard</h1>', 'Admin'))
  }
  res.statusCode = 404
  res.end(html('not found'))
}

const server = createServer(handler)
const ca = createCa()
const otherCa = createCa({ commonName: 'some other CA' })
const leaf = issueCert({ issuer: ca, commonName: 'localhost', hosts: ['localhost', '127.0.0.1'] })
const tlsServer = createHttpsServer({ key: leaf.keyPem, cert: leaf.certPem }, handler)
let base = ''
let tlsBase = ''
let reportDir = ''
const unavailable = await browserUnavailableReason()

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  tlsBase = `https://localhost:${(tlsServer.address() as AddressInfo).port}`
  reportDir = await mkdtemp(join(tmpdir(), 'rbk-browser-'))
})
afterAll(async () => {
  server.close()
  tlsServer.close()
  await rm(reportDir, { recursive: true, force: true })
})

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

// Skipped only when Debian's chromium (or playwright-core) is missing; .ci/run installs chromium.
describe.skipIf(unavailable !== undefined)('browserPage in Chromium against loopback pages', () => {
  it('passes on a healthy page and saves a full-page PNG screenshot in the report dir', async () => {
    const r = await browserPage({ id: 'home', url: `${base}/`, waitForText: 'Everything is fine', reportDir })
    expect(r.status, r.message).toBe('pass')
    expect(r.message).toBe('page rendered: HTTP 200, title "Home", found "Everything is fine"')
    expect(r.evidence.screenshot).toBe('screenshots/home.png')
    const png = await readFile(join(reportDir, r.evidence.screenshot!))
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true)
  })

  it('fails when the selector never appears', async () => {
    const r = await browserPage({ id: 'missing', url: `${base}/`, waitForSelector: '#does-not-exist', waitTimeout: 500, reportDir })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^selector #does-not-exist did not appear/)
    expect(r.evidence.waitedFor).toMatchObject({ selector: '#does-not-exist', found: false })
    expect(r.evidence.screenshot).toBe('screenshots/missing.png')
  })

  it('fails on a 500 main document', async () => {
    const r = await browserPage({ id: 'five-hundred', url: `${base}/500` })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('main document answered HTTP 500')
    expect(r.evidence.status).toBe(500)
  })

  it('fails on an uncaught page error', async () => {
    const r = await browserPage({ id: 'page-error', url: `${base}/page-error` })
    expect(r.status).toBe('fail')
    expect(r.message).toContain('uncaught page error(s): boom from page')
  })

  it('fails on console errors unless told otherwise', async () => {
    const r = await browserPage({ id: 'console', url: `${base}/console-error` })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('1 console error(s): widget failed to load')
    const tolerant = await browserPage({ id: 'console2', url: `${base}/console-error`, failOnConsoleError: false })
    expect(tolerant.status).toBe('pass')
    const ignored = await browserPage({ id: 'console3', url: `${base}/console-error`, ignoreConsole: ['^widget'] })
    expect(ignored.status).toBe('pass')
    expect(ignored.evidence.consoleErrors).toEqual([])
  })

  it('logs in through the form and finds the dashboard; the password appears nowhere', async () => {
    const r = await browserPage({
      id: 'admin',
      url: `${base}/admin/dashboard`,
      login: { url: `${base}/admin`, username: 'admin', password: PASSWORD },
      waitForText: 'Dashboard',
      reportDir,
    })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.finalUrl).toBe(`${base}/admin/dashboard`)
    expect(r.message).toContain('logged in')
    expect(JSON.stringify(r)).not.toContain(PASSWORD)
    const png = await readFile(join(reportDir, 'screenshots/admin.png'))
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true)
  })

  it('fails the login flow with wrong credentials', async () => {
    const r = await browserPage({ id: 'admin-bad', url: `${base}/admin`, login: { username: 'admin', password: 'wrong-password' }, waitForText: 'Dashboard' })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('main document answered HTTP 401 at ' + `${base}/admin/login`)
  })

  it('fails on a refused connection without throwing', async () => {
    const tmp = createServer()
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r))
    const closed = (tmp.address() as AddressInfo).port
    await new Promise((r) => tmp.close(r))
    const r = await browserPage({ id: 'down', url: `http://127.0.0.1:${closed}/`, navigationTimeout: 5000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^page did not load: .*ERR_CONNECTION_REFUSED/)
  })

  it('trusts an HTTPS page only through the given CA (SPKI pin), never by default', async () => {
    const untrusted = await browserPage({ id: 'tls-default', url: `${tlsBase}/` })
    expect(untrusted.status).toBe('fail')
    expect(untrusted.message).toMatch(/ERR_CERT_AUTHORITY_INVALID/)
    const pinned = await browserPage({ id: 'tls-ca', url: `${tlsBase}/`, ca: ca.certPem })
    expect(pinned.status, pinned.message).toBe('pass')
    expect(pinned.evidence.tls).toBe('spki-pinned')
    const wrongCa = await browserPage({ id: 'tls-other', url: `${tlsBase}/`, ca: otherCa.certPem })
    expect(wrongCa.status).toBe('fail')
    expect(wrongCa.message).toMatch(/^page did not load: TLS: .*(self.signed|unable to verify|issuer)/i)
    const insecure = await browserPage({ id: 'tls-insecure', url: `${tlsBase}/`, insecure: true })
    expect(insecure.status).toBe('pass')
  })
})

describe.skipIf(unavailable !== undefined)('the browser kind (target-file entries)', () => {
  it('relative urls under the baseUrl, the login password registered for redaction, the screenshot in the report dir', async () => {
    const ctx = testBuildContext(reportDir, { baseUrl: base })
    const spec = await buildKind({ id: 'admin-ui', kind: 'browser', url: '/admin/dashboard', login: { url: '/admin', username: 'admin', password: PASSWORD }, waitForText: 'Dashboard' }, ctx)
    expect(spec.title).toBe(`Page ${base}/admin/dashboard renders after login with "Dashboard"`)
    expect(ctx.redactor.redact(`typed ${PASSWORD}`)).toBe('typed ***')
    const r = await spec.run(AbortSignal.timeout(30_000))
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence).toMatchObject({ screenshot: 'screenshots/admin-ui.png', finalUrl: `${base}/admin/dashboard` })
    const png = await readFile(join(reportDir, 'screenshots/admin-ui.png'))
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true)
  })

  it("trusts the target's tls.ca file (read as PEM); insecure does without it", async () => {
    const caFile = join(reportDir, 'ca.pem')
    await writeFile(caFile, ca.certPem)
    const ctx = testBuildContext(reportDir, { baseUrl: tlsBase, tls: { ca: caFile } })
    const pinned = await (await buildKind({ id: 'kind-tls-ca', kind: 'browser', url: '/', screenshot: false }, ctx)).run(AbortSignal.timeout(30_000))
    expect(pinned.status, pinned.message).toBe('pass')
    expect(pinned.evidence).toMatchObject({ tls: 'spki-pinned' })
    const insecure = await (await buildKind({ id: 'kind-tls-insecure', kind: 'browser', url: '/', insecure: true, screenshot: false }, ctx)).run(AbortSignal.timeout(30_000))
    expect(insecure.status, insecure.message).toBe('pass')
    expect(insecure.evidence).toMatchObject({ tls: 'insecure' })
    const entryCa = testBuildContext(reportDir, { baseUrl: tlsBase })
    await expect(buildKind({ id: 'x', kind: 'browser', url: '/', insecure: true, ca: caFile }, entryCa)).rejects.toThrow('insecure: give either ca or insecure, not both')
  })

  it('a page that never answers names the navigation when the check timeout is shorter than navigationTimeout', async () => {
    const silent = await startSilentServer()
    try {
      const spec = await buildKind({ id: 'hang', kind: 'browser', url: `${silent.url}/`, screenshot: false }, testBuildContext(reportDir))
      const started = Date.now()
      const r = await spec.run(AbortSignal.timeout(15_000), started + 8000)
      expect(r.status).toBe('fail')
      expect(r.message).toMatch(/^page did not load: page\.goto: Timeout \d+ms exceeded/)
      expect(Date.now() - started).toBeLessThan(9000)
    } finally {
      await silent.close()
    }
  })
})

describe('judgeBrowserPage', () => {
  const base: BrowserPageEvidence = { url: 'http://x/', status: 200, pageErrors: [], consoleErrors: [] }
  it.each([
    ['healthy', base, true, 'pass'],
    ['404 document', { ...base, status: 404 }, true, 'fail'],
    ['navigation error', { ...base, status: undefined, navigationError: 'net::ERR_CONNECTION_REFUSED' }, true, 'fail'],
    ['page error', { ...base, pageErrors: ['boom'] }, true, 'fail'],
    ['console error', { ...base, consoleErrors: ['x'] }, true, 'fail'],
    ['console error tolerated', { ...base, consoleErrors: ['x'] }, false, 'pass'],
    ['login error', { ...base, login: { attempted: true, error: 'timeout' } }, true, 'fail'],
    ['text not found', { ...base, waitedFor: { text: 'Hi', found: false } }, true, 'fail'],
    ['text found', { ...base, waitedFor: { text: 'Hi', found: true } }, true, 'pass'],
  ])('%s', (_n, ev, failOnConsoleError, status) => {
    expect(judgeBrowserPage(ev as BrowserPageEvidence, { failOnConsoleError }).status).toBe(status)
  })

  it('rejects bad arguments', async () => {
    await expect(browserPage({ url: 'file:///etc/passwd' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(browserPage({ url: 'http://x/', id: '../evil' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(browserPage({ url: 'https://x/', ca: 'pem', insecure: true })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
