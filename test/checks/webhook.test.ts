import { createHmac, timingSafeEqual } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_WEBHOOK_PAYLOAD,
  extractJobId,
  judgeWebhook,
  webhookAcceptsValidSignature,
  webhookCheck,
  webhookRejectsInvalidSignature,
  webhookRejectsMissingSignature,
  webhookRejectsReplay,
  type WebhookEvidence,
  type WebhookObservation,
} from '../../checks/webhook.ts'
import { compileSchema } from '../../lib/config.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { loadKind } from '../../checks/registry.ts'
import { kindEntrySchema } from '../../smoke/target-schema.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'

const SECRET = 'sandbox-webhook-secret-5f1e'

interface Received {
  path: string
  headers: IncomingMessage['headers']
  body: Buffer
}

/**
 * A loopback receiver with the seed application's rule, written here independently of
 * clients/webhook-signing.ts: `X-ServiceDesk-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`.
 * /slack checks Slack's rule with a 300 s window. /accept-all is the `accept-bad-signature` fault;
 * /reject-all 401s everything (an endpoint expecting another scheme or secret); /valid-else-500
 * accepts valid deliveries and answers 500 to the rest; /hang never answers; /500 fails.
 */
let server: Server
let base = ''
let received: Received[] = []
const hanging: ServerResponse[] = []

function seedValid(body: Buffer, header: string | undefined): boolean {
  const m = /^sha256=([0-9a-f]{64})$/.exec(header ?? '')
  if (!m) return false
  const want = createHmac('sha256', SECRET).update(body).digest()
  return timingSafeEqual(Buffer.from(m[1]!, 'hex'), want)
}

