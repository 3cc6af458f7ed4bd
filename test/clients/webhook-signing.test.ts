import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { constantTimeEqual, detectSchemes, MULTI_SIGNATURE_SCHEMES, schemeInfo, sign, verify, WEBHOOK_SCHEMES, type WebhookScheme } from '../../clients/webhook-signing.ts'

const NOW = 1_700_000_000_000 // ms
const NOW_S = NOW / 1000

describe('published vectors', () => {
  it('GitHub: documented example (github/docs validating-webhook-deliveries.md)', () => {
    const secret = "It's a Secret to Everybody"
    const headers = sign('github', secret, 'Hello, World!')
    expect(headers).toEqual({ 'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' })
    expect(verify('github', secret, 'Hello, World!', { 'x-hub-signature-256': headers['X-Hub-Signature-256'] })).toMatchObject({ ok: true, matched: 0 })
  })

  // Slack's documented example, as used in slackapi/python-slack-sdk
  // tests/slack_sdk/signature/test_signature_verifier.py (from docs.slack.dev/authentication/verifying-requests-from-slack).
  const slack = {
    secret: '8f742231b10e8888abcd99yyyzzz85a5',
    timestamp: 1531420618,
    body:
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  }
  it('Slack: documented example signs and verifies', () => {
    const headers = sign('slack', slack.secret, slack.body, { timestamp: slack.timestamp })
    expect(headers).toEqual({ 'X-Slack-Request-Timestamp': '1531420618', 'X-Slack-Signature': slack.signature })
    const v = verify('slack', slack.secret, Buffer.from(slack.body), { 'X-Slack-Request-Timestamp': '1531420618', 'X-Slack-Signature': slack.signature }, { now: slack.timestamp * 1000 })
    expect(v).toMatchObject({ ok: true, timestamp: slack.timestamp })
  })
  it('Slack: the same example is stale at the real current time', () => {
    const v = verify('slack', slack.secret, slack.body, { 'x-slack-request-timestamp': '1531420618', 'x-slack-signature': slack.signature })
    expect(v).toMatchObject({ ok: false, reason: 'timestamp-too-old' })
  })

  // standard-webhooks/standard-webhooks libraries/javascript/src/webhook.test.ts, "sign function works".
  const sw = {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  }
  it('Standard Webhooks: spec library vector', () => {
    const headers = sign('standard-webhooks', sw.secret, sw.body, { id: sw.id, timestamp: sw.timestamp })
    expect(headers).toEqual({ 'webhook-id': sw.id, 'webhook-timestamp': String(sw.timestamp), 'webhook-signature': sw.signature })
    // The reference library also accepts the secret without the whsec_ prefix.
    const v = verify('standard-webhooks', sw.secret.slice(6), sw.body, headers, { now: sw.timestamp * 1000 })
    expect(v).toMatchObject({ ok: true, id: sw.id, timestamp: sw.timestamp })
  })
  it('Standard Webhooks: several signatures (key rotation), one valid, unknown versions ignored', () => {
    // Same shape as the reference test "multi sig payload is valid".
    const headers = sign('standard-webhooks', sw.secret, sw.body, { id: sw.id, timestamp: sw.timestamp })
    headers['webhook-signature'] = [
      'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      sw.signature,
      'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
    ].join(' ')
    expect(verify('standard-webhooks', sw.secret, sw.body, headers, { now: sw.timestamp * 1000 })).toMatchObject({ ok: true, matched: 1, signatures: 3 })
  })
})

