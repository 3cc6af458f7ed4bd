import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { InvalidArgumentError } from '../lib/errors.ts'

/**
 * Webhook signing and verification for the common HMAC-SHA256 schemes, over the raw body bytes,
 * with constant-time comparison. Pure functions (no I/O): the live checks in `checks/webhook.ts`
 * and the `webhook` command use them, and so can a test harness.
 *
 * Semantics follow each provider's reference implementation (see /work/shared/reference/semantics.md §7):
 * GitHub docs, stripe-node `Webhooks.ts`, slack_sdk `signature`, the Standard Webhooks spec and
 * JavaScript library, Shopify's `X-Shopify-Hmac-Sha256`.
 */

export type WebhookScheme = 'hmac-sha256-hex' | 'github' | 'stripe' | 'slack' | 'standard-webhooks' | 'shopify'

export const WEBHOOK_SCHEMES: readonly WebhookScheme[] = Object.freeze([
  'hmac-sha256-hex',
  'github',
  'stripe',
  'slack',
  'standard-webhooks',
  'shopify',
])

/** What a scheme looks like on the wire. */
export interface SchemeInfo {
  scheme: WebhookScheme
  /** Header carrying the signature (canonical spelling). */
  signatureHeader: string
  /** Header carrying the signed timestamp, when it is separate from the signature header. */
  timestampHeader?: string
  /** Header carrying the message id (Standard Webhooks). */
  idHeader?: string
  /** True when a timestamp is signed, so stale deliveries can be rejected. */
  timestamped: boolean
  /** Whether verification rejects timestamps too far in the future as well as too old. */
  rejectsFuture: boolean
}

export interface SigningOptions {
  /** Current time in ms since the epoch (as `Date.now()`). Default: `Date.now()`. For tests and replay probes. */
  now?: number
  /** `hmac-sha256-hex` only: signature header name. Default `X-ServiceDesk-Signature`. */
  header?: string
  /** `hmac-sha256-hex` only: text before the hex digest. Default `sha256=` (may be empty). */
  prefix?: string
}

export interface SignOptions extends SigningOptions {
  /** Unix seconds to sign into timestamped schemes. Default: `now` in seconds. */
  timestamp?: number
  /** Standard Webhooks `webhook-id`. Default: a random `msg_...` id. */
  id?: string
}

export interface VerifyOptions extends SigningOptions {
  /**
   * Seconds a timestamp may be away from `now`. Default 300. 0 turns the time check off (as
   * stripe-node's `verifyHeader` with tolerance 0). Stripe only rejects old timestamps (as
   * stripe-node); Slack and Standard Webhooks reject both directions.
   */
  tolerance?: number
}

export type VerifyFailureReason =
  | 'missing-header'
  | 'malformed-header'
  | 'no-supported-signature'
  | 'mismatch'
  | 'timestamp-too-old'
  | 'timestamp-in-future'

export interface VerifySuccess {
  ok: true
  scheme: WebhookScheme
  /** Header whose value matched. */
  header: string
  /** 0-based index of the matching signature among those in the header (several during key rotation). */
  matched: number
  /** How many candidate signatures the header carried. */
  signatures: number
  /** 0-based index of the secret that matched, among those given (several during key rotation). */
  secretIndex: number
  /** Signed timestamp (unix seconds), for timestamped schemes. */
  timestamp?: number
  /** Standard Webhooks message id. */
  id?: string
}

export interface VerifyFailure {
  ok: false
  scheme: WebhookScheme
  reason: VerifyFailureReason
  /** One line for a human; never contains the secret. */
  message: string
  /** The header concerned, when there is one. */
  header?: string
  /** A likely cause, when one could be recognised (e.g. the sender signed the body plus a newline). */
  hint?: string
  /**
   * Timestamp failures only: whether the signature itself matches (so only the age fails), and
   * with which secret. The verdict stays a failure, as in the reference libraries.
   */
  signatureMatches?: boolean
  secretIndex?: number
  /** Timestamp failures only: the signed timestamp (unix seconds). */
  timestamp?: number
  /** The scheme whose signature header the delivery carries, when it is not the one verified with. */
  suggestedScheme?: WebhookScheme
}

export type VerifyResult = VerifySuccess | VerifyFailure

export const SIGNING_DEFAULTS = Object.freeze({
  header: 'X-ServiceDesk-Signature',
  prefix: 'sha256=',
  tolerance: 300,
})

