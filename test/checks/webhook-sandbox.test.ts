import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { metricsEndpoint } from '../../checks/metrics.ts'
import { webhookAcceptsValidSignature, webhookRejectsInvalidSignature, webhookRejectsMissingSignature, webhookRejectsReplay } from '../../checks/webhook.ts'
import { startSandbox, type Sandbox } from '../../sandbox/index.ts'

/**
 * The webhook and metrics checks against the built-in sandbox over HTTPS (trusting the run's CA):
 * normal mode, and the `accept-bad-signature` fault that makes the rejection checks fail.
 */

describe('sandbox, normal mode', () => {
  let sb: Sandbox
  beforeAll(async () => {
    sb = await startSandbox()
  })
  afterAll(async () => {
    await sb?.close()
  })
  const opts = () => ({ url: `${sb.httpsUrl}/webhook/servicedesk`, secret: sb.webhookSecret, ca: sb.caPem })

  it('valid webhook accepted with 202 and a job id', async () => {
    const r = await webhookAcceptsValidSignature(opts())
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.jobId).toMatch(/^[0-9a-f-]{36}$/)
  })
  it('invalid signature rejected with 401', async () => {
    const r = await webhookRejectsInvalidSignature(opts())
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.status).toBe(401)
  })
  it('missing signature rejected with 401', async () => {
    const r = await webhookRejectsMissingSignature(opts())
    expect(r.status, r.message).toBe('pass')
  })
  it('rejects-replay with a scheme the sandbox does not verify (stripe) is an error, not a pass', async () => {
    const r = await webhookRejectsReplay({ ...opts(), scheme: 'stripe' })
    expect(r.status).toBe('error')
    expect(r.message).toBe('the endpoint rejects correctly signed deliveries too (got 401), so rejecting a replayed one proves nothing — check the scheme and secret')
    expect(r.evidence.control).toMatchObject({ accepted: false, status: 401 })
  })
  it('wrong secret: the valid-signature check fails and says why', async () => {
    const r = await webhookAcceptsValidSignature({ ...opts(), secret: 'not-the-sandbox-secret' })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/REJECTED a correctly signed webhook \(got 401/)
    expect(JSON.stringify(r)).not.toContain(sb.webhookSecret)
  })
  it('metrics: 200, parses, request counter and webhook deliveries present', async () => {
    await webhookAcceptsValidSignature(opts())
    const r = await metricsEndpoint({
      url: `${sb.httpsUrl}/metrics`,
      ca: sb.caPem,
      require: ['http_requests_total', 'http_request_duration_seconds', { name: 'webhook_deliveries_total', labels: { result: 'accepted' }, min: 1 }],
    })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.format).toBe('prometheus')
  })
})

describe('sandbox with the accept-bad-signature fault', () => {
  let sb: Sandbox
  beforeAll(async () => {
    sb = await startSandbox({ faults: ['accept-bad-signature'] })
  })
  afterAll(async () => {
    await sb?.close()
  })
  const opts = () => ({ url: `${sb.httpsUrl}/webhook/servicedesk`, secret: sb.webhookSecret, ca: sb.caPem })

  it('invalid signature check fails: the endpoint accepts forgeries', async () => {
    const r = await webhookRejectsInvalidSignature(opts())
    expect(r.status).toBe('fail')
    expect(r.message).toBe('endpoint ACCEPTS forged webhooks (got 202)')
  })
  it('missing signature check fails', async () => {
    const r = await webhookRejectsMissingSignature(opts())
    expect(r.status).toBe('fail')
    expect(r.message).toBe('endpoint ACCEPTS webhooks without the X-ServiceDesk-Signature header (got 202)')
  })
  it('valid webhook still accepted', async () => {
    expect((await webhookAcceptsValidSignature(opts())).status).toBe('pass')
  })
})
