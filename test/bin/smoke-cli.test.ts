import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { convert } from 'xmlbuilder2'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../lib/report/model.ts'
import { junitXsd, repoRoot, runCli } from '../helpers/cli.ts'
import { relaxedXsd } from '../lib/report/fixtures.ts'

const work = mkdtempSync(join(tmpdir(), 'rbk-cli-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
let n = 0
const reportDir = () => join(work, `r${++n}`)
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport

/** junit-10.xsd (`strict`: the RUNBOOK_KIT_JUNIT=strict file), or it plus the four attributes the default file adds. */
function xmllint(file: string, strict = false): { ok: boolean; out: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', strict ? junitXsd : relaxedXsd(), file], { encoding: 'utf8' })
  return { ok: r.status === 0, out: r.stderr }
}

type Obj = Record<string, any>
function testcases(xmlFile: string): Obj[] {
  const doc = convert(readFileSync(xmlFile, 'utf8'), { format: 'object' }) as Obj
  const suite = doc.testsuites.testsuite
  const cases = suite.testcase
  return Array.isArray(cases) ? cases : [cases]
}

describe('runbook-kit smoke --target sandbox', () => {
  it('passes on the healthy sandbox, prints the closing line and writes three valid reports', async () => {
    const dir = reportDir()
    const run = await runCli(['smoke', '--target', 'sandbox', '--report-dir', dir])
    expect(run.stderr).toBe('')
    const report = readReport(dir)
    const notPassed = report.results.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.status}: ${r.message}`)
    expect(run.code, notPassed.join('\n')).toBe(0)
    const total = report.results.length
    expect(total).toBeGreaterThanOrEqual(5)
    expect(run.stdout).toMatch(new RegExp(`^${total} passed, 0 failed$`, 'm'))
    expect(run.stdout).toContain(join(dir, 'junit.xml'))
    for (const r of report.results) expect(run.stdout).toContain(r.id)
    expect(readdirSync(dir).filter((f) => f !== 'screenshots').sort()).toEqual(['junit.xml', 'report.json', 'report.md'])

    const lint = xmllint(join(dir, 'junit.xml'))
    expect(lint.ok, lint.out).toBe(true)
    const cases = testcases(join(dir, 'junit.xml'))
    expect(cases).toHaveLength(total)
    // Each case points at its check's entry in the target file, relative to the working directory.
    const yaml = readFileSync(join(repoRoot, 'smoke/targets/sandbox.yaml'), 'utf8').split('\n')
    for (const c of cases) {
      expect(c['@classname']).toMatch(/^smoke\.sandbox\.[a-z-]+$/)
      expect(c.failure).toBeUndefined()
      expect(c['@file']).toBe('smoke/targets/sandbox.yaml')
      const id = /\[([^\]]+)\]$/.exec(String(c['@name']))![1]
      expect(yaml[Number(c['@line']) - 1]).toBe(`  - id: ${id}`)
    }

    const md = readFileSync(join(dir, 'report.md'), 'utf8')
    expect(md).toContain('PASSED')
    expect(md).toMatch(/\| Run ID \|/)
    expect(md).toMatch(/\| Git commit \|/)
    for (const r of report.results) expect(md).toContain(`\`${r.id}\``)
    const sha = createHash('sha256').update(readFileSync(join(dir, 'report.json'))).digest('hex')
    expect(md.trimEnd().endsWith(`\`${sha}\``)).toBe(true)
    expect(report.meta).toMatchObject({ verdict: 'passed', exitCode: 0, kind: 'smoke', target: 'sandbox' })
  })

  it.each([
    ['readiness-503', 'readiness', /expected status 200, got 503/],
    ['health-degraded', 'health', /503|degraded/],
    ['no-hsts', 'security-headers', /Strict-Transport-Security/],
    ['no-redirect', 'http-redirect', /not a redirect|200/],
    ['expired-cert', 'tls', /certificate expired/],
    ['wrong-host-cert', 'tls', /hostname localhost not in certificate SANs/],
  ])('--fault %s: exit 1, %s fails with the reason in the terminal, report.md and junit.xml', async (fault, id, reason) => {
    const dir = reportDir()
    // The failing check plus one that must still pass under this fault.
    const other = id === 'http-redirect' ? 'health' : 'http-redirect'
    const run = await runCli(['smoke', '--target', 'sandbox', '--fault', fault, '--only', `${id},${other}`, '--report-dir', dir])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/^1 passed, 1 failed$/m)
    const failed = readReport(dir).results.find((r) => r.id === id)!
    expect(failed.status).toBe('fail')
    expect(failed.message).toMatch(reason)
    expect(run.stdout).toMatch(new RegExp(`FAIL\\s+${id}\\b`))
    expect(run.stdout).toContain(failed.message)
    const md = readFileSync(join(dir, 'report.md'), 'utf8')
    expect(md).toContain('FAILED')
    expect(md).toMatch(new RegExp(`### .*\\(\`${id}\`\\)`))
    const lint = xmllint(join(dir, 'junit.xml'))
    expect(lint.ok, lint.out).toBe(true)
    const tc = testcases(join(dir, 'junit.xml')).find((c) => String(c['@name']).includes(`[${id}]`))!
    expect(tc.failure['@message']).toContain(failed.message.slice(0, 40))
  })

  it('SIGINT mid-run stops in-flight checks, writes the reports marked interrupted and exits 130', async () => {
    const dir = reportDir()
    let sent = false
    const run = await runCli(['smoke', '--target', 'sandbox', '--fault', 'slow', '--report-dir', dir], {
      onStdout: (out, child) => {
        if (!sent && out.includes('Smoke suite')) {
          sent = true
          setTimeout(() => child.kill('SIGINT'), 300)
        }
      },
    })
    expect(sent).toBe(true)
    expect(run.code).toBe(130)
    const report = readReport(dir)
    expect(report.meta.verdict).toBe('interrupted')
    expect(report.results.some((r) => r.interrupted)).toBe(true)
    const md = readFileSync(join(dir, 'report.md'), 'utf8')
    expect(md).toContain('INTERRUPTED')
    expect(xmllint(join(dir, 'junit.xml')).ok).toBe(true)
  })

  it('--only runs the named checks; RUNBOOK_KIT_JUNIT=strict writes a junit.xml that junit-10.xsd validates', async () => {
    const dir = reportDir()
    const run = await runCli(['smoke', '--target', 'sandbox', '--only', 'health,tls', '--report-dir', dir], { env: { RUNBOOK_KIT_JUNIT: 'strict' } })
    expect(run.code).toBe(0)
    expect(readReport(dir).results.map((r) => r.id).sort()).toEqual(['health', 'tls'])
    const lint = xmllint(join(dir, 'junit.xml'), true)
    expect(lint.ok, lint.out).toBe(true)
    expect(readReport(dir).results.every((r) => r.file === 'smoke/targets/sandbox.yaml' && Number.isInteger(r.line))).toBe(true)
  })

  it('--help lists every option with its default', async () => {
    const run = await runCli(['smoke', '--help'])
    expect(run.code).toBe(0)
    for (const opt of ['--target', '--report-dir', '--only', '--concurrency', '--fault', '--json', '--no-color']) expect(run.stdout).toContain(opt)
    expect(run.stdout).toContain('default: 50')
    expect(run.stdout).toContain('default: reports/<target>-<UTC timestamp>/')
  })
})