/** Header names and properties of a scheme. */
export function schemeInfo(scheme: WebhookScheme, opts: Pick<SigningOptions, 'header'> = {}): SchemeInfo {
  switch (scheme) {
    case 'hmac-sha256-hex':
      return { scheme, signatureHeader: opts.header ?? SIGNING_DEFAULTS.header, timestamped: false, rejectsFuture: false }
    case 'github':
      return { scheme, signatureHeader: 'X-Hub-Signature-256', timestamped: false, rejectsFuture: false }
    case 'stripe':
      return { scheme, signatureHeader: 'Stripe-Signature', timestamped: true, rejectsFuture: false }
    case 'slack':
      return { scheme, signatureHeader: 'X-Slack-Signature', timestampHeader: 'X-Slack-Request-Timestamp', timestamped: true, rejectsFuture: true }
    case 'standard-webhooks':
      return {
        scheme,
        signatureHeader: 'webhook-signature',
        timestampHeader: 'webhook-timestamp',
        idHeader: 'webhook-id',
        timestamped: true,
        rejectsFuture: true,
      }
    case 'shopify':
      return { scheme, signatureHeader: 'X-Shopify-Hmac-Sha256', timestamped: false, rejectsFuture: false }
    default:
      throw new InvalidArgumentError(`unknown webhook scheme "${String(scheme)}"; expected one of ${WEBHOOK_SCHEMES.join(', ')}`)
  }
}

/** Schemes whose signature header can carry several signatures (key rotation). */
export const MULTI_SIGNATURE_SCHEMES: readonly WebhookScheme[] = Object.freeze(['stripe', 'standard-webhooks'])

/** Why a scheme cannot carry several signatures in one delivery; undefined when it can. */
export function multiSignatureRefusal(scheme: WebhookScheme, opts: Pick<SigningOptions, 'header' | 'prefix'> = {}): string | undefined {
  if (MULTI_SIGNATURE_SCHEMES.includes(scheme)) return undefined
  const header = schemeInfo(scheme, opts).signatureHeader
  const shape: Record<Exclude<WebhookScheme, 'stripe' | 'standard-webhooks'>, string> = {
    github: `${header}: sha256=<hex>; GitHub signs with the webhook's one secret and has no key rotation in the header`,
    slack: `${header}: v0=<hex>`,
    shopify: `${header}: <base64>`,
    'hmac-sha256-hex': `${header}: ${opts.prefix ?? SIGNING_DEFAULTS.prefix}<hex>`,
  }
  return `${scheme} deliveries carry one signature (${shape[scheme as keyof typeof shape]}), so several secrets cannot be signed into one delivery; sign once per secret. Only stripe (t=...,v1=...,v1=...) and standard-webhooks (v1,... v1,...) carry several`
}

/** Signature headers of the known providers, lower-case, and the scheme each belongs to. */
const PROVIDER_HEADERS: readonly [string, WebhookScheme][] = [
  ['stripe-signature', 'stripe'],
  ['x-hub-signature-256', 'github'],
  ['x-slack-signature', 'slack'],
  ['webhook-signature', 'standard-webhooks'],
  ['x-shopify-hmac-sha256', 'shopify'],
  ['x-servicedesk-signature', 'hmac-sha256-hex'],
]

/** The known providers' signature headers present in a delivery, with their schemes (in header-table order). */
export function detectSchemes(headers: Record<string, string | string[] | undefined>): { scheme: WebhookScheme; header: string }[] {
  const present = new Set(Object.keys(headers ?? {}).filter((k) => headers[k] !== undefined && headers[k] !== '').map((k) => k.toLowerCase()))
  return PROVIDER_HEADERS.filter(([h]) => present.has(h)).map(([h, scheme]) => ({ scheme, header: schemeInfo(scheme).signatureHeader || h }))
}

/** Type guard for scheme names coming from configuration or the command line. */
export function isWebhookScheme(value: unknown): value is WebhookScheme {
  return typeof value === 'string' && (WEBHOOK_SCHEMES as readonly string[]).includes(value)
}

/**
 * Signs `body` and returns the headers to send with it (signature, plus timestamp and id headers
 * for the schemes that have them). Several secrets (key rotation) give one signature each, in
 * order, for the schemes that carry several (`MULTI_SIGNATURE_SCHEMES`). Throws
 * InvalidArgumentError for an unknown scheme, no or an empty secret, several secrets for a
 * scheme with one signature, or a Standard Webhooks secret that is not base64.
 */
