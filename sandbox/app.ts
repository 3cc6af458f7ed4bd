import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Fault } from './faults.ts'
import { EXPOSITION_CONTENT_TYPE, type AppMetrics } from './metrics.ts'

/**
 * The demo application: the request handlers behind the sandbox's HTTPS and HTTP ports. It behaves
 * like the seed runbooks' API (health, readiness, metrics, a signed webhook, an admin login) and
 * each fault breaks one behaviour.
 */

export interface AppConfig {
  faults: ReadonlySet<Fault>
  /** HMAC-SHA256 key of `X-ServiceDesk-Signature`. */
  webhookSecret: string
  adminUser: string
  adminPassword: string
  /** Delay of every response under the `slow` fault, ms. */
  slowMs: number
  metrics: AppMetrics
  /** Aborted by `close()`: pending delays end and their connections are dropped. */
  signal: AbortSignal
}

export const APP_VERSION = '1.4.2'
export const SIGNATURE_HEADER = 'x-servicedesk-signature'
export const SESSION_COOKIE = 'sandbox_session'
/** Largest request body read (webhook, login form), bytes. */
const MAX_BODY_BYTES = 1024 * 1024

const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'",
})
const HSTS = 'max-age=31536000; includeSubDomains'

type Handler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => Promise<void> | void
interface RequestContext {
  cfg: AppConfig
  sessions: Set<string>
  url: URL
}
interface Route {
  /** Methods allowed; GET routes also answer HEAD. */
  methods: readonly string[]
  handler: Handler
}

const ROUTES: Readonly<Record<string, Route>> = Object.freeze({
  '/health': { methods: ['GET'], handler: health },
  '/api/v1/ready': { methods: ['GET'], handler: ready },
  '/metrics': { methods: ['GET'], handler: metrics },
  '/webhook/servicedesk': { methods: ['POST'], handler: webhook },
  '/admin': { methods: ['GET'], handler: adminForm },
  '/admin/login': { methods: ['POST'], handler: adminLogin },
  '/admin/dashboard': { methods: ['GET'], handler: adminDashboard },
  // Browsers ask for it; a 404 would show up as a console error in browser checks.
  '/favicon.ico': { methods: ['GET'], handler: (_req, res) => void res.writeHead(204).end() },
})

/** The HTTPS application. Requests are counted and timed into `cfg.metrics` when their response finishes. */
export function createAppHandler(cfg: AppConfig): (req: IncomingMessage, res: ServerResponse) => void {
  const sessions = new Set<string>()
  let errorCounter = 0
  return (req, res) => {
    const started = process.hrtime.bigint()
    const url = new URL(req.url ?? '/', 'https://localhost')
    const route = Object.hasOwn(ROUTES, url.pathname) ? ROUTES[url.pathname] : undefined
    const routeLabel = route ? url.pathname : 'unmatched'
    const method = req.method ?? 'GET'
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      cfg.metrics.observeRequest(method, routeLabel, res.statusCode, seconds)
    })
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
    if (!cfg.faults.has('no-hsts')) res.setHeader('Strict-Transport-Security', HSTS)

    void (async () => {
      if (cfg.faults.has('slow')) await sleep(cfg.slowMs, undefined, { signal: cfg.signal })
      if (!route) return sendJson(res, 404, { error: 'not found' })
      const allowed = route.methods.includes('GET') ? [...route.methods, 'HEAD'] : route.methods
      if (!allowed.includes(method)) {
        res.setHeader('Allow', allowed.join(', '))
        return sendJson(res, 405, { error: 'method not allowed' })
      }
      if (cfg.faults.has('errors') && (url.pathname === '/health' || url.pathname.startsWith('/api/v1/'))) {
        errorCounter += 1
        if (errorCounter % 3 === 0) return sendJson(res, 500, { error: 'internal server error' })
      }
      await route.handler(req, res, { cfg, sessions, url })
    })().catch((err: unknown) => {
      if (cfg.signal.aborted) return void res.destroy()
      if (!res.headersSent) sendJson(res, (err as { statusCode?: number }).statusCode ?? 500, { error: (err as Error).message })
      else res.destroy()
    })
  }
}