function slackValid(body: Buffer, headers: IncomingMessage['headers']): boolean {
  const ts = String(headers['x-slack-request-timestamp'] ?? '')
  const sig = String(headers['x-slack-signature'] ?? '')
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false
  const want = 'v0=' + createHmac('sha256', SECRET).update(Buffer.concat([Buffer.from(`v0:${ts}:`), body])).digest('hex')
  return sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want))
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      received.push({ path: req.url ?? '', headers: req.headers, body })
      const json = (status: number, data: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data))
      switch (req.url) {
        case '/webhook/servicedesk':
          return seedValid(body, req.headers['x-servicedesk-signature'] as string | undefined) ? json(202, { accepted: true, job_id: 'job-42' }) : json(401, { error: 'invalid signature' })
        case '/slack':
          return slackValid(body, req.headers) ? json(200, { ok: true }) : json(403, { error: 'bad' })
        case '/accept-all':
          return json(202, { accepted: true, jobId: 7 })
        case '/reject-all':
          return json(401, { error: 'invalid signature' })
        case '/valid-else-500':
          return seedValid(body, req.headers['x-servicedesk-signature'] as string | undefined) ? json(202, { job_id: 'job-1' }) : json(500, { error: 'boom' })
        case '/500':
          return json(500, { error: 'boom' })
        case '/hang':
          hanging.push(res)
          return
        default:
          return json(404, {})
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  for (const r of hanging) r.destroy()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

beforeEach(() => {
  received = []
})

describe('against a seed-like endpoint', () => {
  it('accepts-valid: 202 with the job id, the exact bytes signed are sent', async () => {
    const payload = Buffer.concat([Buffer.from('{"ticket_id":"T-1","note":"naïve ✓"}'), Buffer.from([0x0a])])
    const r = await webhookAcceptsValidSignature({ url: `${base}/webhook/servicedesk`, secret: SECRET, payload })
    expect(r.status, r.message).toBe('pass')
    expect(r.id).toBe('webhook.accepts-valid-signature')
    expect(r.message).toMatch(/with 202 \(job id job-42\)/)
    expect(r.evidence).toMatchObject({ status: 202, jobId: 'job-42', signatureHeader: 'X-ServiceDesk-Signature', signature: 'valid', payloadBytes: payload.length })
    expect(received).toHaveLength(1)
    expect(received[0]!.body.equals(payload)).toBe(true)
    expect(received[0]!.headers['content-type']).toBe('application/json')
  })

  it('default payload is the seed ticket', async () => {
    const r = await webhookAcceptsValidSignature({ url: `${base}/webhook/servicedesk`, secret: SECRET })
    expect(r.status).toBe('pass')
    expect(received[0]!.body.toString()).toBe(DEFAULT_WEBHOOK_PAYLOAD)
    expect(JSON.parse(DEFAULT_WEBHOOK_PAYLOAD)).toMatchObject({ ticket_id: 'TEST-001' })
  })

  it('payloadFile: the file bytes are sent unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbk-webhook-'))
    try {
      const file = join(dir, 'p.json')
      writeFileSync(file, '{\n  "pretty": true\n}\n')
      const r = await webhookAcceptsValidSignature({ url: `${base}/webhook/servicedesk`, secret: SECRET, payloadFile: file })
      expect(r.status).toBe('pass')
      expect(received[0]!.body.toString()).toBe('{\n  "pretty": true\n}\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('accepts-valid with the wrong secret fails and explains it (the seed incident)', async () => {
    const r = await webhookAcceptsValidSignature({ url: `${base}/webhook/servicedesk`, secret: 'not-the-secret' })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/REJECTED a correctly signed webhook \(got 401/)
  })

  it('rejects-invalid passes with 401 after an accepted control, and the forged signature has the right shape', async () => {
    const r = await webhookRejectsInvalidSignature({ url: `${base}/webhook/servicedesk`, secret: SECRET })
    expect(r.status, r.message).toBe('pass')
    expect(r.message).toBe('rejected a forged signature with 401 (a correctly signed one got 202)')
    expect(r.evidence.control).toMatchObject({ accepted: true, status: 202, expected: '2xx', jobId: 'job-42' })
    expect(received).toHaveLength(2)
    // First the control (correctly signed, same bytes), then the forgery.
    expect(seedValid(received[0]!.body, received[0]!.headers['x-servicedesk-signature'] as string)).toBe(true)
    expect(received[1]!.body.equals(received[0]!.body)).toBe(true)
    expect(received[1]!.headers['x-servicedesk-signature']).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(seedValid(received[1]!.body, received[1]!.headers['x-servicedesk-signature'] as string)).toBe(false)
  })

  it('rejects-missing passes with 401 and sends no signature header', async () => {
    const r = await webhookRejectsMissingSignature({ url: `${base}/webhook/servicedesk`, secret: SECRET })
    expect(r.status, r.message).toBe('pass')
    expect(received).toHaveLength(2)
    expect(received[1]!.headers['x-servicedesk-signature']).toBeUndefined()
  })

  it('the secret and the signature value never reach evidence or messages', async () => {
    const results = await Promise.all([
      webhookAcceptsValidSignature({ url: `${base}/webhook/servicedesk`, secret: SECRET }),
      webhookRejectsInvalidSignature({ url: `${base}/webhook/servicedesk`, secret: SECRET }),
      webhookRejectsReplay({ url: `${base}/slack`, secret: SECRET, scheme: 'slack' }),
    ])
    const sentSignatures = received.map((x) => String(x.headers['x-servicedesk-signature'] ?? x.headers['x-slack-signature']))
    for (const r of results) {
      const text = JSON.stringify(r)
      expect(text).not.toContain(SECRET)
      for (const s of sentSignatures) expect(text).not.toContain(s.slice(-64))
      expect(r.evidence.requestHeaders[r.evidence.signatureHeader]).toBe('***')
    }
  })
})

describe('against a broken endpoint (accepts anything)', () => {
  it.each([
    ['rejects-invalid', /^endpoint ACCEPTS forged webhooks \(got 202\)$/],
    ['rejects-missing', /^endpoint ACCEPTS webhooks without the X-ServiceDesk-Signature header \(got 202\)$/],
  ] as const)('%s fails', async (mode, message) => {
    const r = await webhookCheck(mode, { url: `${base}/accept-all`, secret: SECRET })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(message)
    expect(r.evidence.jobId).toBe('7')
  })
  it('rejects-replay fails, naming the age of the replayed delivery', async () => {
    const r = await webhookRejectsReplay({ url: `${base}/accept-all`, secret: SECRET, scheme: 'stripe' })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('endpoint ACCEPTS replayed webhooks: a delivery signed 360 s ago was not rejected (got 202)')
  })
})

describe('timestamped scheme (slack)', () => {
  it('valid delivery is accepted with a configured 200', async () => {
    const r = await webhookAcceptsValidSignature({ url: `${base}/slack`, secret: SECRET, scheme: 'slack', expectStatus: [200, 202] })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.timestampAgeS).toBe(0)
  })
  it('replay is rejected; the stale timestamp is tolerance + 60 s old and correctly signed', async () => {
    const r = await webhookRejectsReplay({ url: `${base}/slack`, secret: SECRET, scheme: 'slack' })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.timestampAgeS).toBe(360)
    expect(r.evidence.control).toMatchObject({ accepted: true, status: 200 })
    expect(received).toHaveLength(2)
    const ts = Number(received[1]!.headers['x-slack-request-timestamp'])
    expect(Math.floor(Date.now() / 1000) - ts).toBeGreaterThanOrEqual(360)
    // The signature itself is right: only the timestamp makes it a replay.
    const want = 'v0=' + createHmac('sha256', SECRET).update(Buffer.concat([Buffer.from(`v0:${ts}:`), received[1]!.body])).digest('hex')
    expect(received[1]!.headers['x-slack-signature']).toBe(want)
  })
})