describe('published vectors: key rotation', () => {
  // The Standard Webhooks library vector (see above) and the spec's own example header shape
  // (spec/standard-webhooks.md, "Example headers": a v1 and a v1a entry, space separated).
  const sw = {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  }
  const newer = 'whsec_' + Buffer.from('the-rotated-in-key-of-32-bytes!!').toString('base64')

  it('Standard Webhooks: two secrets give "v1,<old> v1,<new>"; the first is the published signature', () => {
    const h = sign('standard-webhooks', [sw.secret, newer], sw.body, { id: sw.id, timestamp: sw.timestamp })
    const parts = h['webhook-signature']!.split(' ')
    expect(parts).toHaveLength(2)
    expect(parts[0]).toBe(sw.signature)
    expect(parts[1]).toBe(sign('standard-webhooks', newer, sw.body, { id: sw.id, timestamp: sw.timestamp })['webhook-signature'])
    // A receiver that knows either secret accepts it (the spec's zero-downtime rotation).
    expect(verify('standard-webhooks', sw.secret, sw.body, h, { now: sw.timestamp * 1000 })).toMatchObject({ ok: true, matched: 0, secretIndex: 0 })
    expect(verify('standard-webhooks', newer, sw.body, h, { now: sw.timestamp * 1000 })).toMatchObject({ ok: true, matched: 1, secretIndex: 0 })
  })

  it('Standard Webhooks: the spec example header shape (a v1a entry beside v1) verifies on its v1 entry', () => {
    const headers = {
      'webhook-id': sw.id,
      'webhook-timestamp': String(sw.timestamp),
      'webhook-signature': `${sw.signature} v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==`,
    }
    expect(verify('standard-webhooks', sw.secret, sw.body, headers, { now: sw.timestamp * 1000 })).toMatchObject({ ok: true, matched: 0, signatures: 1 })
  })

  it('GitHub: several secrets verify the documented example with the one that signed it', () => {
    const headers = { 'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' }
    expect(verify('github', ['an old secret', "It's a Secret to Everybody"], 'Hello, World!', headers)).toMatchObject({ ok: true, secretIndex: 1 })
    expect(verify('github', ['an old secret', 'another'], 'Hello, World!', headers)).toMatchObject({ ok: false, reason: 'mismatch', message: expect.stringMatching(/signed with any of the 2 configured secrets/) })
  })

  // Stripe publishes no vector with its secret; stripe-node's header rules (split on ',', then '=';
  // every v1 a candidate; v0 ignored) and its 300 s tolerance are what these follow.
  it('Stripe: two secrets give "t=..,v1=<a>,v1=<b>" with one timestamp; each secret alone verifies', () => {
    const t = 1492774577
    const h = sign('stripe', ['whsec_old', 'whsec_new'], '{"id":"evt_1"}', { timestamp: t })
    const one = (secret: string) => sign('stripe', secret, '{"id":"evt_1"}', { timestamp: t })['Stripe-Signature']!.split(',')[1]
    expect(h['Stripe-Signature']).toBe(`t=${t},${one('whsec_old')},${one('whsec_new')}`)
    expect(verify('stripe', 'whsec_new', '{"id":"evt_1"}', h, { now: t * 1000 })).toMatchObject({ ok: true, matched: 1, signatures: 2 })
    expect(verify('stripe', ['whsec_other', 'whsec_old'], '{"id":"evt_1"}', h, { now: t * 1000 })).toMatchObject({ ok: true, matched: 0, secretIndex: 1 })
  })

  it.each(WEBHOOK_SCHEMES.filter((s) => !MULTI_SIGNATURE_SCHEMES.includes(s)))('%s: signing with several secrets is refused, saying why', (scheme) => {
    expect(() => sign(scheme, ['a', 'b'], 'x')).toThrow(InvalidArgumentError)
    expect(() => sign(scheme, ['a', 'b'], 'x')).toThrow(new RegExp(`^${scheme} deliveries carry one signature \\(${schemeInfo(scheme).signatureHeader}: .*\\), so several secrets cannot be signed into one delivery`))
  })
  it('github: the refusal says GitHub signs with one secret', () => {
    expect(() => sign('github', ['a', 'b'], 'x')).toThrow(/GitHub signs with the webhook's one secret and has no key rotation in the header/)
  })
})

describe('a stale delivery still says whether its signature matches', () => {
  const secret = 'rotation-secret'
  const body = '{"ticket_id":"TEST-001"}'
  it.each([
    ['stripe', 'timestamp-too-old', -400],
    ['slack', 'timestamp-too-old', -400],
    ['standard-webhooks', 'timestamp-in-future', 400],
  ] as const)('%s: %s', (scheme, reason, offset) => {
    const key = scheme === 'standard-webhooks' ? 'whsec_' + Buffer.from(secret).toString('base64') : secret
    const ts = NOW_S + offset
    const h = sign(scheme, key, body, { timestamp: ts })
    expect(verify(scheme, ['whsec_b3RoZXI=', key], body, h, { now: NOW })).toMatchObject({ ok: false, reason, timestamp: ts, signatureMatches: true, secretIndex: 1 })
    expect(verify(scheme, 'whsec_b3RoZXI=', body, h, { now: NOW })).toMatchObject({ ok: false, reason, signatureMatches: false })
    expect(verify(scheme, 'whsec_b3RoZXI=', body, h, { now: NOW })).not.toHaveProperty('secretIndex')
  })
})

describe('another provider\'s delivery: the scheme it belongs to', () => {
  const pairs = WEBHOOK_SCHEMES.flatMap((signedAs) => WEBHOOK_SCHEMES.filter((v) => v !== signedAs).map((verifiedAs) => [signedAs, verifiedAs] as const))
  it.each(pairs)('signed %s, verified as %s → missing header, suggested %s', (signedAs, verifiedAs) => {
    const key = (s: WebhookScheme) => (s === 'standard-webhooks' ? 'whsec_' + Buffer.from('k'.repeat(32)).toString('base64') : 'k'.repeat(32))
    const h = sign(signedAs, key(signedAs), 'body', { now: NOW })
    const v = verify(verifiedAs, key(verifiedAs), 'body', h, { now: NOW })
    expect(v).toMatchObject({ ok: false, reason: 'missing-header', suggestedScheme: signedAs })
    expect(!v.ok && v.hint).toBe(`the delivery carries ${schemeInfo(signedAs).signatureHeader}, the signature header of the ${signedAs} scheme`)
  })
  it('detectSchemes lists the providers\' headers in any case', () => {
    expect(detectSchemes({ 'STRIPE-SIGNATURE': 't=1,v1=a', 'x-hub-signature-256': 'sha256=ab', 'content-type': 'application/json' })).toEqual([
      { scheme: 'stripe', header: 'Stripe-Signature' },
      { scheme: 'github', header: 'X-Hub-Signature-256' },
    ])
  })
})

/** HMAC-SHA256 computed by the seed's own tool, `openssl dgst -sha256 -hmac`, on the same bytes. */
function opensslHmac(key: string | Buffer, data: Buffer, encoding: 'hex' | 'base64'): string {
  const args = ['dgst', '-sha256', '-binary']
  if (typeof key === 'string') args.push('-hmac', key)
  else args.push('-mac', 'HMAC', '-macopt', `hexkey:${key.toString('hex')}`)
  const out = execFileSync('openssl', args, { input: data })
  return out.toString(encoding)
}

describe('cross-check against openssl dgst -sha256 -hmac', () => {
  const secret = 'seed-secret-9f8e7d'
  // Non-ASCII and binary bytes: the signature is over raw bytes, never a re-encoded string.
  const body = Buffer.concat([Buffer.from('{"ticket_id": "TEST-001", "subject": "Ünïcode ✓"}'), Buffer.from([0x00, 0xff, 0x0a])])

  it('hmac-sha256-hex (default header and prefix)', () => {
    expect(sign('hmac-sha256-hex', secret, body)).toEqual({ 'X-ServiceDesk-Signature': 'sha256=' + opensslHmac(secret, body, 'hex') })
  })
  it('hmac-sha256-hex with a custom header and empty prefix', () => {
    expect(sign('hmac-sha256-hex', secret, body, { header: 'X-Signature', prefix: '' })).toEqual({ 'X-Signature': opensslHmac(secret, body, 'hex') })
  })
  it('stripe over `${t}.${body}`', () => {
    const t = 1_492_774_577
    const expected = opensslHmac(secret, Buffer.concat([Buffer.from(`${t}.`), body]), 'hex')
    expect(sign('stripe', secret, body, { timestamp: t })).toEqual({ 'Stripe-Signature': `t=${t},v1=${expected}` })
  })
  it('shopify base64', () => {
    expect(sign('shopify', secret, body)).toEqual({ 'X-Shopify-Hmac-Sha256': opensslHmac(secret, body, 'base64') })
  })
  it('standard-webhooks with the decoded key bytes', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef')
    const h = sign('standard-webhooks', 'whsec_' + key.toString('base64'), body, { id: 'msg_1', timestamp: 1700000000 })
    expect(h['webhook-signature']).toBe('v1,' + opensslHmac(key, Buffer.concat([Buffer.from('msg_1.1700000000.'), body]), 'base64'))
  })
})