/** The plain-HTTP port: a permanent redirect to the same path on HTTPS, or 200 "ok" under `no-redirect`. */
export function createRedirectHandler(
  cfg: Pick<AppConfig, 'faults' | 'slowMs' | 'signal'> & { httpsOrigin: string },
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      if (cfg.faults.has('slow')) await sleep(cfg.slowMs, undefined, { signal: cfg.signal })
      if (cfg.faults.has('no-redirect')) {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok\n')
        return
      }
      const target = cfg.httpsOrigin + (req.url?.startsWith('/') ? req.url : '/')
      res.writeHead(301, { Location: target, 'Content-Type': 'text/plain; charset=utf-8' }).end(`Moved to ${target}\n`)
    })().catch(() => res.destroy())
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text)
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html), 'Cache-Control': 'no-store' }).end(html)
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { Location: location, 'Content-Length': 0, ...headers }).end()
}

function health(_req: IncomingMessage, res: ServerResponse, { cfg }: RequestContext): void {
  if (cfg.faults.has('health-degraded')) sendJson(res, 503, { status: 'degraded', database: 'connected', redis: 'disconnected' })
  else sendJson(res, 200, { status: 'healthy', database: 'connected', redis: 'connected', version: APP_VERSION })
}

function ready(_req: IncomingMessage, res: ServerResponse, { cfg }: RequestContext): void {
  if (cfg.faults.has('readiness-503')) sendJson(res, 503, { ready: false, reason: 'warming up' })
  else sendJson(res, 200, { ready: true })
}

function metrics(_req: IncomingMessage, res: ServerResponse, { cfg }: RequestContext): void {
  const text = cfg.metrics.render()
  res.writeHead(200, { 'Content-Type': EXPOSITION_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) }).end(text)
}

async function webhook(req: IncomingMessage, res: ServerResponse, { cfg }: RequestContext): Promise<void> {
  const body = await readBody(req)
  const header = req.headers[SIGNATURE_HEADER]
  const valid = verifySignature(cfg.webhookSecret, body, Array.isArray(header) ? header[0] : header)
  if (valid || cfg.faults.has('accept-bad-signature')) {
    cfg.metrics.webhookDelivery('accepted')
    sendJson(res, 202, { accepted: true, job_id: randomUUID() })
  } else {
    cfg.metrics.webhookDelivery('rejected')
    sendJson(res, 401, { error: 'invalid signature' })
  }
}

/** `sha256=<hex HMAC-SHA256(secret, raw body)>`, compared in constant time. */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header) return false
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim())
  if (!match?.[1]) return false
  const given = Buffer.from(match[1], 'hex')
  const expected = createHmac('sha256', secret).update(body).digest()
  return given.length === expected.length && timingSafeEqual(given, expected)
}

function page(title: string, main: string): string {
  // No inline scripts or styles: the CSP (default-src 'self') would block them and browsers would log errors.
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title} — sandbox admin</title></head>
<body>
<main>
${main}
</main>
</body>
</html>
`
}

function loginForm(error?: string): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1>
${error ? `<p id="login-error" role="alert">${error}</p>\n` : ''}<form id="login-form" method="post" action="/admin/login">
<label>Username <input name="username" type="text" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit" id="login-submit">Sign in</button>
</form>`,
  )
}

function adminForm(_req: IncomingMessage, res: ServerResponse): void {
  sendHtml(res, 200, loginForm())
}

async function adminLogin(req: IncomingMessage, res: ServerResponse, { cfg, sessions }: RequestContext): Promise<void> {
  const form = new URLSearchParams((await readBody(req)).toString('utf8'))
  const userOk = safeEqual(form.get('username') ?? '', cfg.adminUser)
  const passOk = safeEqual(form.get('password') ?? '', cfg.adminPassword)
  if (!(userOk && passOk)) return sendHtml(res, 401, loginForm('Invalid username or password.'))
  const session = randomBytes(24).toString('base64url')
  sessions.add(session)
  redirect(res, '/admin/dashboard', { 'Set-Cookie': `${SESSION_COOKIE}=${session}; Path=/admin; HttpOnly; Secure; SameSite=Strict` })
}

function adminDashboard(req: IncomingMessage, res: ServerResponse, { sessions }: RequestContext): void {
  const session = readCookie(req.headers.cookie, SESSION_COOKIE)
  if (!session || !sessions.has(session)) return redirect(res, '/admin')
  sendHtml(res, 200, page('Dashboard', `<h1>Dashboard</h1>\n<p id="status">All systems operational. Version ${APP_VERSION}.</p>`))
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('request body too large'), { statusCode: 413 })
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
