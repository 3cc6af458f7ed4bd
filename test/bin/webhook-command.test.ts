import { execFile, spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_WEBHOOK_PAYLOAD } from '../../checks/webhook.ts'

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const BIN = join(ROOT, 'bin', 'runbook-kit.js')
const SECRET = 'cli-secret-Zq8v41'
const run = promisify(execFile)

interface Out {
  code: number
  stdout: string
  stderr: string
}

async function cli(args: string[], env: Record<string, string | undefined> = { WEBHOOK_SECRET: SECRET }, input?: string): Promise<Out> {
  const fullEnv = { ...process.env, WEBHOOK_SECRET: undefined, ...env }
  if (input !== undefined) {
    // execFile has no stdin input; spawnSync does (bounded by its timeout).
    const r = spawnSync(process.execPath, [BIN, ...args], { env: fullEnv, input, encoding: 'utf8', timeout: 30_000, cwd: ROOT })
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
  }
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: fullEnv, timeout: 30_000, cwd: ROOT })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

function expectNoSecret(o: Out, secret = SECRET): void {
  expect(o.stdout).not.toContain(secret)
  expect(o.stderr).not.toContain(secret)
}

let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rbk-webhook-cli-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('webhook sign', () => {
  it('signs the seed ticket by default, as `openssl dgst -sha256 -hmac` would, and saves the exact bytes for curl', async () => {
    const o = await cli(['webhook', 'sign'])
    expect(o.code, o.stderr).toBe(0)
    expectNoSecret(o)
    const hex = createHmac('sha256', SECRET).update(DEFAULT_WEBHOOK_PAYLOAD).digest('hex')
    expect(o.stdout.split('\n')[0]).toBe(`X-ServiceDesk-Signature: sha256=${hex}`)
    const curl = o.stdout.split('\n').find((l) => l.startsWith('curl '))!
    expect(curl).toContain('"${API_BASE_URL}/webhook/servicedesk"')
    const file = /--data-binary @'([^']+)'/.exec(curl)![1]!
    expect(readFileSync(file, 'utf8')).toBe(DEFAULT_WEBHOOK_PAYLOAD)
    rmSync(resolve(file, '..'), { recursive: true, force: true })
  })

  it('github: the documented vector from a payload file', async () => {
    const file = join(dir, 'hello.txt')
    writeFileSync(file, 'Hello, World!')
    const o = await cli(['webhook', 'sign', '--scheme', 'github', '--secret-env', 'GH_SECRET', '--payload', file], { GH_SECRET: "It's a Secret to Everybody" })
    expect(o.code, o.stderr).toBe(0)
    expect(o.stdout).toContain('X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17')
    expect(o.stdout).toContain(`--data-binary @'${file}'`)
  })

  it('--json from stdin with a fixed timestamp (slack)', async () => {
    const o = await cli(['webhook', 'sign', '--scheme', 'slack', '--payload', '-', '--timestamp', '1531420618', '--json'], { WEBHOOK_SECRET: SECRET }, 'a=b')
    expect(o.code, o.stderr).toBe(0)
    const j = JSON.parse(o.stdout) as { headers: Record<string, string>; payload: { bytes: number } }
    expect(j.headers['X-Slack-Request-Timestamp']).toBe('1531420618')
    expect(j.headers['X-Slack-Signature']).toBe('v0=' + createHmac('sha256', SECRET).update('v0:1531420618:a=b').digest('hex'))
    expect(j.payload.bytes).toBe(3)
    expectNoSecret(o)
  })

  // The printed curl line is meant to be pasted: run it against a loopback receiver that verifies the seed's rule.
  describe.skipIf(!existsSync('/usr/bin/curl'))('the curl line works (needs the curl binary)', () => {
    let server: Server
    let url = ''
    beforeAll(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => {
          const want = 'sha256=' + createHmac('sha256', SECRET).update(Buffer.concat(chunks)).digest('hex')
          res.writeHead(req.headers['x-servicedesk-signature'] === want ? 202 : 401).end()
        })
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/servicedesk`
    })
    afterAll(async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    })
    it('is accepted with 202', async () => {
      const file = join(dir, "it's a ticket.json")
      writeFileSync(file, '{"ticket_id": "TEST-001"}\n')
      const o = await cli(['webhook', 'sign', '--payload', file, '--url', url])
      const curl = o.stdout.split('\n').find((l) => l.startsWith('curl '))!
      // Async: the receiver lives in this process, so a synchronous spawn would block it. No proxies for loopback.
      const r = await run('sh', ['-c', curl], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, NO_PROXY: '*', no_proxy: '*' } })
      expect(r.stdout.split('\r\n')[0]).toBe('HTTP/1.1 202 Accepted')
    })
  })
})

describe('webhook verify', () => {
  const payload = () => {
    const f = join(dir, 'body.json')
    writeFileSync(f, '{"ticket_id":"TEST-001"}')
    return f
  }
  const headersFile = (lines: string[]) => {
    const f = join(dir, `headers-${lines.length}-${Math.random().toString(36).slice(2)}.txt`)
    writeFileSync(f, lines.join('\n') + '\n')
    return f
  }
  const sig = (body: string) => 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex')

  it('valid delivery: exit 0 (request line and comments in the capture are skipped)', async () => {
    const h = headersFile(['POST /webhook/servicedesk HTTP/1.1', '# captured by mitmproxy', 'Content-Type: application/json', `x-servicedesk-signature: ${sig('{"ticket_id":"TEST-001"}')}`])
    const o = await cli(['webhook', 'verify', '--headers', h, '--payload', payload()])
    expect(o.code, o.stderr).toBe(0)
    expect(o.stdout).toMatch(/^VALID: X-ServiceDesk-Signature matches the 24-byte payload \(hmac-sha256-hex\)/)
    expectNoSecret(o)
  })

  it('one byte changed: exit 1 with the reason', async () => {
    const h = headersFile([`X-ServiceDesk-Signature: ${sig('{"ticket_id":"TEST-002"}')}`])
    const o = await cli(['webhook', 'verify', '--headers', h, '--payload', payload()])
    expect(o.code).toBe(1)
    expect(o.stdout).toMatch(/^INVALID \(mismatch\): X-ServiceDesk-Signature does not match the body \(24 bytes\)/)
    expectNoSecret(o)
  })

  it('the seed incident: signed with `echo` (trailing newline) → hint', async () => {
    const h = headersFile([`X-ServiceDesk-Signature: ${sig('{"ticket_id":"TEST-001"}\n')}`])
    const o = await cli(['webhook', 'verify', '--headers', h, '--payload', payload()])
    expect(o.code).toBe(1)
    expect(o.stdout).toMatch(/hint: the signature matches the body plus a trailing newline/)
  })

  it('stale slack delivery: exit 1, valid again with --now', async () => {
    const ts = 1531420618
    const s = 'v0=' + createHmac('sha256', SECRET).update(`v0:${ts}:{"ticket_id":"TEST-001"}`).digest('hex')
    const h = headersFile([`X-Slack-Request-Timestamp: ${ts}`, `X-Slack-Signature: ${s}`])
    const stale = await cli(['webhook', 'verify', '--scheme', 'slack', '--headers', h, '--payload', payload()])
    expect(stale.code).toBe(1)
    expect(stale.stdout).toMatch(/^INVALID \(timestamp-too-old\)/)
    // An old capture: the age fails, the signature itself is still reported, with how to check it anyway.
    expect(stale.stdout).toContain('  signature: matches the payload; only the time check fails')
    expect(stale.stdout).toContain(`  to verify this capture anyway: --now ${ts} (judge it as of its signed time) or --tolerance 0 (no time check)`)
    const forged = await cli(['webhook', 'verify', '--scheme', 'slack', '--headers', h, '--payload', payload(), '--secret-env', 'OTHER'], { OTHER: 'not-the-secret' })
    expect(forged.code).toBe(1)
    expect(forged.stdout).toContain('  signature: does not match the payload either (with OTHER)')
    expect((await cli(['webhook', 'verify', '--scheme', 'slack', '--headers', h, '--payload', payload(), '--tolerance', '0'])).code).toBe(0)
    const ok = await cli(['webhook', 'verify', '--scheme', 'slack', '--headers', h, '--payload', payload(), '--now', String(ts + 10), '--json'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, scheme: 'slack', timestamp: ts })
  })
})

describe('key rotation: several --secret-env', () => {
  const OLD = 'rotated-out-4kq1'
  const NEW = 'rotated-in-9zv7'
  const env = { SECRET_OLD: OLD, SECRET_NEW: NEW }
  const body = '{"ticket_id":"TEST-001"}'
  const files = (lines: string[]) => {
    const d = mkdtempSync(join(dir, 'rot-'))
    writeFileSync(join(d, 'headers.txt'), lines.join('\n') + '\n')
    writeFileSync(join(d, 'body.json'), body)
    return { headers: join(d, 'headers.txt'), payload: join(d, 'body.json') }
  }
  const noSecrets = (o: Out) => {
    expectNoSecret(o, OLD)
    expectNoSecret(o, NEW)
  }

  it('verify passes when any secret matches and names its variable, never its value', async () => {
    const f = files([`X-ServiceDesk-Signature: sha256=${createHmac('sha256', NEW).update(body).digest('hex')}`])
    const o = await cli(['webhook', 'verify', '--secret-env', 'SECRET_OLD', '--secret-env', 'SECRET_NEW', '--headers', f.headers, '--payload', f.payload], env)
    expect(o.code, o.stderr).toBe(0)
    expect(o.stdout).toMatch(/^VALID: X-ServiceDesk-Signature matches the 24-byte payload with the secret in SECRET_NEW \(hmac-sha256-hex\)/)
    noSecrets(o)
    const j = await cli(['webhook', 'verify', '--secret-env', 'SECRET_OLD', '--secret-env', 'SECRET_NEW', '--headers', f.headers, '--payload', f.payload, '--json'], env)
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, secretEnv: 'SECRET_NEW' })
    expect(JSON.parse(j.stdout)).not.toHaveProperty('secretIndex')
    noSecrets(j)
  })

  it('verify fails when none matches, saying how many were tried', async () => {
    const f = files([`X-ServiceDesk-Signature: sha256=${createHmac('sha256', 'neither').update(body).digest('hex')}`])
    const o = await cli(['webhook', 'verify', '--secret-env', 'SECRET_OLD', '--secret-env', 'SECRET_NEW', '--headers', f.headers, '--payload', f.payload], env)
    expect(o.code).toBe(1)
    expect(o.stdout).toMatch(/INVALID \(mismatch\): X-ServiceDesk-Signature does not match the body \(24 bytes\) signed with any of the 2 configured secrets/)
    noSecrets(o)
  })

  it('sign stripe: one timestamp, one v1 per secret; verify with either secret alone accepts it', async () => {
    const ts = Math.floor(Date.now() / 1000)
    const p = files([]).payload
    const o = await cli(['webhook', 'sign', '--scheme', 'stripe', '--secret-env', 'SECRET_OLD', '--secret-env', 'SECRET_NEW', '--payload', p, '--timestamp', String(ts)], env)
    expect(o.code, o.stderr).toBe(0)
    const v1 = (k: string) => createHmac('sha256', k).update(`${ts}.${body}`).digest('hex')
    expect(o.stdout.split('\n')[0]).toBe(`Stripe-Signature: t=${ts},v1=${v1(OLD)},v1=${v1(NEW)}`)
    expect(o.stdout).toContain('# stripe, 2 signatures (SECRET_OLD, SECRET_NEW, in this order)')
    noSecrets(o)
    const f = files([o.stdout.split('\n')[0]!])
    for (const name of ['SECRET_OLD', 'SECRET_NEW']) {
      const v = await cli(['webhook', 'verify', '--scheme', 'stripe', '--secret-env', name, '--headers', f.headers, '--payload', f.payload, '--json'], env)
      expect(v.code, v.stdout).toBe(0)
      expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, signatures: 2, matched: name === 'SECRET_OLD' ? 0 : 1, secretEnv: name })
    }
  })

  it('sign standard-webhooks: "v1,<sig> v1,<sig>"; with the spec library vector the first is the published signature', async () => {
    const p = join(mkdtempSync(join(dir, 'sw-')), 'body.json')
    writeFileSync(p, '{"test": 2432232314}')
    const o = await cli(
      ['webhook', 'sign', '--scheme', 'standard-webhooks', '--secret-env', 'SW_OLD', '--secret-env', 'SW_NEW', '--payload', p, '--id', 'msg_p5jXN8AQM9LWM0D4loKWxJek', '--timestamp', '1614265330', '--json'],
      { SW_OLD: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', SW_NEW: 'whsec_' + Buffer.from('a-new-key-for-the-rotation-test!').toString('base64') },
    )
    expect(o.code, o.stderr).toBe(0)
    const j = JSON.parse(o.stdout) as { headers: Record<string, string>; secretEnv: string[] }
    const parts = j.headers['webhook-signature']!.split(' ')
    expect(parts).toHaveLength(2)
    expect(parts[0]).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
    expect(parts[1]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    expect(j.secretEnv).toEqual(['SW_OLD', 'SW_NEW'])
  })

  it.each(['github', 'slack', 'shopify', 'hmac-sha256-hex'])('sign %s with two secrets: exit 2, one signature per delivery', async (scheme) => {
    const o = await cli(['webhook', 'sign', '--scheme', scheme, '--secret-env', 'SECRET_OLD', '--secret-env', 'SECRET_NEW'], env)
    expect(o.code).toBe(2)
    expect(o.stderr).toMatch(new RegExp(`2 --secret-env given: ${scheme} deliveries carry one signature .*sign once per secret`))
    noSecrets(o)
  })
})

describe('verify: a delivery of another scheme names the --scheme to use', () => {
  const body = '{"ticket_id":"TEST-001"}'
  it.each([
    ['stripe', 'Stripe-Signature: t=1700000000,v1=00'],
    ['github', 'X-Hub-Signature-256: sha256=00'],
    ['slack', 'X-Slack-Signature: v0=00'],
    ['standard-webhooks', 'webhook-signature: v1,AAAA'],
    ['shopify', 'X-Shopify-Hmac-Sha256: AAAA'],
  ])('%s header with the default scheme → try --scheme %s', async (scheme, line) => {
    const d = mkdtempSync(join(dir, 'hint-'))
    writeFileSync(join(d, 'h.txt'), `POST /hook HTTP/1.1\n${line}\n`)
    writeFileSync(join(d, 'b.json'), body)
    const o = await cli(['webhook', 'verify', '--headers', join(d, 'h.txt'), '--payload', join(d, 'b.json')])
    expect(o.code).toBe(1)
    expect(o.stdout).toMatch(/^INVALID \(missing-header\): no X-ServiceDesk-Signature header/)
    expect(o.stdout).toContain(`  hint: the delivery carries ${line.split(':')[0]}, the signature header of the ${scheme} scheme: try --scheme ${scheme}`)
  })
})

// `check webhook` / `check metrics` are the same kinds through the one-off check command.
describe('check webhook / check metrics (one-off)', () => {
  let server: Server
  let base = ''
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (req.url === '/metrics') return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('http_requests_total 3\n')
        if (req.url === '/accept-all') return void res.writeHead(202, { 'content-type': 'application/json' }).end('{"job_id":"x"}')
        const want = 'sha256=' + createHmac('sha256', SECRET).update(Buffer.concat(chunks)).digest('hex')
        res.writeHead(req.headers['x-servicedesk-signature'] === want ? 202 : 401).end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  })

  it('valid signature accepted: exit 0, secret not printed', async () => {
    const o = await cli(['check', 'webhook', `${base}/webhook/servicedesk`, '--secret-env', 'WEBHOOK_SECRET'])
    expect(o.code, o.stdout + o.stderr).toBe(0)
    expect(o.stdout).toMatch(/PASS/)
    expectNoSecret(o)
  })
  it('forged signature accepted by a broken endpoint: exit 1, --json shape', async () => {
    const o = await cli(['check', 'webhook', `${base}/accept-all`, '--secret-env', 'WEBHOOK_SECRET', '--expect', 'rejects-invalid', '--json'])
    expect(o.code).toBe(1)
    const r = JSON.parse(o.stdout) as { status: string; message: string; evidence: Record<string, unknown> }
    expect(r).toMatchObject({ status: 'fail', message: 'endpoint ACCEPTS forged webhooks (got 202)', evidence: { signatureHeader: 'X-ServiceDesk-Signature', signature: 'forged' } })
    expectNoSecret(o)
  })
  it('metrics with a required family: exit 0', async () => {
    const o = await cli(['check', 'metrics', `${base}/metrics`, '--require', 'http_requests_total', '--json'])
    expect(o.code, o.stderr).toBe(0)
    expect(JSON.parse(o.stdout)).toMatchObject({ status: 'pass', evidence: { families: 1, samples: 1 } })
  })
})

describe('usage', () => {
  it.each([
    [['webhook', 'sign', '--secret-env', 'NOPE_NOT_SET'], /environment variable NOPE_NOT_SET is not set/],
    [['webhook', 'sign', '--scheme', 'md5'], /--scheme must be one of/],
    [['webhook', 'sign', '--bogus'], /Unknown option '--bogus'/],
    [['webhook', 'verify', '--payload', '/dev/null'], /verify needs --headers FILE/],
    [['webhook', 'frobnicate'], /unknown webhook subcommand "frobnicate"/],
    [['webhook', 'sign', '--payload', '/nonexistent/x.json'], /cannot read --payload/],
    [['webhook', 'sign', '--scheme', 'standard-webhooks'], /standard-webhooks secret must be "whsec_" followed by base64/],
  ])('%j → exit 2', async (args, message) => {
    const o = await cli(args)
    expect(o.code).toBe(2)
    expect(o.stderr).toMatch(message)
    expectNoSecret(o)
  })

  it('--help lists every option with its default', async () => {
    const o = await cli(['webhook', '--help'])
    expect(o.code).toBe(0)
    for (const opt of ['--scheme', '--secret-env', '--payload', '--header', '--prefix', '--url', '--content-type', '--timestamp', '--id', '--headers', '--tolerance', '--now', '--json']) {
      expect(o.stdout).toContain(opt)
    }
    expect(o.stdout).toContain('(default: hmac-sha256-hex)')
    expect(o.stdout).toContain('(default: WEBHOOK_SECRET)')
    expect(o.stdout).toContain('(default: X-ServiceDesk-Signature)')
    expect(o.stdout).toContain('(default: 300)')
  })
})