describe('verify rejects', () => {
  const secret = 'correct-horse-battery'
  const body = Buffer.from('{"ticket_id":"TEST-001"}')
  const timestamped: WebhookScheme[] = ['stripe', 'slack', 'standard-webhooks']
  const sswSecret = 'whsec_' + Buffer.from('a-32-byte-key-for-standard-hooks').toString('base64')
  const secretFor = (s: WebhookScheme) => (s === 'standard-webhooks' ? sswSecret : secret)
  const otherSecretFor = (s: WebhookScheme) => (s === 'standard-webhooks' ? 'whsec_' + Buffer.from('another-key-entirely-32-bytes!!').toString('base64') : secret + 'x')

  it.each(WEBHOOK_SCHEMES)('%s: valid delivery passes', (scheme) => {
    const h = sign(scheme, secretFor(scheme), body, { now: NOW })
    expect(verify(scheme, secretFor(scheme), body, h, { now: NOW })).toMatchObject({ ok: true, scheme })
  })
  it.each(WEBHOOK_SCHEMES)('%s: a one-byte change to the body is a mismatch', (scheme) => {
    const h = sign(scheme, secretFor(scheme), body, { now: NOW })
    const tampered = Buffer.from(body)
    tampered[2] = tampered[2]! ^ 0x01
    expect(verify(scheme, secretFor(scheme), tampered, h, { now: NOW })).toMatchObject({ ok: false, reason: 'mismatch' })
  })
  it.each(WEBHOOK_SCHEMES)('%s: a wrong secret is a mismatch', (scheme) => {
    const h = sign(scheme, otherSecretFor(scheme), body, { now: NOW })
    const v = verify(scheme, secretFor(scheme), body, h, { now: NOW })
    expect(v).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(JSON.stringify(v)).not.toContain(secret)
  })
  it.each(WEBHOOK_SCHEMES)('%s: missing signature header', (scheme) => {
    const h = sign(scheme, secretFor(scheme), body, { now: NOW })
    delete h[schemeInfo(scheme).signatureHeader]
    expect(verify(scheme, secretFor(scheme), body, h, { now: NOW })).toMatchObject({ ok: false, reason: 'missing-header', header: schemeInfo(scheme).signatureHeader })
  })
  it.each(timestamped)('%s: a timestamp older than the tolerance', (scheme) => {
    const h = sign(scheme, secretFor(scheme), body, { timestamp: NOW_S - 301 })
    expect(verify(scheme, secretFor(scheme), body, h, { now: NOW })).toMatchObject({ ok: false, reason: 'timestamp-too-old' })
    // ...but inside the tolerance it passes, and a tolerance of 0 disables the check.
    expect(verify(scheme, secretFor(scheme), body, sign(scheme, secretFor(scheme), body, { timestamp: NOW_S - 299 }), { now: NOW }).ok).toBe(true)
    expect(verify(scheme, secretFor(scheme), body, h, { now: NOW, tolerance: 0 }).ok).toBe(true)
  })
  it.each([
    ['slack', false],
    ['standard-webhooks', false],
    // stripe-node checks only the age: a future timestamp passes.
    ['stripe', true],
  ] as const)('%s: a timestamp 301 s in the future → ok=%s', (scheme, ok) => {
    const h = sign(scheme, secretFor(scheme), body, { timestamp: NOW_S + 301 })
    const v = verify(scheme, secretFor(scheme), body, h, { now: NOW })
    expect(v.ok).toBe(ok)
    if (!v.ok) expect(v.reason).toBe('timestamp-in-future')
  })
  it('stripe: several v1 values, one valid (as stripe-node "at least one valid signature")', () => {
    const h = sign('stripe', secret, body, { now: NOW })
    h['Stripe-Signature'] = h['Stripe-Signature'] + ',v1=potato'
    expect(verify('stripe', secret, body, h, { now: NOW })).toMatchObject({ ok: true, matched: 0, signatures: 2 })
    const rotated = { 'stripe-signature': `t=${NOW_S},v1=${'0'.repeat(64)},v0=abc,` + h['Stripe-Signature']!.split(',')[1] }
    expect(verify('stripe', secret, body, rotated, { now: NOW })).toMatchObject({ ok: true, matched: 1 })
  })
  it.each([
    ['stripe', { 'Stripe-Signature': "I'm not even a real signature header" }, 'malformed-header'],
    ['stripe', { 'Stripe-Signature': `t=${NOW_S},v0=abc` }, 'no-supported-signature'],
    ['github', { 'X-Hub-Signature-256': 'sha1=abc' }, 'malformed-header'],
    ['github', { 'X-Hub-Signature-256': 'sha256=zz' }, 'malformed-header'],
    // a hex digest of the wrong length is a mismatch, not an exception from timingSafeEqual
    ['github', { 'X-Hub-Signature-256': 'sha256=abcd' }, 'mismatch'],
    ['hmac-sha256-hex', { 'X-ServiceDesk-Signature': 'deadbeef' }, 'malformed-header'],
    ['shopify', { 'X-Shopify-Hmac-Sha256': 'not base64!' }, 'malformed-header'],
    ['slack', { 'X-Slack-Signature': 'v0=00' }, 'missing-header'],
    ['slack', { 'X-Slack-Signature': 'v0=00', 'X-Slack-Request-Timestamp': 'yesterday' }, 'malformed-header'],
    ['standard-webhooks', { 'webhook-signature': 'v1,AAAA', 'webhook-timestamp': String(NOW_S) }, 'missing-header'],
    ['standard-webhooks', { 'webhook-signature': 'v1,AAAA', 'webhook-id': 'm', 'webhook-timestamp': 'hello' }, 'malformed-header'],
    ['standard-webhooks', { 'webhook-signature': 'v1a,AAAA', 'webhook-id': 'm', 'webhook-timestamp': String(NOW_S) }, 'no-supported-signature'],
    ['standard-webhooks', { 'webhook-signature': 'v1,', 'webhook-id': 'm', 'webhook-timestamp': String(NOW_S) }, 'mismatch'],
  ] as const)('%s %j → %s', (scheme, headers, reason) => {
    expect(verify(scheme, secretFor(scheme), body, headers, { now: NOW })).toMatchObject({ ok: false, reason })
  })
  it('hmac-sha256-hex accepts upper-case hex and a configured header/prefix', () => {
    const h = sign('hmac-sha256-hex', secret, body, { header: 'X-Sig', prefix: 'v=' })
    const upper = { 'x-sig': 'v=' + h['X-Sig']!.slice(2).toUpperCase() }
    expect(verify('hmac-sha256-hex', secret, body, upper, { header: 'X-Sig', prefix: 'v=' })).toMatchObject({ ok: true })
    expect(verify('hmac-sha256-hex', secret, body, upper)).toMatchObject({ ok: false, reason: 'missing-header', header: 'X-ServiceDesk-Signature' })
  })
  it('names the trailing-newline mistake (`echo` without -n) in the hint', () => {
    const h = sign('hmac-sha256-hex', secret, Buffer.concat([body, Buffer.from('\n')]))
    const v = verify('hmac-sha256-hex', secret, body, h)
    expect(v).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(!v.ok && v.hint).toMatch(/trailing newline/)
  })
  it('names re-serialised JSON in the hint', () => {
    const pretty = Buffer.from('{\n  "ticket_id": "TEST-001"\n}')
    const h = sign('github', secret, Buffer.from('{"ticket_id":"TEST-001"}'))
    const v = verify('github', secret, pretty, h)
    expect(!v.ok && v.hint).toMatch(/re-serialised/)
  })
})

describe('arguments', () => {
  it.each([
    ['unknown scheme', () => sign('nope' as WebhookScheme, 's', 'b')],
    ['empty secret', () => sign('github', '', 'b')],
    ['standard-webhooks secret not base64', () => sign('standard-webhooks', 'whsec_not base64!', 'b')],
    ['negative tolerance', () => verify('github', 's', 'b', {}, { tolerance: -1 })],
    ['non-integer timestamp', () => sign('stripe', 's', 'b', { timestamp: 1.5 })],
    ['no secret at all', () => sign('stripe', [], 'b')],
    ['an empty secret among several', () => verify('stripe', ['s', ''], 'b', {})],
  ])('%s throws InvalidArgumentError', (_name, f) => {
    expect(f).toThrow(InvalidArgumentError)
  })
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    ['', '', true],
  ])('constantTimeEqual(%j, %j) = %s', (a, b, eq) => {
    expect(constantTimeEqual(a, b)).toBe(eq)
  })
})