export function sign(scheme: WebhookScheme, secret: string | readonly string[], body: Buffer | string, opts: SignOptions = {}): Record<string, string> {
  const info = schemeInfo(scheme, opts)
  const keys = signingKeys(scheme, secret)
  if (keys.length > 1) {
    const refusal = multiSignatureRefusal(scheme, opts)
    if (refusal) throw new InvalidArgumentError(refusal)
  }
  const key = keys[0]!
  const raw = toBuffer(body)
  const ts = opts.timestamp ?? Math.floor((opts.now ?? Date.now()) / 1000)
  if (info.timestamped && (!Number.isInteger(ts) || ts < 0)) throw new InvalidArgumentError(`timestamp must be a non-negative integer of unix seconds, got ${ts}`)
  switch (scheme) {
    case 'hmac-sha256-hex':
      return { [info.signatureHeader]: (opts.prefix ?? SIGNING_DEFAULTS.prefix) + hmac(key, raw).toString('hex') }
    case 'github':
      return { [info.signatureHeader]: 'sha256=' + hmac(key, raw).toString('hex') }
    case 'shopify':
      return { [info.signatureHeader]: hmac(key, raw).toString('base64') }
    case 'stripe':
      return { [info.signatureHeader]: [`t=${ts}`, ...keys.map((k) => `v1=${hmac(k, concat(`${ts}.`, raw)).toString('hex')}`)].join(',') }
    case 'slack':
      return {
        [info.timestampHeader!]: String(ts),
        [info.signatureHeader]: 'v0=' + hmac(key, concat(`v0:${ts}:`, raw)).toString('hex'),
      }
    case 'standard-webhooks': {
      const id = opts.id ?? `msg_${randomId()}`
      if (!id || /[\s.]/.test(id)) throw new InvalidArgumentError('webhook id must be non-empty and contain no spaces or dots')
      return {
        [info.idHeader!]: id,
        [info.timestampHeader!]: String(ts),
        [info.signatureHeader]: keys.map((k) => 'v1,' + hmac(k, concat(`${id}.${ts}.`, raw)).toString('base64')).join(' '),
      }
    }
  }
}

/**
 * Verifies a delivery: `headers` as received (any case; arrays for repeated headers), `body` the raw
 * bytes. With several secrets (key rotation) it is valid when any secret matches any signature;
 * the result says which (`secretIndex`). Never throws for what the sender did wrong — that is the
 * verdict; throws InvalidArgumentError only for a bad scheme, secret or option.
 */
