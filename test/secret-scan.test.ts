import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { repoRoot, runCli } from './helpers/cli.ts'

/**
 * One scan for every way a secret can leave: the smoke suite, one-off checks and the deploy runbook
 * run with secrets in URLs (userinfo, path, query), headers, Basic auth, a webhook secret and a
 * database URL, against a server that echoes every request back (method, URL, headers, body) in a
 * Prometheus-style error. Every output is then searched for each secret in every encoding a server
 * or a report could put it in: stdout, stderr, junit.xml, report.md, report.json, state.json, the
 * GitHub step summary, file names (screenshots) and whatever is left in the runs' private temp folder.
 */

const SECRETS = {
  pathToken: 'tkn9f3A7bQ2xL8mR4vW6',
  queryToken: 'qs7Hd9Kp2Lm4Nx5',
  userinfoPassword: 'u1Pw+x/9"Q&z',
  bearer: 'bearerTok3n0aZ9yX8w',
  apiKey: 'apikey_5Fh7Jk9Lq2W',
  promPassword: 'promPw2OOOO1357',
  webhookSecret: 'whsecSm8Kp3Qr7Tv1',
  dbPassword: 'dbPw"9/x+Y~k',
} as const
const PROM_USER = 'ops'

/** Every form of `s` that must not appear: raw, base64 (padded, unpadded, url), hex, URL/form-encoded, JSON-escaped. */
function forms(s: string): Record<string, string> {
  const b64 = Buffer.from(s).toString('base64')
  return {
    raw: s,
    base64: b64,
    'base64 unpadded': b64.replace(/=+$/, ''),
    base64url: Buffer.from(s).toString('base64url'),
    hex: Buffer.from(s).toString('hex'),
    HEX: Buffer.from(s).toString('hex').toUpperCase(),
    'url-encoded': encodeURIComponent(s),
    'form-encoded': new URLSearchParams({ x: s }).toString().slice(2),
    'json-escaped': JSON.stringify(s).slice(1, -1),
  }
}

const NEEDLES: [string, string][] = [
  ...Object.entries(SECRETS).flatMap(([name, s]) => Object.entries(forms(s)).map(([form, v]) => [`${name} (${form})`, v] as [string, string])),
  // The Authorization header a Basic-auth client sends, whole.
  ['prometheus Basic user:password', Buffer.from(`${PROM_USER}:${SECRETS.promPassword}`).toString('base64')],
]

/** Which secrets (in which form) `text` contains. */
function leaks(text: string): string[] {
  return NEEDLES.filter(([, needle]) => needle.length >= 6 && text.includes(needle)).map(([what]) => what)
}

/** Every file under `dir` (recursively), as [path, content]; names count too. */
function filesUnder(dir: string): [string, string][] {
  if (!existsSync(dir)) return []
  const out: [string, string][] = []
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name)
    const st = statSync(p, { throwIfNoEntry: false })
    out.push([`${p} (name)`, name])
    if (st?.isFile()) out.push([p, readFileSync(p).toString('latin1')])
  }
  return out
}

let echo: Server
let base = ''
let work = ''
let privateTmp = ''
const seen: string[] = []

beforeAll(async () => {
  // Echoes everything it received in a Prometheus-style error (what a misbehaving proxy or API does).
  echo = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const echoed = `echo ${req.method} ${req.url} headers=${JSON.stringify(req.headers)} body=${Buffer.concat(chunks).toString()}`
      seen.push(echoed)
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: echoed }))
    })
  })
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`
  work = mkdtempSync(join(tmpdir(), 'rbk-secret-scan-'))
  privateTmp = join(work, 'tmp')
  cpSync(join(repoRoot, 'smoke', 'targets'), join(work, 'targets'), { recursive: true })
  mkdirSync(privateTmp)
  // Echo checks that carry every kind of secret.
  const echoChecks = [
    { id: 'leak.url', kind: 'http', url: 'env:RBK_SCAN_URL' },
    { id: 'leak.headers', kind: 'http', url: `${base}/api`, headers: { Authorization: 'env:RBK_SCAN_AUTH', 'X-Api-Key': 'env:RBK_SCAN_API_KEY' } },
    { id: 'leak.prom', kind: 'prom-query', prometheus: base, username: PROM_USER, password: 'env:RBK_SCAN_PROM_PW', query: 'up', op: '==', threshold: 1 },
    { id: 'leak.webhook', kind: 'webhook', url: `${base}/webhook`, secret: 'env:RBK_SCAN_WEBHOOK' },
    { id: 'leak.db', kind: 'postgres', url: 'env:RBK_SCAN_DB_URL', connectTimeout: '1s' },
  ]
  writeFileSync(join(work, 'echo.yaml'), stringify({ name: 'echo', checks: echoChecks }))
  // The deploy runbook's sandbox target, with the echo checks as its post-deployment validation.
  const sandbox = parse(readFileSync(join(work, 'targets', 'sandbox.yaml'), 'utf8')) as { checks: unknown[]; deploy: Record<string, unknown> }
  sandbox.checks.push(...echoChecks)
  sandbox.deploy.smoke = echoChecks.map((c) => c.id)
  writeFileSync(join(work, 'targets', 'sandbox-scan.yaml'), stringify(sandbox))
}, 30_000)

afterAll(async () => {
  echo?.closeAllConnections()
  await new Promise<void>((r) => echo?.close(() => r()))
  if (work) rmSync(work, { recursive: true, force: true })
})

function secretEnv(): Record<string, string> {
  const userinfo = `scan:${encodeURIComponent(SECRETS.userinfoPassword)}`
  return {
    RBK_SCAN_URL: `${base.replace('://', `://${userinfo}@`)}/hooks/${SECRETS.pathToken}/deliver?token=${SECRETS.queryToken}&region=eu-west-1`,
    RBK_SCAN_AUTH: `Bearer ${SECRETS.bearer}`,
    RBK_SCAN_API_KEY: SECRETS.apiKey,
    RBK_SCAN_PROM_PW: SECRETS.promPassword,
    RBK_SCAN_WEBHOOK: SECRETS.webhookSecret,
    RBK_SCAN_DB_URL: `postgresql://app:${encodeURIComponent(SECRETS.dbPassword)}@127.0.0.1:1/app`,
    WEBHOOK_SECRET: SECRETS.webhookSecret,
    TMPDIR: privateTmp,
    GITHUB_ACTIONS: 'true',
  }
}

