import type { Socket } from 'node:net'
import { Agent, buildConnector, errors as undiciErrors, request } from 'undici'
import { readFileSync } from 'node:fs'
import { capToDeadline } from '../lib/deadline.ts'
import { HttpConnectionError, InterruptedError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import { redactor as processRedactor, type Redactor } from '../lib/redact.ts'
import { defaultsOf, Duration, FilePath, Options, TargetString, Type, type Static } from '../lib/schema.ts'
export { displayUrl } from '../lib/url.ts'

/**
 * The one HTTP client of runbook-kit: a single request over undici with a timeout per phase,
 * a bounded body read and errors mapped to the typed error set. It never follows redirects.
 */

/**
 * The connection options every HTTP check declares (http, https-redirect, security-headers, webhook,
 * metrics, latency, the Prometheus and Grafana kinds), declared once here.
 */
export const HTTP_TRANSPORT_FIELDS = Object.freeze({
  connectTimeout: Type.Optional(Duration({ positive: true, default: '5s', description: 'time to open the connection, TLS handshake included' })),
  headersTimeout: Type.Optional(Duration({ positive: true, default: '10s', description: 'time from sending the request to the response headers' })),
  bodyTimeout: Type.Optional(Duration({ positive: true, default: '10s', description: 'longest pause while reading the body' })),
  ca: Type.Optional(FilePath({ what: 'CA file', targetDefault: 'tls.ca', description: "PEM CA bundle trusted for https instead of the system roots (a file; default: the target's tls.ca)" })),
  servername: Type.Optional(TargetString({ targetDefault: 'tls.servername', description: "TLS server name (SNI) and certificate name to verify (default: the target's tls.servername, else the URL host)" })),
})
const TransportSchema = Options(HTTP_TRANSPORT_FIELDS)
/** The transport options as a check receives them (ms, a CA file path or PEM text). */
export type HttpTransportFields = Static<typeof TransportSchema>

export interface HttpRequestOptions {
  /** Absolute `http:` or `https:` URL. */
  url: string
  /** HTTP method. Default `GET`. */
  method?: string
  /** Request headers. */
  headers?: Record<string, string>
  /** Request body. */
  body?: string | Buffer
  /** ms to open the connection, TLS handshake included (phase `connect`). Default 5000. */
  connectTimeout?: number
  /** ms from sending the request until the response headers arrive (phase `headers`). Default 10000. */
  headersTimeout?: number
  /** ms of inactivity while reading the body (phase `body`). Default 10000. */
  bodyTimeout?: number
  /** PEM CA bundle trusted for https instead of the system roots: a file path, or the PEM text itself. Default: system roots. */
  ca?: string | Buffer
  /** TLS SNI and certificate host name to check. Default: the URL's host. */
  servername?: string
  /** Reject certificates that do not verify. Default true. */
  rejectUnauthorized?: boolean
  /** Read at most this many body bytes; `truncated` says if more came. 0 reads nothing. Default 1 MiB. */
  maxBodyBytes?: number
  /** Aborting it stops the request; the promise rejects with InterruptedError. */
  signal?: AbortSignal
  /** Epoch ms by which the request must be over: each phase timeout is capped against it, so a hang names its phase. */
  deadline?: number
}

export interface HttpResponse {
  status: number
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>
  /** At most `maxBodyBytes`. */
  body: Buffer
  /** True when the server sent more than `maxBodyBytes` (the rest was not read). */
  truncated: boolean
  /** Body bytes received (more than `body.length` when truncated: reading stops after the first chunk past the limit). */
  bytes: number
  /** ms from the start of the request until the response headers arrived. */
  latencyMs: number
  /** ms from the start of the request until the body was read. */
  totalMs: number
}

export const HTTP_DEFAULTS = Object.freeze({
  method: 'GET',
  ...defaultsOf(TransportSchema, 'connectTimeout', 'headersTimeout', 'bodyTimeout'),
  rejectUnauthorized: true,
  maxBodyBytes: 1024 * 1024,
})

/**
 * Sends one request and reads the response. Throws TimeoutError (phase `connect`, `headers` or
 * `body`), HttpConnectionError (refused, reset, closed mid-body, DNS, TLS certificate) or
 * InterruptedError (the caller's signal aborted). Bad options throw InvalidArgumentError.
 */
export async function httpRequest(options: HttpRequestOptions): Promise<HttpResponse> {
  const given = { ...HTTP_DEFAULTS, ...stripUndefined(options) }
  const url = parseHttpUrl(given.url)
  // Credentials in the URL travel as Basic auth, as curl sends them (registered for redaction first);
  // the request line never carries them.
  let headers = given.headers
  if (url.username || url.password) {
    processRedactor.addUrlCredentials(given.url)
    const hasAuth = Object.keys(headers ?? {}).some((h) => h.toLowerCase() === 'authorization')
    if (!hasAuth) headers = { ...headers, authorization: basicAuthorization(safeDecode(url.username), safeDecode(url.password)) }
    url.username = ''
    url.password = ''
  }
  for (const name of ['connectTimeout', 'headersTimeout', 'bodyTimeout'] as const) {
    const v = given[name]
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${name} must be a positive number of ms, got ${String(v)}`)
  }
  const opts = {
    ...given,
    connectTimeout: capToDeadline(given.connectTimeout, given.deadline),
    headersTimeout: capToDeadline(given.headersTimeout, given.deadline),
    bodyTimeout: capToDeadline(given.bodyTimeout, given.deadline),
  }
  if (!Number.isInteger(opts.maxBodyBytes) || opts.maxBodyBytes < 0) throw new InvalidArgumentError(`maxBodyBytes must be a non-negative integer, got ${String(opts.maxBodyBytes)}`)
  if (typeof opts.method !== 'string' || !/^[A-Za-z]+$/.test(opts.method)) throw new InvalidArgumentError(`invalid HTTP method "${String(opts.method)}"`)
  const address = `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`

  const connectOptions: buildConnector.BuildOptions = { timeout: opts.connectTimeout, rejectUnauthorized: opts.rejectUnauthorized }
  if (opts.ca !== undefined) connectOptions.ca = readCa(opts.ca)
  if (opts.servername !== undefined) connectOptions.servername = opts.servername
  const connector = buildConnector(connectOptions)

  // undici's own phase timers tick at ~1 s resolution, so a 300 ms headers timeout would fire
  // after a second. Our timers are exact; undici's stay armed as a backstop.
  const ctl = new AbortController()
  let timedOut: TimeoutError | undefined
  let timer: NodeJS.Timeout | undefined
  const arm = (phase: 'headers' | 'body', ms: number) => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      timedOut = new TimeoutError(phase, ms)
      ctl.abort(timedOut)
    }, ms)
  }
  const disarm = () => clearTimeout(timer)
  const signal = opts.signal ? AbortSignal.any([opts.signal, ctl.signal]) : ctl.signal

  // One agent per request: a probe measures a fresh connection, and destroying the agent
  // afterwards guarantees no socket outlives the call.
  const agent = new Agent({
    connect: (connectOpts, callback) => {
      const cb = callback as (e: Error | null, s: unknown) => void // undici types it as a union of (err, null) and (null, socket)
      let settled = false
      // Aborting the request does not interrupt a connect in progress (undici waits for it to end),
      // so the connect timeout and the caller's signal fail the socket itself.
      const fail = (err: Error) => {
        if (settled) return
        settled = true
        clearTimeout(connectTimer)
        signal.removeEventListener('abort', onAbort)
        socket?.destroy(err)
        cb(err, null)
      }
      const onAbort = () => fail(new InterruptedError('request aborted while connecting'))
      const connectTimer = setTimeout(() => {
        timedOut = new TimeoutError('connect', opts.connectTimeout)
        fail(timedOut)
      }, opts.connectTimeout)
      signal.addEventListener('abort', onAbort, { once: true })
      const socket = connector(connectOpts, (err, sock) => {
        if (settled) {
          sock?.destroy()
          return
        }
        settled = true
        clearTimeout(connectTimer)
        signal.removeEventListener('abort', onAbort)
        if (!err) arm('headers', opts.headersTimeout)
        cb(err, sock)
      }) as unknown as Socket | undefined // undici's types say void; the connector returns the socket
    },
    headersTimeout: opts.headersTimeout,
    bodyTimeout: opts.bodyTimeout,
  })

  const started = performance.now()
  let phase: 'request' | 'body' = 'request'
  let bytes = 0
  try {
    const res = await request(url, {
      dispatcher: agent,
      method: opts.method.toUpperCase() as 'GET',
      headers,
      body: opts.body,
      signal,
    })
    const latencyMs = Math.round(performance.now() - started)
    phase = 'body'
    arm('body', opts.bodyTimeout)
    const chunks: Buffer[] = []
    let kept = 0
    let truncated = false
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      arm('body', opts.bodyTimeout)
      bytes += chunk.length
      const room = opts.maxBodyBytes - kept
      if (chunk.length > room) {
        if (room > 0) chunks.push(chunk.subarray(0, room))
        kept += room
        truncated = true
        break
      }
      chunks.push(chunk)
      kept += chunk.length
    }
    disarm()
    if (truncated) res.body.destroy()
    return {
      status: res.statusCode,
      headers: flattenHeaders(res.headers),
      body: Buffer.concat(chunks, kept),
      truncated,
      bytes,
      latencyMs,
      totalMs: Math.round(performance.now() - started),
    }
  } catch (err) {
    throw mapError(err, { phase, bytes, address, opts, signal: opts.signal, timedOut })
  } finally {
    disarm()
    // destroy, not close: close would wait for a server that never answers.
    agent.destroy().catch(() => {})
  }
}

/** Parses and checks an http(s) URL; InvalidArgumentError otherwise. */
export function parseHttpUrl(value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch (cause) {
    throw new InvalidArgumentError(`invalid URL "${value}"`, { cause })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`URL must be http: or https:, got "${value}"`)
  return url
}


function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
])

/** OpenSSL's reasons when the peer's first bytes are not a TLS record. */
const NOT_TLS = /wrong version number|packet length too long|http request|unknown protocol/i

/** The first string `code` on the error, its causes or (AggregateError from happy eyeballs) its members. */
function findCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && code !== 'UND_ERR') return code
  const inner = (err as { errors?: unknown }).errors
  if (Array.isArray(inner)) for (const e of inner) {
    const c = findCode(e, depth + 1)
    if (c) return c
  }
  return findCode((err as { cause?: unknown }).cause, depth + 1)
}

interface ErrorContext {
  phase: 'request' | 'body'
  bytes: number
  address: string
  opts: { connectTimeout: number; headersTimeout: number; bodyTimeout: number }
  signal: AbortSignal | undefined
  timedOut: TimeoutError | undefined
}

function mapError(err: unknown, ctx: ErrorContext): Error {
  if (ctx.signal?.aborted) {
    const reason = ctx.signal.reason as { message?: string } | undefined
    return new InterruptedError(`request aborted${reason?.message ? `: ${reason.message}` : ''}`, { cause: err })
  }
  if (ctx.timedOut) return new TimeoutError(ctx.timedOut.phase, ctx.timedOut.timeoutMs, { cause: err })
  if (err instanceof undiciErrors.ConnectTimeoutError) return new TimeoutError('connect', ctx.opts.connectTimeout, { cause: err })
  if (err instanceof undiciErrors.HeadersTimeoutError) return new TimeoutError('headers', ctx.opts.headersTimeout, { cause: err })
  if (err instanceof undiciErrors.BodyTimeoutError) return new TimeoutError('body', ctx.opts.bodyTimeout, { cause: err })
  if (err instanceof InvalidArgumentError) return err
  if (err instanceof undiciErrors.InvalidArgumentError) return new InvalidArgumentError(err.message, { cause: err })
  const code = findCode(err) ?? 'ECONNECTION'
  const detail = err instanceof Error ? err.message : String(err)
  const { address } = ctx
  if (ctx.phase === 'body') {
    return new HttpConnectionError(`connection closed while reading the body after ${ctx.bytes} bytes (${detail})`, code, { address, cause: err })
  }
  const host = address.slice(0, address.lastIndexOf(':'))
  let message: string
  if (code === 'ECONNREFUSED') message = `connection refused to ${address}`
  else if (code === 'ECONNRESET') message = `connection reset by ${address}`
  else if (code === 'UND_ERR_SOCKET') message = `connection closed by ${address} before the response headers (${detail})`
  else if (code === 'ENOTFOUND') message = `host not found: ${host}`
  else if (code === 'EAI_AGAIN') message = `DNS lookup failed (temporary) for ${host}`
  else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') message = `${address} is unreachable`
  else if (code === 'ETIMEDOUT') message = `connection to ${address} timed out (${code})`
  else if (NOT_TLS.test(detail)) {
    // OpenSSL's words for "that was not TLS": the usual cause is https:// to a plain-HTTP port.
    message = `TLS error from ${address}: the server did not answer with TLS (OpenSSL: ${NOT_TLS.exec(detail)![0]}): it probably speaks plain HTTP on this port; use http://, or the port that serves TLS`
  } else if (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')) message = `TLS error from ${address}: ${detail}`
  else if (code.startsWith('HPE_')) message = `invalid HTTP response from ${address}: ${detail}`
  else message = `request to ${address} failed: ${detail}`
  return new HttpConnectionError(message, code, { address, cause: err })
}

/** The transport options every HTTP check accepts and passes through to `httpRequest`. */
export type HttpTransportOptions = Pick<
  HttpRequestOptions,
  'connectTimeout' | 'headersTimeout' | 'bodyTimeout' | 'ca' | 'servername' | 'rejectUnauthorized' | 'maxBodyBytes' | 'signal' | 'deadline'
>

/** Picks the transport options out of a check's options (undefined fields left out). */
export function transportOptions(opts: HttpTransportOptions): HttpTransportOptions {
  const out: HttpTransportOptions = {}
  for (const k of ['connectTimeout', 'headersTimeout', 'bodyTimeout', 'ca', 'servername', 'rejectUnauthorized', 'maxBodyBytes', 'signal', 'deadline'] as const) {
    if (opts[k] !== undefined) (out as Record<string, unknown>)[k] = opts[k]
  }
  return out
}

/** Header names whose values are credentials: never copied into evidence, and in target files only as env: references. */
export const SENSITIVE_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|signature|token|secret|api-?key|password|passwd|credential/i

/** True when a header's value must not appear in evidence (Authorization, Cookie, *-Signature, *token*, ...). */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name)
}

