import { webhookCheck, WEBHOOK_EXPECTATIONS, type WebhookCheckOptions, type WebhookExpectation } from '../../checks/webhook.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { schemeInfo, SIGNING_DEFAULTS, WEBHOOK_SCHEMES, type WebhookScheme } from '../../clients/webhook-signing.ts'
import { entryPath, readEntryFile } from '../../lib/files.ts'
import { resolveUrl, timeoutProperties, tlsProperties, transportFromEntry, type HttpTransportFields, titleUrl } from './http-shared.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

/** A `kind: webhook` entry of a target file. */
export interface WebhookCheckEntry extends CommonCheckFields, HttpTransportFields {
  expect?: WebhookExpectation
  url?: string
  scheme?: WebhookScheme
  secret: string
  header?: string
  prefix?: string
  payload?: string
  payloadFile?: string
  headers?: Record<string, string>
  expectStatus?: number | number[]
  controlStatus?: number | number[]
  tolerance?: number
  maxBodyBytes?: number
}

/** The seed application's endpoint. */
export const DEFAULT_WEBHOOK_PATH = '/webhook/servicedesk'

const statusCode = { type: 'integer', minimum: 100, maximum: 599 }

const WHAT: Readonly<Record<WebhookExpectation, string>> = Object.freeze({
  'accepts-valid': 'accepts a correctly signed delivery',
  'rejects-invalid': 'rejects an invalid signature',
  'rejects-missing': 'rejects a delivery without a signature',
  'rejects-replay': 'rejects a replayed delivery',
})

export const webhookKind: CheckKind<WebhookCheckEntry> = {
  kind: 'webhook',
  description: 'signed webhook delivery: valid accepted, forged/missing/replayed signatures rejected',
  positional: 'url',
  properties: {
    expect: {
      enum: [...WEBHOOK_EXPECTATIONS],
      default: 'accepts-valid',
      description:
        'what to prove: accepts-valid (correct signature → expectStatus, default 202), rejects-invalid (signature from a wrong key → 401/403), rejects-missing (no signature header → 401/403), rejects-replay (correct signature, timestamp tolerance+60 s old → 401/403; stripe, slack, standard-webhooks only). The rejects-* checks first send a correctly signed control delivery; if it is not accepted (controlStatus) the result is an error, since the rejection would prove nothing',
    },
    url: { type: 'string', minLength: 1, default: DEFAULT_WEBHOOK_PATH, description: 'absolute http(s) URL, or a path resolved against the target baseUrl' },
    scheme: {
      enum: [...WEBHOOK_SCHEMES],
      default: 'hmac-sha256-hex',
      description: 'signing scheme: hmac-sha256-hex (X-ServiceDesk-Signature: sha256=<hex>), github, stripe, slack, standard-webhooks, shopify',
    },
    secret: { type: 'string', minLength: 1, description: 'shared signing secret; write env:NAME, never the value (standard-webhooks: whsec_<base64>)' },
    header: { type: 'string', minLength: 1, default: SIGNING_DEFAULTS.header, description: 'hmac-sha256-hex only: the signature header name' },
    prefix: { type: 'string', default: SIGNING_DEFAULTS.prefix, description: 'hmac-sha256-hex only: text before the hex digest (may be empty)' },
    payload: {
      type: 'string',
      description: "request body, sent byte for byte as signed; @FILE (as curl's --data-binary) reads the file instead (default: the seed's JSON test ticket TEST-001)",
    },
    payloadFile: { type: 'string', minLength: 1, description: 'file whose exact bytes are the body (relative to the target file); exclusive with payload' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'extra request headers (default Content-Type: application/json)' },
    expectStatus: {
      anyOf: [statusCode, { type: 'array', items: statusCode, minItems: 1 }],
      description: 'status code(s) that pass (default 202 for accepts-valid, 401 or 403 for the rejects-* checks)',
    },
    controlStatus: {
      anyOf: [statusCode, { type: 'array', items: statusCode, minItems: 1 }],
      description: 'rejects-* only: status code(s) that count as accepting the correctly signed control delivery sent first (default: any 2xx)',
    },
    tolerance: { type: 'number', exclusiveMinimum: 0, default: SIGNING_DEFAULTS.tolerance, description: "timestamped schemes: the receiver's replay window in seconds" },
    maxBodyBytes: { type: 'integer', minimum: 0, description: 'read at most this many response bytes (default 1048576)' },
    ...timeoutProperties,
    ...tlsProperties,
  },
  required: ['secret'],
  secretFields: ['secret'],
  title(entry, ctx) {
    const where = titleUrl(entry.url ?? DEFAULT_WEBHOOK_PATH, ctx)
    return `Webhook ${where} ${WHAT[entry.expect ?? 'accepts-valid']} (${entry.scheme ?? 'hmac-sha256-hex'})`
  },
  build(entry, ctx) {
    const expectation = entry.expect ?? 'accepts-valid'
    const opts: WebhookCheckOptions = {
      ...transportFromEntry(entry, ctx),
      url: resolveUrl(entry.url ?? DEFAULT_WEBHOOK_PATH, ctx).toString(),
      secret: entry.secret,
    }
    if (entry.scheme !== undefined) opts.scheme = entry.scheme
    if (entry.header !== undefined) opts.header = entry.header
    if (entry.prefix !== undefined) opts.prefix = entry.prefix
    // `payload: '@file'` is curl's convention, so `check webhook URL --payload @ticket.json` reads the file.
    // Read here, so a missing file is a configuration error that names the field as written (`payload "@x.json"`).
    if (entry.payload !== undefined && entry.payloadFile !== undefined) throw new InvalidArgumentError('give either payload or payloadFile, not both')
    if (entry.payload !== undefined && entry.payload.startsWith('@') && entry.payload.length > 1) {
      opts.payload = readEntryFile({ field: 'payload', given: entry.payload, path: ctx.resolvePath(entry.payload.slice(1)) }, 'payload file')
    } else if (entry.payload !== undefined) opts.payload = entry.payload
    if (entry.payloadFile !== undefined) opts.payload = readEntryFile(entryPath('payloadFile', entry.payloadFile, ctx), 'payload file')
    if (entry.headers !== undefined) opts.headers = entry.headers
    if (entry.expectStatus !== undefined) opts.expectStatus = entry.expectStatus
    if (entry.controlStatus !== undefined) opts.controlStatus = entry.controlStatus
    if (entry.tolerance !== undefined) opts.tolerance = entry.tolerance
    if (entry.maxBodyBytes !== undefined) opts.maxBodyBytes = entry.maxBodyBytes
    // Caught here so a target file with this mistake is a configuration error before anything runs.
    if (expectation === 'rejects-replay' && !schemeInfo(opts.scheme ?? 'hmac-sha256-hex').timestamped) {
      throw new InvalidArgumentError(`expect: rejects-replay needs a timestamped scheme (stripe, slack, standard-webhooks), not ${opts.scheme ?? 'hmac-sha256-hex'}`)
    }
    return { run: (signal) => webhookCheck(expectation, { ...opts, signal }) }
  },
}