describe('transport failures are fails, not throws', () => {
  it('headers timeout', async () => {
    const r = await webhookAcceptsValidSignature({ url: `${base}/hang`, secret: SECRET, headersTimeout: 300 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/headers timed out after 300 ms/)
    expect(r.evidence.error).toMatchObject({ phase: 'headers' })
  })
  it('connection refused', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const r = await webhookRejectsInvalidSignature({ url: `http://127.0.0.1:${port}/webhook`, secret: SECRET })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/connection refused/)
  })
  it('unexpected status', async () => {
    const r = await webhookRejectsInvalidSignature({ url: `${base}/valid-else-500`, secret: SECRET })
    expect(r).toMatchObject({ status: 'fail', message: 'expected 401 or 403 for a forged signature, got 500' })
  })
  it('control delivery cannot connect: fail with the transport reason, nothing else sent', async () => {
    const r = await webhookRejectsInvalidSignature({ url: `${base}/hang`, secret: SECRET, headersTimeout: 300 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/control delivery: headers timed out after 300 ms/)
    expect(r.evidence.control).toMatchObject({ accepted: false, error: { phase: 'headers' } })
    expect(received).toHaveLength(1)
  })
})

describe('an endpoint that rejects everything proves nothing (the control delivery)', () => {
  it.each([
    ['rejects-replay', 'stripe', 'a replayed one'],
    ['rejects-invalid', 'hmac-sha256-hex', 'a forged one'],
    ['rejects-missing', 'hmac-sha256-hex', 'an unsigned one'],
  ] as const)('%s (%s) is an error, not a pass', async (mode, scheme, what) => {
    const r = await webhookCheck(mode, { url: `${base}/reject-all`, secret: SECRET, scheme })
    expect(r.status).toBe('error')
    expect(r.message).toBe(`the endpoint rejects correctly signed deliveries too (got 401), so rejecting ${what} proves nothing — check the scheme and secret`)
    expect(r.evidence.control).toMatchObject({ expected: '2xx', accepted: false, status: 401 })
    // Only the control was sent; the probe would prove nothing.
    expect(received).toHaveLength(1)
    expect(r.evidence.status).toBeUndefined()
  })
  it('a scheme the endpoint does not verify (stripe against the seed endpoint) is an error', async () => {
    const r = await webhookRejectsReplay({ url: `${base}/webhook/servicedesk`, secret: SECRET, scheme: 'stripe' })
    expect(r.status).toBe('error')
    expect(r.evidence.control).toMatchObject({ accepted: false, status: 401 })
  })
  it('the wrong secret makes rejects-invalid an error, not a pass', async () => {
    const r = await webhookRejectsInvalidSignature({ url: `${base}/webhook/servicedesk`, secret: 'not-the-secret' })
    expect(r.status).toBe('error')
  })
  it('a control answered with 500 names the url too', async () => {
    const r = await webhookRejectsMissingSignature({ url: `${base}/500`, secret: SECRET })
    expect(r.status).toBe('error')
    expect(r.message).toMatch(/\(got 500\).* — check the url, scheme and secret$/)
  })
  it('controlStatus narrows what counts as accepted', async () => {
    const r = await webhookRejectsInvalidSignature({ url: `${base}/webhook/servicedesk`, secret: SECRET, controlStatus: 200 })
    expect(r.status).toBe('error')
    expect(r.evidence.control).toMatchObject({ expected: '200', accepted: false, status: 202 })
  })
})

