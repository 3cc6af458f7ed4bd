// Issue 11, "nothing lost, no secret leaked": servers that echo what they were sent (the
// Authorization header, the request line) must not get a credential into any output or report.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'

const work = mkdtempSync(join(tmpdir(), 'rbk-leaks-'))
let server: Server
let base = ''
beforeAll(async () => {
  // Answers everything with a Prometheus-style JSON error that quotes the request line and the Authorization header.
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: `rejected ${req.method} ${req.url} with authorization ${req.headers.authorization ?? '(none)'}` }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(work, { recursive: true, force: true })
})

/** Every file written into `dir` (recursively), as text. */
const filesIn = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => ({ name: e.name, text: readFileSync(join(e.parentPath, e.name), 'utf8') }))

describe('HTTP basic credentials echoed back by the server', () => {
  const password = 'promPw2OOOO1357'
  const pair = Buffer.from(`ops:${password}`).toString('base64') // b3BzOnByb21QdzJPT09PMTM1Nw==
  const leaks = (text: string) => [password, pair, pair.replace(/=+$/, ''), Buffer.from(`ops:${password}`).toString('base64url')].filter((s) => text.includes(s))

  it.each([[[]], [['--json']]])('check prom-query %j: the Basic header value is masked as a whole', async (extra) => {
    const run = await runCli(['check', 'prom-query', 'up', '--prometheus', base, '--username', 'ops', '--password-env', 'PW', '--op', '==', '--threshold', '1', ...extra], { env: { PW: password } })
    expect(run.code).toBe(1)
    expect(leaks(run.stdout + run.stderr)).toEqual([])
    // The server did echo it: the mask is where the credential was.
    expect(run.stdout).toContain('with authorization Basic ***')
  })

  it('smoke: stdout, --json, report.json, report.md, junit.xml and $GITHUB_STEP_SUMMARY', async () => {
    const target = join(work, 'prom-basic.yaml')
    writeFileSync(target, ['checks:', '  - id: prom-up', '    kind: prom-query', `    prometheus: ${base}`, '    query: up', '    username: ops', '    password: env:PW', '    op: "=="', '    threshold: 1', ''].join('\n'))
    for (const json of [false, true]) {
      const dir = join(work, `prom-${json}`)
      const summary = join(work, `summary-${json}.md`)
      writeFileSync(summary, '')
      const run = await runCli(['smoke', '--target', target, '--report-dir', dir, ...(json ? ['--json'] : [])], { env: { PW: password, GITHUB_STEP_SUMMARY: summary } })
      expect(run.code).toBe(1)
      const files = filesIn(dir)
      expect(files.map((f) => f.name).sort()).toEqual(['junit.xml', 'report.json', 'report.md'])
      for (const { name, text } of [{ name: 'stdout', text: run.stdout }, { name: 'stderr', text: run.stderr }, { name: 'summary', text: readFileSync(summary, 'utf8') }, ...files]) {
        expect(leaks(text), name).toEqual([])
      }
      expect(readFileSync(join(dir, 'report.json'), 'utf8')).toContain('with authorization Basic ***')
      expect(readFileSync(summary, 'utf8')).not.toBe('')
    }
  })
})

describe('tokens in the path and query of an env: URL, echoed in the request line', () => {
  const pathToken = 'tok-9f8e7d6c5b4a3921'
  const queryToken = 'qs-secret-5566'
  const url = () => `${base}/hooks/${pathToken}/deliver?token=${queryToken}&region=eu-west-1`
  const leaks = (text: string) => [pathToken, queryToken, Buffer.from(pathToken).toString('base64')].filter((s) => text.includes(s))

  it('smoke with url: env:NAME masks each part, and keeps the readable ones', async () => {
    const target = join(work, 'hook-url.yaml')
    writeFileSync(target, ['checks:', '  - id: hook', '    kind: http', '    url: env:RBK_HOOK_URL', ''].join('\n'))
    const dir = join(work, 'hook')
    const run = await runCli(['smoke', '--target', target, '--report-dir', dir], { env: { RBK_HOOK_URL: url() } })
    expect(run.code).toBe(1)
    for (const { name, text } of [{ name: 'stdout', text: run.stdout }, { name: 'stderr', text: run.stderr }, ...filesIn(dir)]) expect(leaks(text), name).toEqual([])
    // The echoed request line is still useful: only the secret parts are masked.
    expect(readFileSync(join(dir, 'report.json'), 'utf8')).toContain('rejected GET /hooks/***/deliver?token=***&region=eu-west-1')
  })

  it('check http --url-env masks them too', async () => {
    const run = await runCli(['check', 'http', '--url-env', 'RBK_HOOK_URL', '--json'], { env: { RBK_HOOK_URL: url() } })
    expect(run.code).toBe(1)
    expect(leaks(run.stdout + run.stderr)).toEqual([])
    expect(run.stdout).toContain('/hooks/***/deliver?token=***')
  })
})
