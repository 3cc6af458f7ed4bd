import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileSchema } from '../../../lib/config.ts'
import { InvalidArgumentError } from '../../../lib/errors.ts'
import { redactor } from '../../../lib/redact.ts'
import { metricsKind } from '../../../smoke/kinds/metrics.ts'
import type { BuildContext, CheckKind } from '../../../smoke/kinds/types.ts'
import { webhookKind } from '../../../smoke/kinds/webhook.ts'
import { kindEntrySchema } from '../../../smoke/target-schema.ts'
import { loadKind } from '../../../smoke/kinds/index.ts'

const SECRET = 'kind-test-secret-77'
let server: Server
let base = ''
let dir = ''
const bodies: Buffer[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rbk-kinds-'))
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      bodies.push(body)
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 5\n')
        return
      }
      const want = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex')
      const ok = req.headers['x-servicedesk-signature'] === want
      res.writeHead(ok ? 202 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { job_id: 'j1' } : { error: 'bad' }))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
  rmSync(dir, { recursive: true, force: true })
})

function ctx(baseUrl?: string): BuildContext {
  const c: BuildContext = { target: 't', targetFile: join(dir, 't.yaml'), tls: {}, reportDir: dir, redactor, resolvePath: (p) => resolve(dir, p) }
  if (baseUrl) c.baseUrl = baseUrl
  return c
}

async function valid(kind: CheckKind, entry: Record<string, unknown>): Promise<boolean> {
  return compileSchema(kindEntrySchema((await loadKind(kind.kind))!))({ id: 'x', kind: kind.kind, ...entry }) as boolean
}

describe('schemas', () => {
  it.each([
    [webhookKind, { secret: 's' }, true],
    [webhookKind, { secret: 's', expect: 'rejects-invalid', scheme: 'github', expectStatus: [401, 403] }, true],
    [webhookKind, {}, false],
    [webhookKind, { secret: 's', expect: 'rejects-everything' }, false],
    [webhookKind, { secret: 's', scheme: 'hmac' }, false],
    [webhookKind, { secret: 's', expectStatus: 99 }, false],
    [webhookKind, { secret: 's', bogus: 1 }, false],
    [metricsKind, {}, true],
    [metricsKind, { url: '/metrics', require: ['up', { name: 'http_requests_total', labels: { code: '200' }, min: 1 }] }, true],
    [metricsKind, { require: 'http_requests_total' }, true],
    [metricsKind, { require: [{ name: 'x', extra: 1 }] }, false],
    [metricsKind, { require: ['not a name'] }, false],
  ] as const)('%#: valid=%s', async (kind, entry, ok) => {
    expect(await valid(kind, entry)).toBe(ok)
  })
  it('every property has a description', () => {
    for (const k of [webhookKind, metricsKind]) {
      for (const [name, s] of Object.entries(k.properties)) expect((s as { description?: string }).description, `${k.kind}.${name}`).toBeTruthy()
    }
  })
})

describe('build and run', () => {
  it('webhook: default path against baseUrl, payloadFile relative to the target file', async () => {
    writeFileSync(join(dir, 'payload.json'), '{"ticket_id":"K-1"}')
    const entry = { id: 'wh', kind: 'webhook', secret: SECRET, payloadFile: 'payload.json' }
    expect(webhookKind.title(entry, ctx(base))).toBe(`Webhook ${base}/webhook/servicedesk accepts a correctly signed delivery (hmac-sha256-hex)`)
    const spec = webhookKind.build(entry, ctx(base))
    const r = await spec.run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
    expect(bodies.at(-1)!.toString()).toBe('{"ticket_id":"K-1"}')
  })
  it('webhook: payload "@file" reads the file, as curl --data-binary does', async () => {
    writeFileSync(join(dir, 'at.json'), '{"ticket_id":"AT-1"}')
    const r = await webhookKind.build({ id: 'wh', kind: 'webhook', secret: SECRET, payload: '@at.json' }, ctx(base)).run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
    expect(bodies.at(-1)!.toString()).toBe('{"ticket_id":"AT-1"}')
  })
  it('webhook: rejects-invalid passes against the verifying endpoint', async () => {
    const r = await webhookKind.build({ id: 'wh', kind: 'webhook', secret: SECRET, expect: 'rejects-invalid', url: `${base}/hook` }, ctx()).run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
  })
  it.each([
    ['rejects-replay with an untimestamped scheme', { secret: 's', expect: 'rejects-replay', scheme: 'github', url: 'http://127.0.0.1:1/' }],
    ['relative url without baseUrl', { secret: 's' }],
    ['payload and payloadFile', { secret: 's', url: 'http://127.0.0.1:1/', payload: 'x', payloadFile: 'y' }],
  ])('webhook build throws InvalidArgumentError: %s', (_n, e) => {
    expect(() => webhookKind.build({ id: 'wh', kind: 'webhook', ...e } as never, ctx())).toThrow(InvalidArgumentError)
  })
  it('metrics: default /metrics against baseUrl with a requirement', async () => {
    const entry = { id: 'm', kind: 'metrics', require: [{ name: 'http_requests', min: 1 }] }
    const r = await metricsKind.build(entry, ctx(base)).run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence).toMatchObject({ families: 1, samples: 1 })
  })
})