describe('bad arguments throw InvalidArgumentError', () => {
  it.each([
    ['replay on an untimestamped scheme', () => webhookRejectsReplay({ url: 'http://127.0.0.1:1/', secret: SECRET, scheme: 'github' })],
    ['no secret', () => webhookAcceptsValidSignature({ url: 'http://127.0.0.1:1/', secret: '' })],
    ['bad url', () => webhookAcceptsValidSignature({ url: '/relative', secret: SECRET })],
    ['unknown scheme', () => webhookAcceptsValidSignature({ url: 'http://127.0.0.1:1/', secret: SECRET, scheme: 'hmac' as never })],
    ['payload and payloadFile', () => webhookAcceptsValidSignature({ url: 'http://127.0.0.1:1/', secret: SECRET, payload: 'x', payloadFile: '/x' })],
    ['missing payloadFile', () => webhookAcceptsValidSignature({ url: 'http://127.0.0.1:1/', secret: SECRET, payloadFile: '/nonexistent/p.json' })],
    ['bad expectStatus', () => webhookAcceptsValidSignature({ url: 'http://127.0.0.1:1/', secret: SECRET, expectStatus: [] })],
    ['bad controlStatus', () => webhookRejectsInvalidSignature({ url: 'http://127.0.0.1:1/', secret: SECRET, controlStatus: 99 })],
    ['standard-webhooks secret not base64', () => webhookAcceptsValidSignature({ url: 'http://127.0.0.1:1/', secret: 'whsec_!!', scheme: 'standard-webhooks' })],
  ])('%s', async (_name, f) => {
    await expect(f()).rejects.toThrow(InvalidArgumentError)
  })
})

describe('judgeWebhook (pure)', () => {
  const sent = (expectation: WebhookEvidence['expectation'], expectedStatus: number[]): WebhookEvidence => ({
    expectation,
    method: 'POST',
    url: 'https://api.example/webhook',
    scheme: 'hmac-sha256-hex',
    signatureHeader: 'X-ServiceDesk-Signature',
    signature: 'valid',
    requestHeaders: {},
    payloadBytes: 2,
    payloadSha256: 'x',
    expectedStatus,
    timestampAgeS: 360,
  })
  it.each<[WebhookEvidence['expectation'], number[], WebhookObservation, 'pass' | 'fail', RegExp]>([
    ['accepts-valid', [202], { status: 202, body: '{"job_id":"abc"}' }, 'pass', /with 202 \(job id abc\)/],
    ['accepts-valid', [202], { status: 200 }, 'fail', /expected 202 for a correctly signed webhook, got 200/],
    ['accepts-valid', [200, 201, 202, 204], { status: 204 }, 'pass', /with 204$/],
    ['accepts-valid', [202], { status: 403 }, 'fail', /REJECTED/],
    ['rejects-invalid', [401, 403], { status: 403 }, 'pass', /rejected a forged signature with 403/],
    ['rejects-invalid', [401, 403], { status: 200 }, 'fail', /ACCEPTS forged webhooks \(got 200\)/],
    ['rejects-invalid', [401], { status: 403 }, 'fail', /expected 401 for a forged signature, got 403/],
    ['rejects-invalid', [401, 403], { status: 400 }, 'fail', /expected 401 or 403/],
    ['rejects-missing', [401, 403], { status: 204 }, 'fail', /ACCEPTS webhooks without the X-ServiceDesk-Signature header/],
    ['rejects-replay', [401, 403], { status: 202 }, 'fail', /ACCEPTS replayed webhooks: a delivery signed 360 s ago/],
    ['rejects-replay', [401, 403], { status: 401 }, 'pass', /replayed/],
    ['rejects-invalid', [401, 403], { error: { message: 'connect timed out after 5000 ms', code: 'RBK_TIMEOUT', phase: 'connect' } }, 'fail', /^POST https:\/\/api.example\/webhook: connect timed out/],
  ])('%s expecting %j, observed %j → %s', (mode, expectedStatus, obs, status, message) => {
    const v = judgeWebhook(mode, obs, sent(mode, expectedStatus))
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
  })

  it.each<[WebhookEvidence['expectation'], WebhookObservation, number[] | undefined, 'pass' | 'fail' | 'error', RegExp]>([
    ['rejects-replay', { status: 401 }, undefined, 'error', /rejects correctly signed deliveries too \(got 401\), so rejecting a replayed one proves nothing — check the scheme and secret$/],
    ['rejects-invalid', { status: 403 }, undefined, 'error', /got 403\), so rejecting a forged one/],
    ['rejects-missing', { status: 404 }, undefined, 'error', /got 404\), so rejecting an unsigned one proves nothing — check the url, scheme and secret$/],
    ['rejects-invalid', { status: 202 }, undefined, 'pass', /^rejected a forged signature with 401 \(a correctly signed one got 202\)$/],
    ['rejects-invalid', { status: 204 }, undefined, 'pass', /got 204/],
    ['rejects-invalid', { status: 200 }, [202], 'error', /got 200/],
    ['rejects-invalid', { error: { message: 'connection refused', code: 'ECONNREFUSED' } }, undefined, 'fail', /control delivery: connection refused/],
  ])('%s with control %j (expected %j) → %s', (mode, control, expectedStatus, status, message) => {
    const v = judgeWebhook(mode, { status: 401 }, sent(mode, [401, 403]), { obs: control, ...(expectedStatus ? { expectedStatus } : {}) })
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
    expect(v.evidence.control?.accepted).toBe(status === 'pass')
  })

  it.each([
    ['{"job_id":"a"}', 'a'],
    ['{"jobId":12}', '12'],
    ['{"id":"x","job_id":"y"}', 'y'],
    ['{"accepted":true}', undefined],
    ['[1]', undefined],
    ['not json', undefined],
  ])('extractJobId(%j) = %j', (body, id) => {
    expect(extractJobId(body)).toBe(id)
  })
})

