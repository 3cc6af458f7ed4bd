import type { BrowserLogin } from '../../checks/browser.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { readEntryFile } from '../../lib/files.ts'
import { caEntryPath, resolveUrl, titleUrl } from './http-shared.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/browser.ts')

/** A `kind: browser` entry. */
export interface BrowserEntry extends CommonCheckFields {
  url: string
  login?: Omit<BrowserLogin, 'url'> & { url?: string }
  waitForSelector?: string
  waitForText?: string
  failOnConsoleError?: boolean
  ignoreConsole?: string[]
  screenshot?: boolean
  ca?: string
  servername?: string
  insecure?: boolean
  navigationTimeout?: number | string
  waitTimeout?: number | string
}

export const browserKind: CheckKind<BrowserEntry> = {
  kind: 'browser',
  description: 'opens a page in Chromium (optionally after a form login), fails on HTTP/page/console errors, waits for content, saves a screenshot',
  positional: 'url',
  secretFields: ['login.password'],
  properties: {
    url: { type: 'string', minLength: 1, description: 'page URL, absolute or a path resolved against the target baseUrl' },
    login: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password'],
      description: 'fill and submit a login form first',
      properties: {
        url: { type: 'string', minLength: 1, description: 'login page (default: url); absolute or relative to baseUrl' },
        username: { type: 'string', description: 'user name' },
        password: { type: 'string', description: 'password, as env:NAME (never logged or written into evidence)' },
        usernameSelector: { type: 'string', minLength: 1, description: 'default input[name="username"]' },
        passwordSelector: { type: 'string', minLength: 1, description: 'default input[name="password"]' },
        submitSelector: { type: 'string', minLength: 1, description: 'default: the form submit button, else Enter' },
      },
    },
    waitForSelector: { type: 'string', minLength: 1, description: 'selector that must become visible' },
    waitForText: { type: 'string', minLength: 1, description: 'text that must appear' },
    failOnConsoleError: { type: 'boolean', default: true, description: 'fail when the page logs console errors' },
    ignoreConsole: { type: 'array', items: { type: 'string' }, description: 'console error texts to ignore (regular expressions)' },
    screenshot: { type: 'boolean', default: true, description: 'save a full-page screenshot into the report directory' },
    ca: { type: 'string', minLength: 1, description: "PEM CA file the page's certificate must chain to (verified in Node, then pinned in Chromium by SPKI hash; default: the target's tls.ca)" },
    servername: { type: 'string', minLength: 1, description: 'certificate name to verify with ca (default: URL host)' },
    insecure: { type: 'boolean', default: false, description: 'accept any certificate (never the default; prefer ca)' },
    navigationTimeout: { ...durationSchema, description: 'per navigation (default 15s)' },
    waitTimeout: { ...durationSchema, description: 'for waitForSelector/waitForText and form fields (default 5s)' },
  },
  required: ['url'],
  title(entry, ctx) {
    const where = titleUrl(entry.url, ctx)
    return `Page ${where} renders${entry.login ? ' after login' : ''}`
  },
  build(entry, ctx) {
    const url = resolveUrl(entry.url, ctx).toString()
    let ca: string | undefined
    if (!entry.insecure) {
      const caPath = caEntryPath(entry.ca, ctx)
      if (caPath !== undefined) ca = readEntryFile(caPath, 'CA file').toString('utf8')
    }
    const servername = entry.servername ?? ctx.tls.servername
    const login = entry.login ? { ...entry.login, ...(entry.login.url !== undefined ? { url: resolveUrl(entry.login.url, ctx).toString() } : {}) } : undefined
    if (login) ctx.redactor.add(login.password)
    const opt = <T>(k: string, v: T | undefined) => (v === undefined ? {} : { [k]: v })
    return {
      run: async (signal) =>
        (await load()).browserPage({
          url,
          id: entry.id,
          signal,
          reportDir: ctx.reportDir,
          ...opt('title', entry.title),
          ...opt('login', login),
          ...opt('waitForSelector', entry.waitForSelector),
          ...opt('waitForText', entry.waitForText),
          ...opt('failOnConsoleError', entry.failOnConsoleError),
          ...opt('ignoreConsole', entry.ignoreConsole),
          ...opt('screenshot', entry.screenshot),
          ...opt('ca', ca),
          ...opt('servername', ca ? servername : undefined),
          ...opt('insecure', entry.insecure),
          ...opt('navigationTimeout', entry.navigationTimeout !== undefined ? parseDuration(entry.navigationTimeout) : undefined),
          ...opt('waitTimeout', entry.waitTimeout !== undefined ? parseDuration(entry.waitTimeout) : undefined),
        }),
    }
  },
}