function scan(outputs: [string, string][]): string[] {
  return outputs.flatMap(([where, text]) => leaks(text).map((what) => `${what} in ${relative(work, where) || where}`))
}

describe('secret scan: every output of smoke, check and deploy, against a server that echoes requests', () => {
  it('the echo server really received the secrets (the scan has something to find)', async () => {
    const summary = join(work, 'summary-smoke.md')
    const run = await runCli(['smoke', '--target', join(work, 'echo.yaml'), '--report-dir', join(work, 'smoke'), '--json'], { env: { ...secretEnv(), GITHUB_STEP_SUMMARY: summary }, timeoutMs: 60_000 })
    expect(run.code, run.stderr).toBe(1)
    const received = seen.join('\n')
    for (const s of [SECRETS.pathToken, SECRETS.queryToken, SECRETS.bearer, SECRETS.apiKey]) expect(received).toContain(s)
    expect(received).toContain(Buffer.from(`${PROM_USER}:${SECRETS.promPassword}`).toString('base64'))
    const found = scan([
      ['smoke stdout', run.stdout],
      ['smoke stderr', run.stderr],
      ...filesUnder(join(work, 'smoke')),
      [summary, existsSync(summary) ? readFileSync(summary, 'utf8') : ''],
    ])
    expect(found).toEqual([])
    // The run did report the echoed requests (masked): the evidence is there, the secrets are not.
    expect(readFileSync(join(work, 'smoke', 'report.json'), 'utf8')).toContain('echo GET /hooks/***/deliver')
  })

  it('one-off checks: --url-env, --headers.<key>-env and Basic auth, human output and --json', async () => {
    const env = secretEnv()
    const runs = await Promise.all([
      runCli(['check', 'http', '--url-env', 'RBK_SCAN_URL'], { env }),
      runCli(['check', 'http', `${base}/api`, '--headers.authorization-env', 'RBK_SCAN_AUTH', '--headers.x-api-key-env', 'RBK_SCAN_API_KEY', '--json'], { env }),
      runCli(['check', 'prom-query', 'up', '--prometheus', base, '--username', PROM_USER, '--password-env', 'RBK_SCAN_PROM_PW', '--op', '==', '--threshold', '1'], { env }),
      runCli(['check', 'postgres', '--url-env', 'RBK_SCAN_DB_URL', '--connect-timeout', '1s', '--json'], { env }),
    ])
    for (const r of runs) expect(r.code, r.stderr).toBe(1)
    expect(scan(runs.flatMap((r, i) => [[`check ${i} stdout`, r.stdout], [`check ${i} stderr`, r.stderr]] as [string, string][]))).toEqual([])
  })

  it('the deploy runbook: stdout, the three reports, state.json, the step summary and the temp folder', async () => {
    const summary = join(work, 'summary-deploy.md')
    const reportDir = join(work, 'deploy')
    const env = { ...process.env, ...secretEnv(), CI: '1', NO_COLOR: '1', GITHUB_STEP_SUMMARY: summary } as NodeJS.ProcessEnv
    const { code, out } = await new Promise<{ code: number | null; out: string }>((done, fail) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'node_modules/zx/build/cli.js'), 'runbooks/deploy.mts', '--yes', '--target', join(work, 'targets', 'sandbox-scan.yaml'), '--report-dir', reportDir], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
      let text = ''
      child.stdout.on('data', (d: Buffer) => (text += d.toString()))
      child.stderr.on('data', (d: Buffer) => (text += d.toString()))
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        fail(new Error(`deploy did not finish:\n${text}`))
      }, 110_000)
      child.on('close', (c) => {
        clearTimeout(timer)
        done({ code: c, out: text })
      })
    })
    // The echo checks fail the post-deployment validation: the release is rolled back.
    expect(code, out).toBe(1)
    expect(existsSync(join(reportDir, 'state.json'))).toBe(true)
    const found = scan([['deploy output', out], ...filesUnder(reportDir), [summary, existsSync(summary) ? readFileSync(summary, 'utf8') : ''], ...filesUnder(privateTmp).filter(([p]) => !p.includes(`${privateTmp}/tsx-`))])
    expect(found).toEqual([])
    // Nothing of the runs (temp manifests, CA files, database folders, password files) is left behind.
    // (tsx keeps its transpile cache there by design: tsx-<uid>/, compiled sources, no run data.)
    expect((existsSync(privateTmp) ? readdirSync(privateTmp) : []).filter((n) => !/^tsx-\d+$/.test(n))).toEqual([])
  }, 120_000)
})