/** Copy of `headers` with the values of sensitive headers replaced by `***`. */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) out[k] = isSensitiveHeader(k) ? '***' : v
  return out
}

/**
 * The value of an `Authorization: Basic` header, the one place runbook-kit builds it. The
 * credentials are registered with the redactor first (the password and `user:password`, whose
 * base64 is the header value), so a server or proxy that echoes the header cannot leak them.
 */
export function basicAuthorization(username: string | undefined, password: string | undefined, redactor: Redactor = processRedactor): string {
  redactor.addBasicCredentials(username, password)
  return `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}`
}

/** The value of an `Authorization: Bearer` header, the token registered with the redactor first. */
export function bearerAuthorization(token: string, redactor: Redactor = processRedactor): string {
  redactor.add(token)
  return `Bearer ${token}`
}

const caFiles = new Map<string, Buffer>()

/** A CA given as PEM text or as a file path (read once per run: a latency check sends hundreds of requests). */
export function readCa(ca: string | Buffer): string | Buffer {
  if (typeof ca !== 'string' || ca.includes('-----BEGIN ')) return ca
  let pem = caFiles.get(ca)
  if (!pem) {
    try {
      pem = readFileSync(ca)
    } catch (cause) {
      throw new InvalidArgumentError(`cannot read CA file ${ca}: ${(cause as Error).message}`, { cause })
    }
    caFiles.set(ca, pem)
  }
  return pem
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