describe('bad input exits 2 with the file, path or variable named and no stack trace', () => {
  const write = (name: string, text: string) => {
    const f = join(work, name)
    writeFileSync(f, text)
    return f
  }

  it.each([
    ['unknown target', () => ['--target', 'no-such-target'], /target "no-such-target" not found/],
    ['YAML syntax error', () => ['--target', write('broken.yaml', 'checks:\n  - id: a\n    kind: http\n   url: [\n')], /broken\.yaml: invalid YAML[\s\S]*line \d+/],
    [
      'schema violation',
      () => ['--target', write('bad-schema.yaml', 'baseUrl: http://127.0.0.1:9\nchecks:\n  - id: ok\n    kind: http\n    url: /\n  - id: bad\n    kind: http\n    url: /x\n    expect:\n      status: "two hundred"\n')],
      /bad-schema\.yaml: invalid target file[\s\S]*checks\[1\]\.expect\.status \(line 10\)/,
    ],
    ['unknown key', () => ['--target', write('typo.yaml', 'checks:\n  - id: a\n    kind: http\n    ulr: /health\n')], /checks\[0\]\.ulr[\s\S]*unknown key "ulr"/],
    ['unknown kind', () => ['--target', write('kind.yaml', 'checks:\n  - id: a\n    kind: htp\n')], /checks\[0\]\.kind \(line 3\): unknown kind "htp" \(expected one of: http,/],
    [
      'missing env secret',
      () => ['--target', write('secret.yaml', 'baseUrl: http://127.0.0.1:9\nchecks:\n  - id: a\n    kind: http\n    url: /\n    headers:\n      Authorization: env:RBK_TEST_MISSING_TOKEN\n')],
      /environment variable RBK_TEST_MISSING_TOKEN is not set/,
    ],
    ['--fault on a non-sandbox target', () => ['--target', write('plain.yaml', 'checks:\n  - id: a\n    kind: http\n    url: http://127.0.0.1:9/\n'), '--fault', 'slow'], /--fault applies to sandbox targets only/],
    ['unknown fault', () => ['--target', 'sandbox', '--fault', 'gremlins'], /gremlins/],
    ['unknown option', () => ['--target', 'sandbox', '--bogus'], /--bogus/],
  ])('%s', async (_name, args, expected) => {
    const dir = reportDir()
    const run = await runCli(['smoke', ...args(), '--report-dir', dir])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(expected)
    expect(run.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/)
  })

  it('a report directory that cannot be created is a usage error before anything runs', async () => {
    const blocker = write('not-a-dir', 'x')
    const run = await runCli(['smoke', '--target', 'sandbox', '--report-dir', join(blocker, 'sub')])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`cannot use report directory ${join(blocker, 'sub')}`)
    expect(run.stdout).not.toContain('Smoke suite')
  })

  it('a configuration error still leaves reports behind, marked as such', async () => {
    const dir = reportDir()
    const run = await runCli(['smoke', '--target', write('typo2.yaml', 'checks:\n  - id: a\n    kind: http\n    ulr: /health\n'), '--report-dir', dir])
    expect(run.code).toBe(2)
    const report = readReport(dir)
    expect(report.meta.verdict).toBe('config-error')
    expect(report.meta.error).toContain('unknown key "ulr"')
    expect(xmllint(join(dir, 'junit.xml')).ok).toBe(true)
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('CONFIGURATION ERROR')
  })
})