describe('the webhook kind (target-file entries)', () => {
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rbk-webhook-kind-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const ctx = (over: { baseUrl?: string } = { baseUrl: base }) => testBuildContext(dir, over)

  it.each([
    [{ secret: 's' }, true],
    [{ secret: 's', expect: 'rejects-invalid', scheme: 'github', expectStatus: [401, 403] }, true],
    [{}, false],
    [{ secret: 's', expect: 'rejects-everything' }, false],
    [{ secret: 's', scheme: 'hmac' }, false],
    [{ secret: 's', expectStatus: 99 }, false],
    [{ secret: 's', bogus: 1 }, false],
  ] as const)('schema %#: %j valid=%s', async (entry, ok) => {
    const validate = compileSchema(kindEntrySchema((await loadKind('webhook'))!))
    expect(validate({ id: 'x', kind: 'webhook', ...entry })).toBe(ok)
  })

  it('default path against baseUrl, payloadFile relative to the target file', async () => {
    writeFileSync(join(dir, 'payload.json'), '{"ticket_id":"K-1"}')
    const spec = await buildKind({ id: 'wh', kind: 'webhook', secret: SECRET, payloadFile: 'payload.json' }, ctx())
    expect(spec.title).toBe(`Webhook ${base}/webhook/servicedesk accepts a correctly signed delivery (hmac-sha256-hex)`)
    const r = await spec.run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
    expect(r.id).toBe('wh')
    expect(received.at(-1)!.path).toBe('/webhook/servicedesk')
    expect(received.at(-1)!.body.toString()).toBe('{"ticket_id":"K-1"}')
  })

  it('payload "@file" reads the file, as curl --data-binary does', async () => {
    writeFileSync(join(dir, 'at.json'), '{"ticket_id":"AT-1"}')
    const r = await (await buildKind({ id: 'wh', kind: 'webhook', secret: SECRET, payload: '@at.json' }, ctx())).run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
    expect(received.at(-1)!.body.toString()).toBe('{"ticket_id":"AT-1"}')
  })

  it('rejects-invalid passes against the verifying endpoint', async () => {
    const spec = await buildKind({ id: 'wh', kind: 'webhook', secret: SECRET, expect: 'rejects-invalid', url: `${base}/webhook/servicedesk` }, ctx({}))
    expect(spec.title).toBe(`Webhook ${base}/webhook/servicedesk rejects an invalid signature (hmac-sha256-hex)`)
    const r = await spec.run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
  })

  it.each([
    ['rejects-replay with an untimestamped scheme', { secret: 's', expect: 'rejects-replay', scheme: 'github', url: 'http://127.0.0.1:1/' },
      'expect: rejects-replay needs a timestamped scheme (stripe, slack, standard-webhooks); github signs no timestamp'],
    ['relative url without baseUrl', { secret: 's' }, /^url: url "\/webhook\/servicedesk" is not an absolute http\(s\) URL, and there is no baseUrl/],
    ['payload and payloadFile', { secret: 's', url: 'http://127.0.0.1:1/', payload: 'x', payloadFile: 'payload.json' }, 'payloadFile: give either payload or payloadFile, not both'],
    ['payload "@file" and payloadFile', { secret: 's', url: 'http://127.0.0.1:1/', payload: '@at.json', payloadFile: 'payload.json' }, 'payloadFile: give either payload or payloadFile, not both'],
  ])('a build error (InvalidArgumentError) names the field: %s', async (_n, fields, message) => {
    writeFileSync(join(dir, 'payload.json'), '{}')
    writeFileSync(join(dir, 'at.json'), '{}')
    const build = buildKind({ id: 'wh', kind: 'webhook', ...fields }, ctx({}))
    await expect(build).rejects.toThrow(InvalidArgumentError)
    await expect(build).rejects.toThrow(message)
  })
})