export function verify(
  scheme: WebhookScheme,
  secret: string | readonly string[],
  body: Buffer | string,
  headers: Record<string, string | string[] | undefined>,
  opts: VerifyOptions = {},
): VerifyResult {
  const info = schemeInfo(scheme, opts)
  const keys = signingKeys(scheme, secret)
  const raw = toBuffer(body)
  const tolerance = opts.tolerance ?? SIGNING_DEFAULTS.tolerance
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new InvalidArgumentError(`tolerance must be a non-negative number of seconds, got ${tolerance}`)
  const nowS = Math.floor((opts.now ?? Date.now()) / 1000)
  const h = lowerCaseHeaders(headers)
  const sigHeader = info.signatureHeader
  const value = h[sigHeader.toLowerCase()]
  const fail = (reason: VerifyFailureReason, message: string, header?: string, hint?: string): VerifyFailure => {
    const f: VerifyFailure = { ok: false, scheme, reason, message }
    if (header) f.header = header
    if (hint) f.hint = hint
    return f
  }
  if (value === undefined || value === '') {
    const f = fail('missing-header', `no ${sigHeader} header`, sigHeader)
    // The delivery may simply be another provider's: say which scheme its headers belong to.
    const other = detectSchemes(headers).find((d) => d.scheme !== scheme)
    if (other) {
      f.suggestedScheme = other.scheme
      f.hint = `the delivery carries ${other.header}, the signature header of the ${other.scheme} scheme`
    }
    return f
  }

  // Each scheme yields: candidate signatures (as sent), a function computing the expected one for
  // some body and key, and the timestamp/id to check.
  let candidates: string[]
  let expected: (b: Buffer, key: Buffer) => string
  let timestamp: number | undefined
  let id: string | undefined
  let caseInsensitive = false
  switch (scheme) {
    case 'hmac-sha256-hex':
    case 'github': {
      const prefix = scheme === 'github' ? 'sha256=' : (opts.prefix ?? SIGNING_DEFAULTS.prefix)
      if (!value.startsWith(prefix)) return fail('malformed-header', `${sigHeader} does not start with "${prefix}"`, sigHeader)
      const hex = value.slice(prefix.length).trim()
      if (!/^[0-9a-fA-F]+$/.test(hex)) return fail('malformed-header', `${sigHeader} is not "${prefix}<hex digest>"`, sigHeader)
      candidates = [hex]
      caseInsensitive = true
      expected = (b, key) => hmac(key, b).toString('hex')
      break
    }
    case 'shopify': {
      const b64 = value.trim()
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return fail('malformed-header', `${sigHeader} is not a base64 digest`, sigHeader)
      candidates = [b64]
      expected = (b, key) => hmac(key, b).toString('base64')
      break
    }
    case 'stripe': {
      // stripe-node: split on ',' then on the first '='; `t` is the timestamp, every `v1` a candidate.
      let t: string | undefined
      const v1: string[] = []
      let items = 0
      for (const item of value.split(',')) {
        const eq = item.indexOf('=')
        if (eq < 0) continue
        items++
        const k = item.slice(0, eq).trim()
        const v = item.slice(eq + 1).trim()
        if (k === 't') t = v
        else if (k === 'v1') v1.push(v)
      }
      if (items === 0 || t === undefined || !/^\d+$/.test(t)) {
        return fail('malformed-header', `${sigHeader} has no "t=<unix seconds>" timestamp (expected "t=...,v1=...")`, sigHeader)
      }
      if (v1.length === 0) return fail('no-supported-signature', `${sigHeader} has no v1 signature`, sigHeader)
      timestamp = Number(t)
      candidates = v1
      const ts = t
      expected = (b, key) => hmac(key, concat(`${ts}.`, b)).toString('hex')
      break
    }
    case 'slack': {
      const tsHeader = info.timestampHeader!
      const ts = h[tsHeader.toLowerCase()]
      if (ts === undefined || ts === '') return fail('missing-header', `no ${tsHeader} header`, tsHeader)
      if (!/^\d+$/.test(ts.trim())) return fail('malformed-header', `${tsHeader} is not unix seconds`, tsHeader)
      if (!value.startsWith('v0=')) return fail('malformed-header', `${sigHeader} does not start with "v0="`, sigHeader)
      timestamp = Number(ts.trim())
      candidates = [value.slice(3).trim()]
      caseInsensitive = true
      const base = ts.trim()
      expected = (b, key) => hmac(key, concat(`v0:${base}:`, b)).toString('hex')
      break
    }
    case 'standard-webhooks': {
      const idHeader = info.idHeader!
      const tsHeader = info.timestampHeader!
      const msgId = h[idHeader]
      const ts = h[tsHeader]
      if (msgId === undefined || msgId === '') return fail('missing-header', `no ${idHeader} header`, idHeader)
      if (ts === undefined || ts === '') return fail('missing-header', `no ${tsHeader} header`, tsHeader)
      if (!/^\d+$/.test(ts.trim())) return fail('malformed-header', `${tsHeader} is not unix seconds`, tsHeader)
      const parts = value.split(' ').filter(Boolean)
      const v1: string[] = []
      for (const p of parts) {
        const comma = p.indexOf(',')
        if (comma < 0) return fail('malformed-header', `${sigHeader} entry is not "<version>,<signature>"`, sigHeader)
        if (p.slice(0, comma) === 'v1') v1.push(p.slice(comma + 1))
      }
      if (v1.length === 0) return fail('no-supported-signature', `${sigHeader} has no v1 signature`, sigHeader)
      id = msgId
      timestamp = Number(ts.trim())
      candidates = v1
      const prefix = `${msgId}.${ts.trim()}.`
      expected = (b, key) => hmac(key, concat(prefix, b)).toString('base64')
      break
    }
  }

  // Every secret against every signature, in constant time each; the first pair that matches wins.
  const norm = (s: string) => (caseInsensitive ? s.toLowerCase() : s)
  let matched = -1
  let secretIndex = -1
  keys.forEach((key, k) => {
    const want = expected(raw, key)
    for (let i = 0; i < candidates.length; i++) {
      if (constantTimeEqual(norm(candidates[i]!), want) && matched < 0) {
        matched = i
        secretIndex = k
      }
    }
  })

  // A stale delivery is rejected whatever its signature, as the reference libraries do; the result
  // still says whether the signature matches, so an old capture can be told from a forged one.
  if (timestamp !== undefined && tolerance > 0) {
    const age = nowS - timestamp
    const tooOld = age > tolerance
    if (tooOld || (info.rejectsFuture && -age > tolerance)) {
      const f = tooOld
        ? fail('timestamp-too-old', `timestamp is ${age} s old, more than the ${tolerance} s tolerance`, info.timestampHeader ?? sigHeader)
        : fail('timestamp-in-future', `timestamp is ${-age} s in the future, more than the ${tolerance} s tolerance`, info.timestampHeader ?? sigHeader)
      f.timestamp = timestamp
      f.signatureMatches = matched >= 0
      if (matched >= 0) f.secretIndex = secretIndex
      return f
    }
  }

  if (matched < 0) {
    const plural = candidates.length > 1 ? `none of the ${candidates.length} signatures in ${sigHeader} match` : `${sigHeader} does not match`
    const secrets = keys.length > 1 ? `any of the ${keys.length} configured secrets` : 'the configured secret'
    return fail('mismatch', `${plural} the body (${raw.length} bytes) signed with ${secrets}`, sigHeader, mismatchHint(candidates.map(norm), raw, keys, expected))
  }
  const ok: VerifySuccess = { ok: true, scheme, header: sigHeader, matched, signatures: candidates.length, secretIndex }
  if (timestamp !== undefined) ok.timestamp = timestamp
  if (id !== undefined) ok.id = id
  return ok
}