describe('secrets', () => {
  it('env: secrets that flow into URLs, headers, response bodies and error messages are masked everywhere, --json included', async () => {
    const token = 'tok-9f8e7d6c5b4a3921'
    const header = 'hdr-secret-55aa66bb77cc'
    // A server that echoes the request (path and headers) back: the secrets land in evidence and body excerpts.
    const server = createServer((req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ path: req.url, trace: req.headers['x-trace'] }))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as AddressInfo).port
    try {
      const file = join(work, 'secret-flow.yaml')
      writeFileSync(
        file,
        [
          'checks:',
          '  - id: echo',
          '    kind: http',
          '    url: env:RBK_SECRET_URL',
          '    headers:',
          '      X-Trace: env:RBK_TRACE_SECRET',
          '  - id: refused',
          '    kind: http',
          '    url: env:RBK_REFUSED_URL',
          '',
        ].join('\n'),
      )
      const env = { RBK_SECRET_URL: `http://127.0.0.1:${port}/api/${token}`, RBK_TRACE_SECRET: header, RBK_REFUSED_URL: `http://127.0.0.1:9/x/${token}` }
      for (const json of [false, true]) {
        const dir = reportDir()
        const run = await runCli(['smoke', '--target', file, '--report-dir', dir, ...(json ? ['--json'] : [])], { env })
        expect(run.code).toBe(1)
        const texts = [run.stdout, run.stderr, ...readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'))]
        // The whole values are registered, and so are the token-like parts of a secret URL: the
        // server echoing only its path must not reveal the token (test/bin/secret-leaks.test.ts).
        for (const text of texts) {
          expect(text).not.toContain(env.RBK_SECRET_URL)
          expect(text).not.toContain(env.RBK_REFUSED_URL)
          expect(text).not.toContain(header)
          expect(text).not.toContain(token)
        }
        // The masked values are really there (so this test would see a leak).
        expect(readFileSync(join(dir, 'report.json'), 'utf8')).toContain('***')
        if (json) expect((JSON.parse(run.stdout) as RunReport).results).toHaveLength(2)
      }
      const check = await runCli(['check', 'http', '--url-env', 'RBK_SECRET_URL', '--json'], { env })
      expect(check.code).toBe(1)
      expect(check.stdout + check.stderr).not.toContain(env.RBK_SECRET_URL)
    } finally {
      server.close()
    }
  })

  it('a secret from the environment appears in no output and no report', async () => {
    const secret = 'rbk-test-secret-7f3a9c1e5d'
    const dir = reportDir()
    const run = await runCli(['smoke', '--target', 'sandbox', '--report-dir', dir], { env: { WEBHOOK_SECRET: secret } })
    expect(run.code).toBe(0)
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    expect(files.length).toBeGreaterThanOrEqual(3)
    const outputs = [run.stdout, run.stderr, ...files.map((e) => readFileSync(join(e.parentPath ?? e.path, e.name), 'latin1'))]
    for (const text of outputs) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(Buffer.from(secret).toString('base64'))
    }
    // The suite really used the secret: the webhook checks ran and passed with it.
    expect(readReport(dir).results.some((r) => r.kind === 'webhook' && r.status === 'pass')).toBe(true)
  })
})

