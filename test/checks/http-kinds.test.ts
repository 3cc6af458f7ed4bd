import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BuildContext } from '../../checks/kind.ts'
import { ConfigError } from '../../lib/errors.ts'
import { Redactor } from '../../lib/redact.ts'
import { buildChecks } from '../../smoke/build-checks.ts'
import { loadTarget } from '../../smoke/target-file.ts'
import { resolveVariables } from '../../smoke/variables.ts'
import { runCli } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { startSilentServer, type TestServer } from './http-fixtures.ts'

/**
 * What the HTTP kinds share: relative URLs under the target's baseUrl, phase timeouts capped
 * against the attempt's deadline, and cross-field rules named for each audience (a flag on the
 * command line, a path and line in a target file).
 */

describe('kinds resolve under a baseUrl with a path prefix (a gateway route)', () => {
  let server: Server
  let origin = ''
  const paths: string[] = []
  beforeAll(async () => {
    // Only /staging/... exists, as behind a gateway that routes by prefix.
    server = createServer((req, res) => {
      paths.push(req.url ?? '')
      req.resume()
      req.on('end', () => {
        if (!req.url?.startsWith('/staging/')) return void res.writeHead(404).end()
        if (req.url === '/staging/metrics') return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('up 1\n')
        res.writeHead(req.method === 'POST' ? 401 : 200, { 'content-type': 'application/json' }).end('{"status":"healthy"}')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  })
  const ctx = (): BuildContext => testBuildContext('/tmp', { baseUrl: `${origin}/staging` })

  it('http: /health → /staging/health, and the title says so', async () => {
    const entry = { id: 'h', kind: 'http', url: '/health' }
    const spec = await buildKind(entry, ctx())
    expect(spec.title).toBe(`GET ${origin}/staging/health answers 200`)
    const r = await spec.run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
    expect(paths.at(-1)).toBe('/staging/health')
  })

  it('metrics: the default /metrics path goes under the prefix', async () => {
    const r = await (await buildKind({ id: 'm', kind: 'metrics' }, ctx())).run(AbortSignal.timeout(5000))
    expect(paths.at(-1)).toBe('/staging/metrics')
    expect(r.status, r.message).toBe('pass')
  })

  it('webhook: the default path goes under the prefix', async () => {
    paths.length = 0
    await (await buildKind({ id: 'w', kind: 'webhook', secret: 's' }, ctx())).run(AbortSignal.timeout(5000))
    expect(paths).toEqual(['/staging/webhook/servicedesk'])
  })

  it('latency and security-headers resolve the same way', async () => {
    paths.length = 0
    await (await buildKind({ id: 'l', kind: 'latency', url: 'health', requests: 2, concurrency: 1 }, ctx())).run(AbortSignal.timeout(5000))
    await (await buildKind({ id: 's', kind: 'security-headers', url: '/' }, ctx())).run(AbortSignal.timeout(5000))
    expect(paths).toEqual(['/staging/health', '/staging/health', '/staging/'])
  })
})

describe('a hang names its phase when the check timeout is shorter than the phase timeout', () => {
  let silent: TestServer
  beforeAll(async () => {
    silent = await startSilentServer()
  })
  afterAll(() => silent.close())

  it.each<[string, (base: string) => Record<string, unknown>, RegExp]>([
    ['https-redirect', (base) => ({ url: `${base}/` }), /^headers timed out after (8|9)\d\d ms$/],
    ['security-headers', () => ({ url: '/' }), /^headers timed out after (8|9)\d\d ms$/],
    ['webhook', () => ({ secret: 'deadline-secret' }), /: headers timed out after (8|9)\d\d ms$/],
    ['metrics', () => ({}), /^headers timed out after (8|9)\d\d ms$/],
    ['grafana', (base) => ({ grafana: base, uid: 'x' }), /^Grafana unreachable: headers timed out after (8|9)\d\d ms/],
  ])('%s (headers timeout 10s, attempt deadline 1s)', async (kind, fields, message) => {
    const spec = await buildKind({ id: 'x', kind, ...fields(silent.url) }, testBuildContext('/tmp', { baseUrl: silent.url }))
    const started = Date.now()
    // The runner's own timeout (the signal) fires later than the deadline the phases are capped to.
    const r = await spec.run(AbortSignal.timeout(3000), started + 1000)
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(message)
    expect(Date.now() - started).toBeLessThan(2000)
  })
})

describe('cross-field rules name the field for each audience', () => {
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rbk-rules-'))
    writeFileSync(join(dir, 'ticket.json'), '{}')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  /** The configuration error a target file with these checks gets (before anything runs). */
  async function targetError(checks: string, env: Record<string, string> = {}): Promise<string> {
    const file = join(dir, 't.yaml')
    writeFileSync(file, `baseUrl: http://127.0.0.1:9\nchecks:\n${checks}`)
    const loaded = await loadTarget(file)
    const target = resolveVariables(loaded, { env, redactor: new Redactor() })
    try {
      buildChecks(loaded, target, { reportDir: dir, redactor: new Redactor() })
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      return (err as ConfigError).describe()
    }
    throw new Error('expected a configuration error')
  }

  it.each<[string, string, string]>([
    ['webhook payload and payloadFile', '  - id: hook\n    kind: webhook\n    secret: env:HOOK_SECRET\n    payload: "{}"\n    payloadFile: ticket.json\n',
      'checks[0].payloadFile (line 7): give either payload or payloadFile, not both'],
    ['webhook rejects-replay with an untimestamped scheme', '  - id: hook\n    kind: webhook\n    secret: env:HOOK_SECRET\n    scheme: github\n    expect: rejects-replay\n',
      'checks[0].expect (line 7): rejects-replay needs a timestamped scheme (stripe, slack, standard-webhooks); github signs no timestamp'],
    ['https-redirect httpPort with an absolute url', '  - id: r\n    kind: https-redirect\n    url: http://127.0.0.1:9/\n    httpPort: 8080\n',
      'checks[0].httpPort (line 6): applies only to a relative url; put the port in the absolute url'],
    ['grafana uid and dashboardTitle', '  - id: g\n    kind: grafana\n    grafana: http://127.0.0.1:9\n    uid: a\n    dashboardTitle: b\n',
      'checks[0].dashboardTitle (line 7): give exactly one of uid and dashboardTitle'],
  ])('in a target file: %s', async (_name, checks, problem) => {
    expect(await targetError(checks, { HOOK_SECRET: 'hook-secret-value' })).toContain(problem)
  })

  it.each<[string, string[], string]>([
    ['webhook payload and payloadFile', ['webhook', 'http://127.0.0.1:9/hook', '--payload', '{}', '--payload-file', 'TICKET'], '--payload-file: give either --payload or --payload-file, not both'],
    ['webhook rejects-replay', ['webhook', 'http://127.0.0.1:9/hook', '--expect', 'rejects-replay', '--scheme', 'shopify'], '--expect: rejects-replay needs a timestamped --scheme (stripe, slack, standard-webhooks); shopify signs no timestamp'],
    ['grafana token and password', ['grafana', 'abc', '--grafana', 'http://127.0.0.1:9', '--token-env', 'HOOK_SECRET', '--password-env', 'HOOK_SECRET'], '--token: give either --token or --username/--password'],
  ])('on the command line: %s', async (_name, args, problem) => {
    const argv = args.map((a) => (a === 'TICKET' ? join(dir, 'ticket.json') : a))
    const run = await runCli(['check', ...argv, ...(args[0] === 'webhook' ? ['--secret-env', 'HOOK_SECRET'] : [])], { env: { HOOK_SECRET: 'hook-secret-value' } })
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toContain(problem)
    expect(run.stdout).toBe('')
  })
})