/**
 * Compares two strings in time independent of where they differ. Different lengths give false
 * without throwing (timingSafeEqual requires equal lengths).
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === 'string' ? Buffer.from(a) : a
  const y = typeof b === 'string' ? Buffer.from(b) : b
  if (x.length !== y.length) {
    timingSafeEqual(y, y)
    return false
  }
  return timingSafeEqual(x, y)
}

/** The seed's most common incident is "signature validation always fails": name the usual causes. */
function mismatchHint(candidates: string[], raw: Buffer, keys: readonly Buffer[], expected: (b: Buffer, key: Buffer) => string): string | undefined {
  const variants: [Buffer, string][] = [
    [Buffer.concat([raw, Buffer.from('\n')]), 'the body plus a trailing newline (e.g. `echo` without -n)'],
  ]
  if (raw.length > 0 && raw[raw.length - 1] === 0x0a) variants.push([raw.subarray(0, -1), 'the body without its trailing newline'])
  try {
    const compact = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))))
    if (!compact.equals(raw)) variants.push([compact, 're-serialised (compacted) JSON instead of the raw bytes'])
  } catch {
    // not JSON
  }
  for (const [bytes, what] of variants) {
    for (const key of keys) {
      const want = expected(bytes, key)
      if (candidates.some((c) => constantTimeEqual(c, want))) return `the signature matches ${what}: sender and receiver disagree on the exact bytes`
    }
  }
  return undefined
}

/** One key per secret, in order; at least one. */
function signingKeys(scheme: WebhookScheme, secret: string | readonly string[]): Buffer[] {
  const list = typeof secret === 'string' ? [secret] : Array.isArray(secret) ? secret : [secret as unknown as string]
  if (list.length === 0) throw new InvalidArgumentError('at least one webhook secret is required')
  return list.map((s) => signingKey(scheme, s))
}

function signingKey(scheme: WebhookScheme, secret: string): Buffer {
  if (typeof secret !== 'string' || secret.length === 0) throw new InvalidArgumentError('webhook secret must be a non-empty string')
  if (scheme !== 'standard-webhooks') return Buffer.from(secret, 'utf8')
  // Standard Webhooks: "whsec_" + base64 of the key bytes; the reference library also accepts the bare base64.
  const b64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new InvalidArgumentError('standard-webhooks secret must be "whsec_" followed by base64')
  const key = Buffer.from(b64, 'base64')
  if (key.length === 0) throw new InvalidArgumentError('standard-webhooks secret decodes to an empty key')
  return key
}

function hmac(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

function toBuffer(body: Buffer | string): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (Buffer.isBuffer(body)) return body
  throw new InvalidArgumentError('webhook body must be a string or a Buffer')
}

function concat(prefix: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(prefix, 'utf8'), body])
}

function lowerCaseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v)
  }
  return out
}

function randomId(): string {
  return randomUUID().replaceAll('-', '')
}
