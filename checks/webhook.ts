import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { HttpConnectionError, InvalidArgumentError, optionProblem, TimeoutError } from '../lib/errors.ts'
import { displayUrl, HTTP_DEFAULTS, HTTP_TRANSPORT_FIELDS, httpRequest, maskHeaders, parseHttpUrl, SENSITIVE_HEADER, transportOptions } from '../clients/http.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { isWebhookScheme, schemeInfo, sign, SIGNING_DEFAULTS, WEBHOOK_SCHEMES, type WebhookScheme } from '../clients/webhook-signing.ts'
import { stripUndefined } from '../lib/object.ts'
import { decodeOptions } from '../lib/options.ts'
import { defaultsOf, FilePath, Options, Secret, StatusCodes, StringMap, Type, Url, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: webhook` — live webhook checks: send one delivery to an endpoint and judge how it
 * answers. Each check sends exactly the bytes it signed (a Buffer, never re-serialised). The
 * signing itself lives in `clients/webhook-signing.ts` so the `webhook` command and tests share it.
 */

/** What a webhook check proves about the endpoint. */
export type WebhookExpectation = 'accepts-valid' | 'rejects-invalid' | 'rejects-missing' | 'rejects-replay'

export const WEBHOOK_EXPECTATIONS: readonly WebhookExpectation[] = Object.freeze(['accepts-valid', 'rejects-invalid', 'rejects-missing', 'rejects-replay'])

/** The seed runbook's test delivery (production-deployment-runbook.md, "curl with valid signature"). */
export const DEFAULT_WEBHOOK_PAYLOAD =
  '{"ticket_id": "TEST-001", "subject": "Test ticket", "description": "Testing production deployment", "tenant_id": "00000000-0000-0000-0000-000000000001"}'

/** The seed application's endpoint, under the target baseUrl. */
export const DEFAULT_WEBHOOK_PATH = '/webhook/servicedesk'

export const WebhookOptions = Options({
  expect: Type.Optional(Type.Unsafe<WebhookExpectation>({
    enum: [...WEBHOOK_EXPECTATIONS],
    default: 'accepts-valid',
    description:
      'what to prove: accepts-valid (correct signature → expectStatus, default 202), rejects-invalid (signature from a wrong key → 401/403), rejects-missing (no signature header → 401/403), rejects-replay (correct signature, timestamp tolerance+60 s old → 401/403; stripe, slack, standard-webhooks only). The rejects-* checks first send a correctly signed control delivery; if it is not accepted (controlStatus) the result is an error, since the rejection would prove nothing',
  })),
  url: Type.Optional(Url({ default: DEFAULT_WEBHOOK_PATH, description: 'the webhook endpoint: an absolute http(s) URL, or a path under the target baseUrl' })),
  scheme: Type.Optional(Type.Unsafe<WebhookScheme>({
    enum: [...WEBHOOK_SCHEMES],
    default: 'hmac-sha256-hex',
    description: 'signing scheme: hmac-sha256-hex (X-ServiceDesk-Signature: sha256=<hex>, the seed application), github, stripe, slack, standard-webhooks, shopify',
  })),
  secret: Secret(Type.String({ minLength: 1, description: 'shared signing secret (standard-webhooks: whsec_<base64>); never copied into evidence or messages' })),
  header: Type.Optional(Type.String({ minLength: 1, default: SIGNING_DEFAULTS.header, description: 'hmac-sha256-hex only: the signature header name' })),
  prefix: Type.Optional(Type.String({ default: SIGNING_DEFAULTS.prefix, description: 'hmac-sha256-hex only: text before the hex digest (may be empty)' })),
  payload: Type.Optional(Type.String({ description: "request body, sent byte for byte as signed; @FILE (as curl's --data-binary) reads the file instead (default: the seed's JSON test ticket TEST-001)" })),
  payloadFile: Type.Optional(FilePath({ what: 'payload file', description: 'file whose exact bytes are the body; exclusive with payload' })),
  headers: Type.Optional(StringMap({ secretKeys: SENSITIVE_HEADER, description: 'extra request headers (Content-Type: application/json unless given here); credentials must be env: references' })),
  expectStatus: Type.Optional(StatusCodes({ description: 'status code(s) that pass (default 202 for accepts-valid, as the seed answers "202 Accepted with job ID"; 401 or 403 for the rejects-* checks)' })),
  controlStatus: Type.Optional(StatusCodes({ description: 'rejects-* only: status code(s) that count as accepting the correctly signed control delivery sent first (default: any 2xx)' })),
  tolerance: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: SIGNING_DEFAULTS.tolerance, description: "timestamped schemes: the receiver's replay window in seconds; rejects-replay signs a timestamp tolerance + 60 s old" })),
  maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0, default: HTTP_DEFAULTS.maxBodyBytes, description: 'read at most this many response bytes' })),
  ...HTTP_TRANSPORT_FIELDS,
})

/**
 * What the webhook checks take: the options as declared (with an absolute `url`; `payloadFile` a
 * path, the `@FILE` form of `payload` is for target files and the command line), plus for library
 * callers a Buffer `payload` (sent as is), the HTTP `method` (default `POST`) and the clock `now`
 * (ms since the epoch, default `Date.now()`) used for signed timestamps. The expectation is the
 * first argument of `webhookCheck` (or the function called), not an option.
 */
export type WebhookCheckOptions = Omit<Static<typeof WebhookOptions>, 'expect' | 'url' | 'payload'> &
  Required<Pick<Static<typeof WebhookOptions>, 'url'>> &
  RunContext & { payload?: string | Buffer; method?: string; now?: number }

/** How the delivery was signed. */
export type SignatureKind = 'valid' | 'forged' | 'omitted' | 'stale'

export interface WebhookObservation {
  status?: number
  latencyMs?: number
  contentType?: string
  body?: string
  truncated?: boolean
  error?: { message: string; code: string; phase?: string }
}

// A type alias, not an interface, so it is assignable to CheckSpec's Record<string, unknown> evidence.
export type WebhookEvidence = {
  expectation: WebhookExpectation
  method: string
  url: string
  scheme: WebhookScheme
  /** Name of the header that carries (or, for `rejects-missing`, would carry) the signature. Never its value. */
  signatureHeader: string
  /** How the delivery was signed: valid; forged (a random key, right shape); omitted; stale (valid, old timestamp). */
  signature: SignatureKind
  /** Request headers sent; signature values are masked. */
  requestHeaders: Record<string, string>
  payloadBytes: number
  /** SHA-256 of the exact bytes sent and signed, so an auditor can match them to a payload file. */
  payloadSha256: string
  /** Timestamp signed into the delivery (unix s), for timestamped schemes. */
  signedTimestamp?: number
  /** Seconds between the signed timestamp and the time of sending. */
  timestampAgeS?: number
  expectedStatus: number[]
  status?: number
  latencyMs?: number
  contentType?: string
  /** First 300 characters of the response body. */
  bodyExcerpt?: string
  /** `job_id`, `jobId` or `id` from a JSON response body. */
  jobId?: string
  error?: { code: string; phase?: string }
  /**
   * `rejects-*` only: the correctly signed control delivery sent first. When it is not accepted the
   * rejection proves nothing and the result is `error`.
   */
  control?: WebhookControlEvidence
}

/** The control delivery of a `rejects-*` check: correctly signed, current timestamp, same body. */
export type WebhookControlEvidence = {
  /** Status codes that count as accepted, e.g. `2xx` or `202`. */
  expected: string
  accepted: boolean
  status?: number
  latencyMs?: number
  jobId?: string
  error?: { code: string; phase?: string }
}

type Resolved = WebhookCheckOptions & { scheme: WebhookScheme; method: string; tolerance: number }

const DEFAULTS: Readonly<Pick<Resolved, 'scheme' | 'method' | 'tolerance'>> = Object.freeze({ ...defaultsOf(WebhookOptions, 'scheme', 'tolerance'), method: 'POST' })
const DEFAULT_EXPECTATION = defaultsOf(WebhookOptions, 'expect').expect

// Decodes a default or a derived value through the same adapter as the fields a user writes.
const URL_FIELD = Options({ url: WebhookOptions.properties.url })
const AT_FILE = Options({ payload: FilePath({ what: 'payload file', description: 'the file named after @' }) })

export const webhookKind = defineKind({
  kind: 'webhook',
  description: 'signed webhook deliveries (hmac-sha256-hex, github, stripe, slack, standard-webhooks, shopify): a valid one accepted, forged, missing or replayed signatures rejected; sends real deliveries (each rejects-* check first sends a correctly signed control delivery, since a rejection proves nothing if everything is rejected)',
  options: WebhookOptions,
  positional: 'url',
  prepare(o, ctx) {
    let out = o.url === undefined ? { ...o, url: decodeOptions(URL_FIELD, { url: DEFAULT_WEBHOOK_PATH }, ctx).url } : o
    // `payload: '@file'` is curl's convention (`check webhook URL --payload @ticket.json`): the file's
    // bytes are the body. Checked now, so a missing file is a configuration error naming `payload`.
    if (o.payload !== undefined && o.payload.startsWith('@') && o.payload.length > 1 && o.payloadFile === undefined) {
      const { payload: _atFile, ...rest } = out
      out = { ...rest, payloadFile: decodeOptions(AT_FILE, { payload: o.payload.slice(1) }, ctx).payload }
    }
    return out
  },
  validate: validateWebhookOptions,
  title: (o) => defaultTitle(o.expect ?? DEFAULT_EXPECTATION, o.url ?? DEFAULT_WEBHOOK_PATH, o.scheme ?? DEFAULTS.scheme),
  run: (o, rt) => webhookCheck(o.expect ?? DEFAULT_EXPECTATION, { ...o, url: o.url ?? DEFAULT_WEBHOOK_PATH, ...rt }),
})

/**
 * The cross-field rules, for the kind (when the check is built) and for library callers (when it
 * runs): one payload source, and a replay needs a scheme that signs a timestamp.
 */
export function validateWebhookOptions(o: { expect?: WebhookExpectation | undefined; scheme?: WebhookScheme | undefined; payload?: unknown; payloadFile?: string | undefined }): void {
  if (o.payload !== undefined && o.payloadFile !== undefined) throw optionProblem('payloadFile', 'give either {payload} or {payloadFile}, not both')
  const scheme = o.scheme ?? DEFAULTS.scheme
  if ((o.expect ?? DEFAULT_EXPECTATION) === 'rejects-replay' && isWebhookScheme(scheme) && !schemeInfo(scheme).timestamped) {
    throw optionProblem('expect', `rejects-replay needs a timestamped {scheme} (stripe, slack, standard-webhooks); ${scheme} signs no timestamp`)
  }
}

const DEFAULT_STATUS: Readonly<Record<WebhookExpectation, readonly number[]>> = Object.freeze({
  'accepts-valid': [202],
  'rejects-invalid': [401, 403],
  'rejects-missing': [401, 403],
  'rejects-replay': [401, 403],
})

const ID_SUFFIX: Readonly<Record<WebhookExpectation, string>> = Object.freeze({
  'accepts-valid': 'accepts-valid-signature',
  'rejects-invalid': 'rejects-invalid-signature',
  'rejects-missing': 'rejects-missing-signature',
  'rejects-replay': 'rejects-replay',
})

const SIGNATURE_FOR: Readonly<Record<WebhookExpectation, SignatureKind>> = Object.freeze({
  'accepts-valid': 'valid',
  'rejects-invalid': 'forged',
  'rejects-missing': 'omitted',
  'rejects-replay': 'stale',
})

const EXCERPT_CHARS = 300

/** A correctly signed delivery must be accepted (default 202); evidence carries the job id when the body has one. */
export function webhookAcceptsValidSignature(opts: WebhookCheckOptions): Promise<CheckResult<WebhookEvidence>> {
  return webhookCheck('accepts-valid', opts)
}

/** A delivery signed with a wrong key must be rejected with 401 or 403; a 2xx means the endpoint accepts forgeries. */
export function webhookRejectsInvalidSignature(opts: WebhookCheckOptions): Promise<CheckResult<WebhookEvidence>> {
  return webhookCheck('rejects-invalid', opts)
}

/** A delivery without the signature header must be rejected with 401 or 403. */
export function webhookRejectsMissingSignature(opts: WebhookCheckOptions): Promise<CheckResult<WebhookEvidence>> {
  return webhookCheck('rejects-missing', opts)
}

/** Timestamped schemes only: a correctly signed delivery older than the tolerance (+60 s) must be rejected. */
export function webhookRejectsReplay(opts: WebhookCheckOptions): Promise<CheckResult<WebhookEvidence>> {
  return webhookCheck('rejects-replay', opts)
}

/** All four webhook checks behind one entry point (what the `webhook` target-file kind calls). */
export async function webhookCheck(expectation: WebhookExpectation, options: WebhookCheckOptions): Promise<CheckResult<WebhookEvidence>> {
  if (!WEBHOOK_EXPECTATIONS.includes(expectation)) throw new InvalidArgumentError(`unknown webhook expectation "${String(expectation)}"; expected one of ${WEBHOOK_EXPECTATIONS.join(', ')}`)
  const opts: Resolved = { ...DEFAULTS, ...stripUndefined(options) }
  if (typeof opts.url !== 'string') throw new InvalidArgumentError('webhook check: url is required')
  parseHttpUrl(opts.url)
  if (!isWebhookScheme(opts.scheme)) throw new InvalidArgumentError(`unknown webhook scheme "${String(opts.scheme)}"; expected one of ${WEBHOOK_SCHEMES.join(', ')}`)
  if (typeof opts.secret !== 'string' || opts.secret === '') throw new InvalidArgumentError('webhook check: secret is required (reference it as env:NAME in a target file)')
  if (!Number.isFinite(opts.tolerance) || opts.tolerance <= 0) throw new InvalidArgumentError(`tolerance must be a positive number of seconds, got ${opts.tolerance}`)
  validateWebhookOptions({ ...opts, expect: expectation })
  const info = schemeInfo(opts.scheme, opts)
  const expectStatus = normalizeStatuses(opts.expectStatus, DEFAULT_STATUS[expectation])
  const controlStatus = opts.controlStatus === undefined ? undefined : normalizeStatuses(opts.controlStatus, [], 'controlStatus')
  const body = loadPayload(opts)
  // Validate the secret for the scheme (e.g. Standard Webhooks base64) before anything is sent.
  sign(opts.scheme, opts.secret, body, opts)

  const id = opts.id ?? `webhook.${ID_SUFFIX[expectation]}`
  const title = opts.title ?? defaultTitle(expectation, opts.url, opts.scheme)
  return timed({ id, title, kind: 'webhook' }, async () => {
    // One clock reading for signing and for the evidence, so the reported age is the signed one.
    const nowMs = opts.now ?? Date.now()
    // The control goes first: a probe answered before it could be what made the endpoint refuse it (rate limits, dedup).
    const control = expectation === 'accepts-valid' ? undefined : await send(opts, body, buildDelivery('accepts-valid', opts, body, info.signatureHeader, nowMs).headers)
    const delivery = buildDelivery(expectation, opts, body, info.signatureHeader, nowMs)
    const obs = control === undefined || controlAccepted(control, controlStatus) ? await send(opts, body, delivery.headers) : {}
    const evidence: WebhookEvidence = {
      expectation,
      method: opts.method.toUpperCase(),
      url: displayUrl(opts.url),
      scheme: opts.scheme,
      signatureHeader: info.signatureHeader,
      signature: SIGNATURE_FOR[expectation],
      requestHeaders: maskSignature(delivery.headers, info.signatureHeader),
      payloadBytes: body.length,
      payloadSha256: createHash('sha256').update(body).digest('hex'),
      expectedStatus: expectStatus,
    }
    if (delivery.timestamp !== undefined) {
      evidence.signedTimestamp = delivery.timestamp
      evidence.timestampAgeS = Math.floor(nowMs / 1000) - delivery.timestamp
    }
    return judgeWebhook(expectation, obs, evidence, control === undefined ? undefined : { obs: control, ...(controlStatus ? { expectedStatus: controlStatus } : {}) })
  })
}

/** The control delivery's response and what counts as accepting it (default: any 2xx). */
export interface WebhookControl {
  obs: WebhookObservation
  expectedStatus?: number[]
}

function controlAccepted(obs: WebhookObservation, expected: readonly number[] | undefined): boolean {
  if (obs.error || obs.status === undefined) return false
  return expected ? expected.includes(obs.status) : obs.status >= 200 && obs.status < 300
}

/**
 * Pure: the verdict on one delivery's response. `evidence` carries what was sent; the observation is added to it.
 * `rejects-*` checks pass the control delivery's response: unless the endpoint accepted it, the
 * rejection proves nothing (an endpoint that rejects everything would "pass"), so the result is `error`.
 */
export function judgeWebhook(expectation: WebhookExpectation, obs: WebhookObservation, sent: WebhookEvidence, control?: WebhookControl): Verdict<WebhookEvidence> {
  const evidence: WebhookEvidence = { ...sent }
  if (control !== undefined && expectation !== 'accepts-valid') {
    const c = control.obs
    const accepted = controlAccepted(c, control.expectedStatus)
    const ce: WebhookControlEvidence = { expected: control.expectedStatus ? control.expectedStatus.join(' or ') : '2xx', accepted }
    if (c.status !== undefined) ce.status = c.status
    if (c.latencyMs !== undefined) ce.latencyMs = c.latencyMs
    const controlJob = c.body !== undefined ? extractJobId(c.body) : undefined
    if (controlJob !== undefined) ce.jobId = controlJob
    if (c.error) ce.error = { code: c.error.code, ...(c.error.phase ? { phase: c.error.phase } : {}) }
    evidence.control = ce
    if (c.error) {
      // The endpoint is down or unreachable: a target problem, so fail like every other check.
      return { status: 'fail', message: `${evidence.method} ${evidence.url}: correctly signed control delivery: ${c.error.message}`, evidence }
    }
    if (!accepted) {
      const got = c.status === undefined ? 'no status' : String(c.status)
      const fix = c.status === 401 || c.status === 403 ? 'check the scheme and secret' : 'check the url, scheme and secret'
      return {
        status: 'error',
        message: `the endpoint rejects correctly signed deliveries too (got ${got}), so rejecting ${ONE[expectation]} proves nothing — ${fix}`,
        evidence,
      }
    }
  }
  if (obs.status !== undefined) evidence.status = obs.status
  if (obs.latencyMs !== undefined) evidence.latencyMs = obs.latencyMs
  if (obs.contentType !== undefined) evidence.contentType = obs.contentType
  if (obs.body !== undefined && obs.body !== '') evidence.bodyExcerpt = excerpt(obs.body, obs.truncated)
  const jobId = obs.body !== undefined ? extractJobId(obs.body) : undefined
  if (jobId !== undefined) evidence.jobId = jobId
  const where = `${evidence.method} ${evidence.url}`
  if (obs.error) {
    evidence.error = { code: obs.error.code, ...(obs.error.phase ? { phase: obs.error.phase } : {}) }
    return { status: 'fail', message: `${where}: ${obs.error.message}`, evidence }
  }
  const status = obs.status
  const expected = evidence.expectedStatus
  const expectedText = expected.join(' or ')
  if (status !== undefined && expected.includes(status)) {
    if (expectation === 'accepts-valid') {
      return { status: 'pass', message: `accepted a correctly signed ${evidence.scheme} webhook with ${status}${jobId !== undefined ? ` (job id ${jobId})` : ''}`, evidence }
    }
    const controlText = evidence.control?.status !== undefined ? ` (a correctly signed one got ${evidence.control.status})` : ''
    return { status: 'pass', message: `rejected ${WHAT[expectation]} with ${status}${controlText}`, evidence }
  }
  const got = status === undefined ? 'no status' : String(status)
  if (expectation === 'accepts-valid') {
    if (status === 401 || status === 403) {
      return {
        status: 'fail',
        message: `endpoint REJECTED a correctly signed webhook (got ${status}, expected ${expectedText}): the secret, scheme or ${evidence.signatureHeader} header differ from what the endpoint verifies`,
        evidence,
      }
    }
    return { status: 'fail', message: `expected ${expectedText} for a correctly signed webhook, got ${got}`, evidence }
  }
  if (status !== undefined && status >= 200 && status < 300) {
    return { status: 'fail', message: `${ACCEPTS[expectation](evidence)} (got ${status})`, evidence }
  }
  return { status: 'fail', message: `expected ${expectedText} for ${WHAT[expectation]}, got ${got}`, evidence }
}

const WHAT: Readonly<Record<Exclude<WebhookExpectation, 'accepts-valid'>, string>> = Object.freeze({
  'rejects-invalid': 'a forged signature',
  'rejects-missing': 'a delivery without a signature',
  'rejects-replay': 'a replayed (stale) delivery',
})

const ONE: Readonly<Record<Exclude<WebhookExpectation, 'accepts-valid'>, string>> = Object.freeze({
  'rejects-invalid': 'a forged one',
  'rejects-missing': 'an unsigned one',
  'rejects-replay': 'a replayed one',
})

const ACCEPTS: Readonly<Record<Exclude<WebhookExpectation, 'accepts-valid'>, (e: WebhookEvidence) => string>> = Object.freeze({
  'rejects-invalid': () => 'endpoint ACCEPTS forged webhooks',
  'rejects-missing': (e: WebhookEvidence) => `endpoint ACCEPTS webhooks without the ${e.signatureHeader} header`,
  'rejects-replay': (e: WebhookEvidence) => `endpoint ACCEPTS replayed webhooks: a delivery signed ${e.timestampAgeS ?? '?'} s ago was not rejected`,
})

/** `job_id`, `jobId` or `id` (string or number) from a JSON object body. */
export function extractJobId(body: string): string | undefined {
  let data: unknown
  try {
    data = JSON.parse(body)
  } catch {
    return undefined
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined
  for (const key of ['job_id', 'jobId', 'id']) {
    const v = (data as Record<string, unknown>)[key]
    if (typeof v === 'string' && v !== '') return v
    if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  }
  return undefined
}

interface Delivery {
  headers: Record<string, string>
  timestamp?: number
}

function buildDelivery(expectation: WebhookExpectation, opts: Resolved, body: Buffer, signatureHeader: string, nowMs: number): Delivery {
  const nowS = Math.floor(nowMs / 1000)
  const signing = { now: nowMs, ...(opts.header !== undefined ? { header: opts.header } : {}), ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) }
  let signed: Record<string, string>
  let timestamp: number | undefined = nowS
  switch (expectation) {
    case 'accepts-valid':
    case 'rejects-missing':
      signed = sign(opts.scheme, opts.secret, body, signing)
      break
    case 'rejects-invalid':
      // Right shape, wrong key: a random key the endpoint cannot know (base64 so every scheme accepts it).
      signed = sign(opts.scheme, 'whsec_' + randomBytes(32).toString('base64'), body, signing)
      break
    case 'rejects-replay':
      timestamp = nowS - (opts.tolerance + 60)
      signed = sign(opts.scheme, opts.secret, body, { ...signing, timestamp })
      break
  }
  if (expectation === 'rejects-missing') {
    for (const k of Object.keys(signed)) if (k.toLowerCase() === signatureHeader.toLowerCase()) delete signed[k]
  }
  const headers: Record<string, string> = {}
  const extra = opts.headers ?? {}
  if (!Object.keys(extra).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json'
  Object.assign(headers, extra, signed)
  const delivery: Delivery = { headers }
  if (schemeInfo(opts.scheme, opts).timestamped) delivery.timestamp = timestamp
  return delivery
}

async function send(opts: Resolved, body: Buffer, headers: Record<string, string>): Promise<WebhookObservation> {
  try {
    const res = await httpRequest({ ...transportOptions(opts), url: opts.url, method: opts.method, headers, body })
    const obs: WebhookObservation = { status: res.status, latencyMs: res.latencyMs, body: res.body.toString('utf8'), truncated: res.truncated }
    if (res.headers['content-type'] !== undefined) obs.contentType = res.headers['content-type']
    return obs
  } catch (err) {
    if (err instanceof TimeoutError) return { error: { message: err.message, code: err.code, phase: String(err.phase) } }
    if (err instanceof HttpConnectionError) return { error: { message: err.message, code: err.code } }
    throw err // interrupted, bad arguments, bugs: not the endpoint's fault
  }
}

function loadPayload(opts: WebhookCheckOptions): Buffer {
  if (opts.payloadFile !== undefined) {
    try {
      return readFileSync(opts.payloadFile)
    } catch (cause) {
      throw new InvalidArgumentError(`cannot read payloadFile ${opts.payloadFile}: ${(cause as Error).message}`, { cause })
    }
  }
  const p = opts.payload ?? DEFAULT_WEBHOOK_PAYLOAD
  if (typeof p === 'string') return Buffer.from(p, 'utf8')
  if (Buffer.isBuffer(p)) return p
  throw new InvalidArgumentError('payload must be a string or a Buffer')
}

function normalizeStatuses(value: number | number[] | undefined, fallback: readonly number[], name = 'expectStatus'): number[] {
  const list = value === undefined ? [...fallback] : Array.isArray(value) ? value : [value]
  if (list.length === 0 || !list.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
    throw new InvalidArgumentError(`${name} must be an HTTP status code (100-599) or a non-empty list of them, got ${JSON.stringify(value)}`)
  }
  return list
}

function maskSignature(headers: Record<string, string>, signatureHeader: string): Record<string, string> {
  const masked = maskHeaders(headers)
  for (const k of Object.keys(masked)) if (k.toLowerCase() === signatureHeader.toLowerCase()) masked[k] = '***'
  return masked
}

function defaultTitle(expectation: WebhookExpectation, url: string, scheme: WebhookScheme): string {
  const u = displayUrl(url)
  switch (expectation) {
    case 'accepts-valid':
      return `Webhook ${u} accepts a correctly signed delivery (${scheme})`
    case 'rejects-invalid':
      return `Webhook ${u} rejects an invalid signature (${scheme})`
    case 'rejects-missing':
      return `Webhook ${u} rejects a delivery without a signature (${scheme})`
    case 'rejects-replay':
      return `Webhook ${u} rejects a replayed delivery (${scheme})`
  }
}

function excerpt(body: string, truncated = false): string {
  if (body.includes('\u0000')) return `<binary body, ${Buffer.byteLength(body)} bytes>`
  const chars = [...body]
  if (chars.length <= EXCERPT_CHARS) return truncated ? `${body}…` : body
  return `${chars.slice(0, EXCERPT_CHARS).join('')}…`
}
