import { createHash, X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { connect as tlsConnect } from 'node:tls'
import { join } from 'node:path'
import { parseHttpUrl, readCa } from '../clients/http.ts'
import { capToDeadline } from '../lib/deadline.ts'
import { errorMessage, InvalidArgumentError, optionProblem, OptionsError } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Duration, FilePath, Options, Secret, TargetString, Type, Url, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: browser` — `browserPage`: opens a page in Debian's Chromium through playwright-core
 * (imported lazily, so the rest of runbook-kit, and the registry reading this declaration, work
 * without loading it) and judges what a person would have seen: the main document's HTTP status,
 * uncaught page errors, console errors, a login flow, an expected selector or text. A full-page
 * screenshot goes into the report directory.
 *
 * HTTPS trust: Chromium cannot be handed a CA file. With `ca`, the check first verifies the
 * server's certificate in Node against that CA (and `servername`), then tells Chromium to accept
 * exactly that leaf key with `--ignore-certificate-errors-spki-list=<sha256 of its SPKI>`. Nothing
 * else is trusted beyond the system roots. `insecure: true` turns off certificate checks entirely
 * (Playwright's `ignoreHTTPSErrors`); it is never the default.
 */

export const BrowserLoginOptions = Options(
  {
    url: Type.Optional(Url({ description: 'login page: an absolute URL, or a path under the target baseUrl (default: url)' })),
    username: Type.String({ description: 'user name typed into usernameSelector' }),
    password: Secret(Type.String({ description: 'password typed into passwordSelector; never logged or written into evidence' })),
    usernameSelector: Type.Optional(Type.String({ minLength: 1, default: 'input[name="username"]', description: 'the user name field' })),
    passwordSelector: Type.Optional(Type.String({ minLength: 1, default: 'input[name="password"]', description: 'the password field' })),
    submitSelector: Type.Optional(Type.String({ minLength: 1, description: 'clicked to submit (default: the form submit button, else Enter in the password field)' })),
  },
  { description: 'fill and submit a login form first' },
)
export type BrowserLogin = Static<typeof BrowserLoginOptions>

export const BrowserOptions = Options({
  url: Url({ description: 'page to open (after the login, if any): an absolute URL, or a path under the target baseUrl' }),
  login: Type.Optional(BrowserLoginOptions),
  waitForSelector: Type.Optional(Type.String({ minLength: 1, description: 'CSS/Playwright selector that must become visible' })),
  waitForText: Type.Optional(Type.String({ minLength: 1, description: 'text that must appear on the page' })),
  failOnConsoleError: Type.Optional(Type.Boolean({ default: true, description: "fail when the page logs console errors (Chromium logs failed subresource loads there too; the favicon's is ignored)" })),
  ignoreConsole: Type.Optional(Type.Array(Type.String(), { description: 'console error texts to ignore (regular expressions), e.g. a known third-party warning' })),
  screenshot: Type.Optional(Type.Boolean({ default: true, description: 'save a full-page screenshot into the report directory' })),
  ca: Type.Optional(FilePath({
    what: 'CA file',
    targetDefault: 'tls.ca',
    description: "PEM CA bundle the page's certificate must chain to: verified in Node, then pinned in Chromium by SPKI hash (a file; default: the target's tls.ca)",
  })),
  servername: Type.Optional(TargetString({ targetDefault: 'tls.servername', description: "certificate name to verify with ca (default: the target's tls.servername, else the URL host)" })),
  insecure: Type.Optional(Type.Boolean({ default: false, description: 'accept any certificate (Playwright ignoreHTTPSErrors; never the default, prefer ca)' })),
  navigationTimeout: Type.Optional(Duration({ positive: true, default: '15s', description: 'for each navigation (goto, login submit)' })),
  waitTimeout: Type.Optional(Duration({ positive: true, default: '5s', description: 'for waitForSelector/waitForText, the login form fields and the screenshot' })),
})

/**
 * What `browserPage` takes: the options as declared (`ca` a file path or the PEM text), the run's
 * `reportDir` for the screenshot (none without it), and for library callers `launchTimeout` (ms,
 * default 20000), `executablePath` (default `$RUNBOOK_KIT_CHROMIUM` or `/usr/bin/chromium`, never
 * downloaded) and `viewport` (default 1280×800). Every timeout is capped by the attempt's deadline.
 */
export type BrowserPageOptions = Static<typeof BrowserOptions> & RunContext & { launchTimeout?: number; executablePath?: string; viewport?: { width: number; height: number } }

export type BrowserPageEvidence = {
  url: string
  /** URL after redirects and login. */
  finalUrl?: string
  /** HTTP status of the last main-document response. */
  status?: number
  pageTitle?: string
  /** Uncaught exceptions thrown in the page. */
  pageErrors: string[]
  /** `console.error` texts (ignored ones excluded). */
  consoleErrors: string[]
  /** Main-frame navigation failure (DNS, TLS, refused, timeout). */
  navigationError?: string
  login?: { attempted: boolean; url?: string; error?: string }
  waitedFor?: { selector?: string; text?: string; found: boolean; error?: string }
  /** Screenshot path relative to the report directory. */
  screenshot?: string
  screenshotError?: string
  /** `spki-pinned` (verified in Node with `ca`), `insecure` or `system`. */
  tls?: string
}

export const BROWSER_PAGE_DEFAULTS = Object.freeze({
  ...defaultsOf(BrowserOptions, 'failOnConsoleError', 'screenshot', 'insecure', 'navigationTimeout', 'waitTimeout'),
  id: 'browser',
  launchTimeout: 20_000,
  executablePath: process.env.RUNBOOK_KIT_CHROMIUM || '/usr/bin/chromium',
  viewport: { width: 1280, height: 800 },
})
const LOGIN_DEFAULTS = defaultsOf(BrowserLoginOptions, 'usernameSelector', 'passwordSelector')

export const browserKind = defineKind({
  kind: 'browser',
  description: 'opens a page in Chromium (optionally after a form login), fails on HTTP/page/console errors, waits for content, saves a screenshot',
  options: BrowserOptions,
  preload: () => import('playwright-core'),
  positional: 'url',
  // `insecure` trusts any certificate, so the target's tls.ca (a default, not the entry's choice) does not apply.
  prepare: (o, ctx) => (o.insecure && o.ca !== undefined && o.ca === ctx.tls.ca ? stripUndefined({ ...o, ca: undefined, servername: undefined }) : o),
  validate: (o) => void validateBrowserOptions(o),
  title: (o) => defaultTitle(parseHttpUrl(o.url), o),
  run: (o, rt) => browserPage({ ...o, ...rt }),
})

/** The rules on the options, for the kind (when the check is built) and for library callers: one way to trust, valid console patterns. */
function validateBrowserOptions(o: Pick<BrowserPageOptions, 'ca' | 'insecure' | 'ignoreConsole'>): RegExp[] {
  if (o.ca && o.insecure) throw optionProblem('insecure', 'give either {ca} or {insecure}, not both')
  return (o.ignoreConsole ?? []).map((p, i) => {
    try {
      return new RegExp(p)
    } catch (cause) {
      throw new OptionsError([{ path: ['ignoreConsole', i], message: `invalid regular expression "${p}"` }], { cause })
    }
  })
}

function defaultTitle(url: URL, o: Pick<BrowserPageOptions, 'login' | 'waitForSelector' | 'waitForText'>): string {
  const what = o.waitForSelector || o.waitForText ? ` with ${o.waitForSelector ?? JSON.stringify(o.waitForText)}` : ''
  return `Page ${url.origin}${url.pathname} renders${o.login ? ' after login' : ''}${what}`
}

/** The arguments DESIGN.md prescribes for Debian's Chromium in this environment. */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
])

/** Why a browser check cannot run here (binary or playwright-core missing), or undefined. */
export async function browserUnavailableReason(executablePath: string = BROWSER_PAGE_DEFAULTS.executablePath): Promise<string | undefined> {
  if (!existsSync(executablePath)) return `Chromium not found at ${executablePath} (Debian package "chromium")`
  try {
    await import('playwright-core')
  } catch {
    return 'playwright-core is not installed'
  }
  return undefined
}

export async function browserPage(options: BrowserPageOptions): Promise<CheckResult<BrowserPageEvidence>> {
  const opts = { ...BROWSER_PAGE_DEFAULTS, ...stripUndefined(options) }
  const url = parseHttpUrl(opts.url)
  if (opts.login) {
    if (typeof opts.login.username !== 'string' || typeof opts.login.password !== 'string') throw new InvalidArgumentError('browserPage: login needs username and password')
    if (opts.login.url) parseHttpUrl(opts.login.url)
  }
  if (opts.id.includes('/') || opts.id.includes('\\') || opts.id.startsWith('.')) throw new InvalidArgumentError(`browserPage: id "${opts.id}" cannot name a screenshot file`)
  const ignore = validateBrowserOptions(opts)
  for (const k of ['launchTimeout', 'navigationTimeout', 'waitTimeout'] as const) {
    if (!Number.isFinite(opts[k]) || opts[k] <= 0) throw new InvalidArgumentError(`browserPage: ${k} must be a positive number of ms`)
  }
  // Chromium cannot be handed a file: the PEM text (read once per run when it is a path).
  const caPem = opts.ca === undefined ? undefined : readCa(opts.ca).toString()
  const title = opts.title ?? defaultTitle(url, opts)
  const secret = opts.login?.password

  return timed({ id: opts.id, title, kind: 'browser' }, async () => {
    const unavailable = await browserUnavailableReason(opts.executablePath)
    if (unavailable) return { status: 'skip', message: `skipped: ${unavailable}`, evidence: { url: opts.url, pageErrors: [], consoleErrors: [] } }
    const obs = await observePage(opts, ignore, caPem)
    const verdict = judgeBrowserPage(obs, { failOnConsoleError: opts.failOnConsoleError })
    return secret && secret.length >= 4 ? maskDeep(verdict, secret) : verdict
  })
}

type Resolved = BrowserPageOptions & { id: string; failOnConsoleError: boolean; screenshot: boolean; insecure: boolean; launchTimeout: number; navigationTimeout: number; waitTimeout: number; executablePath: string; viewport: { width: number; height: number } }

async function observePage(opts: Resolved, ignore: RegExp[], caPem: string | undefined): Promise<BrowserPageEvidence> {
  // Each phase gets its own timeout, capped by the time left before the attempt's deadline, so a hang
  // is reported by the phase that hung ("page.goto: Timeout 2900ms exceeded").
  const nav = () => capToDeadline(opts.navigationTimeout, opts.deadline)
  const wait = () => capToDeadline(opts.waitTimeout, opts.deadline)
  const ev: BrowserPageEvidence = { url: opts.url, pageErrors: [], consoleErrors: [] }
  const args = [...CHROMIUM_ARGS]
  const target = new URL(opts.url)
  if (opts.insecure) ev.tls = 'insecure'
  else if (caPem && (target.protocol === 'https:' || opts.login?.url?.startsWith('https:'))) {
    const httpsUrl = target.protocol === 'https:' ? target : new URL(opts.login!.url!)
    try {
      const hash = await verifiedLeafSpki(httpsUrl, caPem, opts.servername, nav(), opts.signal)
      args.push(`--ignore-certificate-errors-spki-list=${hash}`)
      ev.tls = 'spki-pinned'
    } catch (err) {
      ev.navigationError = `TLS: ${errorMessage(err)}`
      return ev
    }
  } else if (target.protocol === 'https:') ev.tls = 'system'

  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: opts.executablePath, args, headless: true, timeout: capToDeadline(opts.launchTimeout, opts.deadline) })
  const onAbort = () => void browser.close().catch(() => {})
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: opts.insecure, viewport: opts.viewport })
    const page = await context.newPage()
    page.on('pageerror', (e) => ev.pageErrors.push(e.message))
    page.on('console', (m) => {
      if (m.type() !== 'error' || ignore.some((re) => re.test(m.text()))) return
      // Chromium logs the implicit /favicon.ico request's 404 as a console error; no user sees it.
      if (/^\/favicon\.ico$/.test(safePath(m.location().url))) return
      ev.consoleErrors.push(m.text())
    })
    page.on('response', (r) => {
      // The last non-redirect main-document response is what the user sees.
      if (r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400)) ev.status = r.status()
    })

    const goto = async (u: string): Promise<boolean> => {
      try {
        await page.goto(u, { waitUntil: 'load', timeout: nav() })
        return true
      } catch (err) {
        ev.navigationError = firstLine(errorMessage(err))
        return false
      }
    }

    let ok = true
    if (opts.login) {
      const l = opts.login
      ev.login = { attempted: true, ...(l.url ? { url: l.url } : {}) }
      ok = await goto(l.url ?? opts.url)
      if (ok && (ev.status ?? 0) < 400) {
        try {
          await page.fill(l.usernameSelector ?? LOGIN_DEFAULTS.usernameSelector, l.username, { timeout: wait() })
          await page.fill(l.passwordSelector ?? LOGIN_DEFAULTS.passwordSelector, l.password, { timeout: wait() })
          const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: nav() })
          const submit = l.submitSelector ?? 'button[type="submit"], input[type="submit"]'
          if (l.submitSelector || (await page.locator(submit).count()) > 0) await page.locator(submit).first().click({ timeout: wait() })
          else await page.press(l.passwordSelector ?? LOGIN_DEFAULTS.passwordSelector, 'Enter', { timeout: wait() })
          await navigated
          await page.waitForLoadState('load', { timeout: nav() })
        } catch (err) {
          ev.login.error = firstLine(errorMessage(err))
          ok = false
        }
      } else ok = false
      if (ok && l.url && l.url !== opts.url) ok = await goto(opts.url)
    } else ok = await goto(opts.url)

    if (ok && (ev.status ?? 0) < 400 && (opts.waitForSelector || opts.waitForText)) {
      ev.waitedFor = { ...(opts.waitForSelector ? { selector: opts.waitForSelector } : {}), ...(opts.waitForText ? { text: opts.waitForText } : {}), found: false }
      try {
        if (opts.waitForSelector) await page.waitForSelector(opts.waitForSelector, { state: 'visible', timeout: wait() })
        if (opts.waitForText) await page.getByText(opts.waitForText).first().waitFor({ state: 'visible', timeout: wait() })
        ev.waitedFor.found = true
      } catch (err) {
        ev.waitedFor.error = firstLine(errorMessage(err))
      }
    }
    ev.finalUrl = page.url()
    ev.pageTitle = await page.title().catch(() => '')

    if (opts.reportDir && opts.screenshot) {
      const rel = join('screenshots', `${opts.id}.png`)
      try {
        await mkdir(join(opts.reportDir, 'screenshots'), { recursive: true })
        await page.screenshot({ path: join(opts.reportDir, rel), fullPage: true, timeout: wait() })
        ev.screenshot = rel.split('\\').join('/')
      } catch (err) {
        ev.screenshotError = firstLine(errorMessage(err))
      }
    }
    await context.close()
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
    await browser.close().catch(() => {})
  }
  return ev
}

/** Pure: what the observation means. Order: could not load, HTTP error, login, page errors, console, expected content. */
export function judgeBrowserPage(ev: BrowserPageEvidence, policy: { failOnConsoleError: boolean }): Verdict<BrowserPageEvidence> {
  const fail = (message: string): Verdict<BrowserPageEvidence> => ({ status: 'fail', message, evidence: ev })
  if (ev.navigationError) return fail(`page did not load: ${ev.navigationError}`)
  if (ev.status !== undefined && ev.status >= 400) return fail(`main document answered HTTP ${ev.status}${ev.finalUrl && ev.finalUrl !== ev.url ? ` at ${ev.finalUrl}` : ''}`)
  if (ev.login?.error) return fail(`login failed: ${ev.login.error}`)
  if (ev.pageErrors.length > 0) return fail(`${ev.pageErrors.length} uncaught page error(s): ${ev.pageErrors[0]}`)
  if (policy.failOnConsoleError && ev.consoleErrors.length > 0) return fail(`${ev.consoleErrors.length} console error(s): ${ev.consoleErrors[0]}`)
  if (ev.waitedFor && !ev.waitedFor.found) {
    const what = ev.waitedFor.selector ? `selector ${ev.waitedFor.selector}` : `text ${JSON.stringify(ev.waitedFor.text)}`
    return fail(`${what} did not appear${ev.finalUrl ? ` on ${ev.finalUrl}` : ''}`)
  }
  const parts = [`HTTP ${ev.status ?? '?'}`]
  if (ev.pageTitle) parts.push(`title ${JSON.stringify(ev.pageTitle)}`)
  if (ev.login?.attempted) parts.push('logged in')
  if (ev.waitedFor?.found) parts.push(`found ${ev.waitedFor.selector ?? JSON.stringify(ev.waitedFor.text)}`)
  if (ev.consoleErrors.length > 0) parts.push(`${ev.consoleErrors.length} console error(s) tolerated`)
  return { status: 'pass', message: `page rendered: ${parts.join(', ')}`, evidence: ev }
}

/** Connects with Node's TLS, verifying against `ca`, and returns the base64 SHA-256 of the leaf's SubjectPublicKeyInfo. */
function verifiedLeafSpki(url: URL, ca: string, servername: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const sni = servername ?? host
    const socket = tlsConnect({ host, port: Number(url.port || 443), ca, servername: /^[\d.]+$|:/.test(sni) ? undefined : sni, rejectUnauthorized: true })
    const timer = setTimeout(() => socket.destroy(new Error(`TLS handshake timed out after ${timeoutMs} ms`)), timeoutMs)
    const onAbort = () => socket.destroy(new Error('aborted'))
    signal?.addEventListener('abort', onAbort, { once: true })
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate()
      done()
      socket.end()
      if (!peer) return reject(new Error('no peer certificate'))
      const cert = new X509Certificate(peer.raw)
      if (!cert.checkHost(sni) && !cert.checkIP(sni)) return reject(new Error(`certificate is not valid for ${sni}`))
      const spki = cert.publicKey.export({ type: 'spki', format: 'der' })
      resolve(createHash('sha256').update(spki).digest('base64'))
    })
    socket.once('error', (err) => {
      done()
      reject(err)
    })
  })
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname
  } catch {
    return ''
  }
}

function firstLine(s: string): string {
  // Playwright errors carry a multi-line call log; the first line says what happened.
  return s.split('\n')[0]!.trim()
}

function maskDeep<T>(value: T, secret: string): T {
  return JSON.parse(JSON.stringify(value).split(JSON.stringify(secret).slice(1, -1)).join('***')) as T
}
