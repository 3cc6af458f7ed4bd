import { readFile } from 'node:fs/promises'
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect, rootCertificates, type TLSSocket } from 'node:tls'
import { capToDeadline } from '../lib/deadline.ts'
import { errorMessage, InvalidArgumentError, optionProblem, TimeoutError } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { defaultsOf, Duration, FilePath, Options, TargetString, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'
import { parseCertificate, pemBundleToDer, type CertInfo } from './tls-cert-info.ts'
import { validatePath, type TrustStore } from './tls-chain.ts'
import { judgeTls, judgeTlsFailure, TLS_PROTOCOLS, type TlsEvidence, type TlsFindingCode, type TlsObservation, type TlsPolicy, type TlsProtocol } from './tls-judge.ts'

export type { TlsEvidence, TlsFindingCode, TlsProtocol } from './tls-judge.ts'

const TlsOptions = Options({
  host: Type.Optional(Type.String({ minLength: 1, description: 'server to connect to: host, host:port or [ipv6]:port (default: the host of the target baseUrl); in pemFile mode, the name checked against the SANs when no servername is given' })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 443, description: 'TCP port (the baseUrl port when host comes from the baseUrl)' })),
  servername: Type.Optional(TargetString({ targetDefault: 'tls.servername', description: "SNI name sent and checked against the certificate SANs (default: the target's tls.servername, else host unless it is an IP address: then no SNI is sent and the IP is checked against IP SANs)" })),
  pemFile: Type.Optional(FilePath({ what: 'PEM file', description: 'offline mode: a PEM bundle file (leaf first, then intermediates in any order), e.g. the tls.crt of a Kubernetes secret; no connection is made' })),
  ca: Type.Optional(FilePath({ what: 'CA bundle', targetDefault: 'tls.ca', description: "trust store: a PEM CA bundle file (or PEM text in code) to verify against instead of Node's bundled roots (default: the target's tls.ca)" })),
  minDays: Type.Optional(Type.Integer({ minimum: 0, default: 7, description: 'fail when fewer whole days than this are left before the leaf, or any other certificate of the verified path, expires; 0 fails only expired certificates' })),
  warnDays: Type.Optional(Type.Integer({ minimum: 0, default: 30, description: 'warn (without failing) when fewer days than this are left on any certificate of the verified path; 0 disables' })),
  minProtocol: Type.Optional(Type.Unsafe<TlsProtocol>({ type: 'string', enum: [...TLS_PROTOCOLS], default: 'TLSv1.2', description: 'lowest acceptable negotiated protocol' })),
  minRsaBits: Type.Optional(Type.Integer({ minimum: 0, default: 2048, description: 'minimum RSA (and DSA) key size of every certificate of the verified path, in bits' })),
  minEcBits: Type.Optional(Type.Integer({ minimum: 0, default: 256, description: 'minimum EC key size (curve order) of every certificate of the verified path, in bits' })),
  allowSelfSigned: Type.Optional(Type.Boolean({ default: false, description: 'accept a self-signed leaf certificate' })),
  requireSan: Type.Optional(Type.Boolean({ default: false, description: 'fail (instead of warn) when the certificate has no subjectAltName and only its subject CN names the host, which browsers reject' })),
  connectTimeout: Type.Optional(Duration({ positive: true, default: '5s', description: 'time allowed for the TCP connection' })),
  handshakeTimeout: Type.Optional(Duration({ positive: true, default: '5s', description: 'time allowed for the TLS handshake once connected' })),
})

/** Options of {@link tlsCertificate}. Give `host` (live mode) or `pemFile` (offline mode). */
export type TlsCertificateOptions = Static<typeof TlsOptions> &
  RunContext & {
    /** The current time, for judging validity (tests). Default: the real clock. In live mode OpenSSL's own verdict always uses the real clock. */
    now?: Date
  }

export const TLS_DEFAULTS = defaultsOf(TlsOptions, 'port', 'minDays', 'warnDays', 'minProtocol', 'minRsaBits', 'minEcBits', 'allowSelfSigned', 'requireSan', 'connectTimeout', 'handshakeTimeout')

export const tlsKind = defineKind({
  kind: 'tls',
  description: 'the TLS certificate of a server (or a PEM file): an RFC 5280 path validation (OpenSSL live; an agreeing validator offline) with purpose, CA constraints, incomplete chains named, hostname vs SANs, expiry of every certificate of the path, key and signature strength per certificate, protocol',
  options: TlsOptions,
  positional: 'host',
  prepare(o, ctx) {
    // host:port in one field, or both taken from the target's baseUrl.
    if (o.host !== undefined) {
      const { host, port } = splitHostPort(o.host)
      if (port !== undefined && o.port !== undefined && port !== o.port) throw optionProblem('host', `"${o.host}" names port ${port} but {port} is ${o.port}`)
      const p = port ?? o.port
      return { ...o, host, ...(p !== undefined ? { port: p } : {}) }
    }
    if (o.pemFile !== undefined || !ctx.baseUrl) return o
    const url = new URL(ctx.baseUrl)
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    return { ...o, host, port: o.port ?? (url.port ? Number(url.port) : TLS_DEFAULTS.port) }
  },
  validate: requireHostOrPem,
  title: (o) => (o.pemFile !== undefined && o.host === undefined ? `TLS certificate in ${o.pemFile.split(/[\\/]/).pop()} is valid` : `TLS certificate for ${hostPort(o.host ?? '?', o.port ?? TLS_DEFAULTS.port)} is valid`),
  run: (o, rt) => tlsCertificate({ ...o, ...rt }),
})

/** The one cross-field rule: a live check needs a host, an offline one a PEM file. */
function requireHostOrPem(o: { host?: string | undefined; pemFile?: string | undefined }): void {
  if (o.host === undefined && o.pemFile === undefined) throw optionProblem([], 'a tls check needs {host}, {pemFile}, or a target baseUrl to take the host from')
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address → host and optional port. */
export function splitHostPort(value: string): { host: string; port?: number } {
  const v = value.trim()
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(v)
  if (bracketed) return withPort(bracketed[1]!, bracketed[2], value)
  if (isIP(v) === 6) return { host: v }
  const m = /^([^:]+)(?::(\d+))?$/.exec(v)
  if (!m) throw new InvalidArgumentError(`host "${value}" is not host, host:port or [ipv6]:port`)
  return withPort(m[1]!, m[2], value)
}

function withPort(host: string, port: string | undefined, original: string): { host: string; port?: number } {
  if (port === undefined) return { host }
  const n = Number(port)
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`port in "${original}" must be 1-65535`)
  return { host, port: n }
}

/** OpenSSL errors that mean the peer answered with something that is not a TLS record. */
const NOT_TLS_CODES = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_UNKNOWN_PROTOCOL',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_HTTPS_PROXY_REQUEST',
  'ERR_SSL_RECORD_LAYER_FAILURE',
  'ERR_SSL_UNEXPECTED_RECORD',
])

/**
 * Checks a server's (or a PEM file's) certificate the way a careful operator would. The trust
 * verdict is a real RFC 5280 path validation: OpenSSL's, run by node:tls during the handshake
 * with the given CA (live mode), or the check's own OpenSSL-compatible validator (PEM file mode).
 * On top of it: an incomplete chain told apart from an untrusted one, hostname per RFC 6125,
 * validity and time left of every certificate of the path, key and signature strength of every
 * certificate of the path, what the server sends beyond the path, negotiated protocol.
 */
export async function tlsCertificate(opts: TlsCertificateOptions): Promise<CheckResult<TlsEvidence>> {
  // Explicit `undefined` (e.g. an absent target-file field) means "use the default".
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as TlsCertificateOptions
  const o: ResolvedOptions = { ...TLS_DEFAULTS, ...given }
  validate(o)
  const now = o.now ?? new Date()
  const target = o.pemFile ?? hostPort(o.host!, o.port)
  const id = o.id ?? `tls.${o.pemFile ? o.pemFile.split(/[\\/]/).pop() : o.host}`
  const title = o.title ?? `TLS certificate for ${target} is valid`
  const policy: TlsPolicy = {
    minDays: o.minDays,
    warnDays: o.warnDays,
    minProtocol: o.minProtocol,
    minRsaBits: o.minRsaBits,
    minEcBits: o.minEcBits,
    allowSelfSigned: o.allowSelfSigned,
    requireSan: o.requireSan,
  }
  return timed({ id, title, kind: 'tls' }, async (): Promise<Verdict<TlsEvidence>> => {
    const store = await loadTrustStore(o.ca)
    let presented: CertInfo[]
    let obs: Omit<TlsObservation, 'presented' | 'validation'>
    if (o.pemFile) {
      const ders = pemBundleToDer(await readText(o.pemFile, 'PEM file'))
      if (ders.length === 0) throw new Error(`PEM file ${o.pemFile} contains no certificate`)
      presented = ders.map((der, i) => parseOrExplain(der, `certificate ${i + 1} of ${o.pemFile}`))
      obs = { target, source: 'file', trustStore: store.name }
      const hostname = o.servername ?? o.host
      if (hostname !== undefined) obs.hostname = hostname
    } else {
      const host = o.host!
      const servername = o.servername ?? (isIP(bare(host)) ? undefined : host)
      const hs = await handshake({
        host: bare(host),
        port: o.port,
        servername,
        ca: store.pems,
        connectTimeout: capToDeadline(o.connectTimeout, o.deadline),
        handshakeTimeout: capToDeadline(o.handshakeTimeout, o.deadline),
        signal: o.signal,
      })
      if (!hs.ok) return judgeTlsFailure(target, hs.code, hs.message, hs.error)
      presented = hs.chain.map((der, i) => parseOrExplain(der, `certificate ${i + 1} sent by ${target}`))
      obs = { target, source: 'server', hostname: servername ?? host, trustStore: store.name, openssl: hs.verdict }
      if (hs.protocol) obs.protocol = hs.protocol
      if (hs.cipher) obs.cipher = hs.cipher
    }
    const validation = validatePath(presented, store, now)
    return judgeTls({ ...obs, presented, validation }, policy, now)
  })
}

function parseOrExplain(der: Buffer, what: string): CertInfo {
  try {
    return parseCertificate(der)
  } catch (err) {
    throw new Error(`cannot parse ${what}: ${errorMessage(err)}`, { cause: err })
  }
}

type ResolvedOptions = Omit<TlsCertificateOptions, keyof typeof TLS_DEFAULTS> & { [K in keyof typeof TLS_DEFAULTS]-?: NonNullable<TlsCertificateOptions[K]> }

function validate(o: ResolvedOptions): void {
  requireHostOrPem(o)
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host.trim() === '')) throw new InvalidArgumentError('host must be a non-empty string')
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new InvalidArgumentError(`port must be an integer 1-65535, got ${o.port}`)
  for (const key of ['minDays', 'warnDays', 'minRsaBits', 'minEcBits'] as const) {
    const v = o[key]
    if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`${key} must be a non-negative integer, got ${v}`)
  }
  for (const key of ['connectTimeout', 'handshakeTimeout'] as const) {
    const v = o[key]
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${key} must be a positive number of ms, got ${v}`)
  }
  if (!TLS_PROTOCOLS.includes(o.minProtocol)) throw new InvalidArgumentError(`minProtocol must be one of ${TLS_PROTOCOLS.join(', ')}, got ${o.minProtocol}`)
  for (const key of ['allowSelfSigned', 'requireSan'] as const) {
    if (typeof o[key] !== 'boolean') throw new InvalidArgumentError(`${key} must be a boolean`)
  }
  if (o.now !== undefined && (!(o.now instanceof Date) || Number.isNaN(o.now.getTime()))) throw new InvalidArgumentError('now must be a valid Date')
  if (o.servername !== undefined && isIP(o.servername)) throw new InvalidArgumentError('servername must be a DNS name (SNI does not carry IP addresses)')
}

function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

function hostPort(host: string, port: number): string {
  const h = bare(host)
  return `${isIP(h) === 6 ? `[${h}]` : h}:${port}`
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${errorMessage(err)}`, { cause: err })
  }
}

/** A trust store, plus the PEM text to hand to node:tls (undefined: Node's default store). */
type LoadedStore = TrustStore & { pems: string[] | undefined }

let systemStore: Promise<LoadedStore> | undefined

/**
 * The default store is what node:tls trusts when given no `ca`: its bundled roots plus
 * NODE_EXTRA_CA_CERTS. The live handshake uses Node's own copy; the parsed copy explains verdicts
 * and validates PEM files.
 */
async function loadSystemStore(): Promise<LoadedStore> {
  const pems = [...rootCertificates]
  const extra = process.env.NODE_EXTRA_CA_CERTS
  if (extra) {
    try {
      pems.push(await readFile(extra, 'utf8'))
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; so do we, by ignoring it.
    }
  }
  const certs = pems.flatMap(pemBundleToDer).flatMap((der) => {
    try {
      return [parseCertificate(der)]
    } catch {
      return []
    }
  })
  return { name: 'system roots', certs, pems: undefined }
}

async function loadTrustStore(ca: string | undefined): Promise<LoadedStore> {
  if (ca === undefined) {
    systemStore ??= loadSystemStore()
    return systemStore
  }
  const inline = ca.includes('-----BEGIN')
  const text = inline ? ca : await readText(ca, 'CA bundle')
  const name = inline ? 'CA bundle' : `CA bundle ${ca}`
  const ders = pemBundleToDer(text)
  if (ders.length === 0) throw new Error(`${name} contains no certificate`)
  const certs = ders.map((der, i) => parseOrExplain(der, `certificate ${i + 1} of the ${name}`))
  return { name, certs, pems: [text] }
}

type HandshakeOutcome =
  | { ok: true; chain: Buffer[]; verdict: { authorized: boolean; error?: string }; protocol?: string; cipher?: string }
  | { ok: false; code: Extract<TlsFindingCode, 'not-tls' | 'connect-failed' | 'handshake-failed' | 'timeout'>; message: string; error: TlsEvidence['error'] }

interface HandshakeParams {
  host: string
  port: number
  servername: string | undefined
  /** PEM text of the trust store; undefined: Node's default store. */
  ca: string[] | undefined
  connectTimeout: number
  handshakeTimeout: number
  signal: AbortSignal | undefined
}

/**
 * Connects and completes a handshake, letting OpenSSL verify the chain against the trust store
 * (RFC 5280 path validation, purpose "TLS server") without aborting on failure: the verdict is
 * `authorized` / `authorizationError`. The hostname is left to the judge (checkServerIdentity is
 * a no-op), and security level 0 lets old protocols and weak keys complete the handshake, and
 * keeps OpenSSL's verdict free of key-size rules, as `openssl verify` is by default: strength is
 * judged separately, per certificate.
 */
function handshake(p: HandshakeParams): Promise<HandshakeOutcome> {
  const target = hostPort(p.host, p.port)
  return new Promise((resolve) => {
    let phase: 'connect' | 'handshake' = 'connect'
    let settled = false
    let tlsSocket: TLSSocket | undefined
    const raw: Socket = netConnect({ host: p.host, port: p.port })
    const finish = (outcome: HandshakeOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      p.signal?.removeEventListener('abort', onAbort)
      tlsSocket?.destroy()
      raw.destroy()
      resolve(outcome)
    }
    const timeout = () => {
      const ms = phase === 'connect' ? p.connectTimeout : p.handshakeTimeout
      const err = new TimeoutError(phase, ms)
      const message = phase === 'connect' ? `TCP connect to ${target} timed out after ${ms} ms` : `TLS handshake timed out after ${ms} ms`
      finish({ ok: false, code: 'timeout', message, error: { code: err.code, phase, timeoutMs: ms } })
    }
    const onAbort = () => {
      const reason = p.signal?.reason
      finish({ ok: false, code: 'timeout', message: `${phase} with ${target} aborted: ${errorMessage(reason)}`, error: { code: 'ABORT_ERR', phase } })
    }
    let timer = setTimeout(timeout, p.connectTimeout)
    if (p.signal?.aborted) return onAbort()
    p.signal?.addEventListener('abort', onAbort, { once: true })

    raw.on('error', (err: NodeJS.ErrnoException) => {
      if (phase === 'connect') finish({ ok: false, code: 'connect-failed', message: `cannot connect to ${target}: ${err.message}`, error: { code: err.code ?? 'ERR' } })
    })
    raw.once('connect', () => {
      phase = 'handshake'
      clearTimeout(timer)
      timer = setTimeout(timeout, p.handshakeTimeout)
      const socket = tlsConnect({
        socket: raw,
        servername: p.servername,
        rejectUnauthorized: false,
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT:@SECLEVEL=0',
        checkServerIdentity: () => undefined,
        ...(p.ca ? { ca: p.ca } : {}),
      })
      tlsSocket = socket
      socket.once('secureConnect', () => {
        const chain = sentChain(socket)
        if (chain.length === 0) {
          finish({ ok: false, code: 'handshake-failed', message: `TLS handshake with ${target} completed but the server presented no certificate`, error: {} })
          return
        }
        const outcome: HandshakeOutcome = { ok: true, chain, verdict: opensslVerdict(socket) }
        const protocol = socket.getProtocol()
        if (protocol) outcome.protocol = protocol
        const cipher = socket.getCipher()?.name
        if (cipher) outcome.cipher = cipher
        finish(outcome)
      })
      socket.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? 'ERR'
        if (NOT_TLS_CODES.has(code)) {
          const reason = (err as { reason?: string }).reason ?? err.message
          finish({ ok: false, code: 'not-tls', message: `${target} does not speak TLS (${reason}): is it a plain TCP or HTTP port?`, error: { code } })
        } else if (code === 'ECONNRESET' || code === 'EPIPE') {
          finish({ ok: false, code: 'handshake-failed', message: `TLS handshake with ${target} failed: the server closed the connection`, error: { code } })
        } else {
          finish({ ok: false, code: 'handshake-failed', message: `TLS handshake with ${target} failed: ${err.message}`, error: { code } })
        }
      })
      socket.once('close', () => {
        finish({ ok: false, code: 'handshake-failed', message: `TLS handshake with ${target} failed: the server closed the connection`, error: { code: 'ECONNRESET' } })
      })
    })
  })
}

/**
 * The certificates exactly as the server sent them, leaf first, in the order sent. Node builds the
 * peer X509Certificate's `issuerCertificate` links from OpenSSL's peer chain (SSL_get_peer_cert_
 * chain) one after the other, without reordering or adding store certificates; unlike
 * getPeerCertificate(true), whose issuer walk drops intermediates sent out of order and appends
 * certificates from the trust store. The call consumes the peer chain, so it is made once.
 */
function sentChain(socket: TLSSocket): Buffer[] {
  const out: Buffer[] = []
  // A list, not a graph: duplicates the server sends are kept; the cap only guards against surprises.
  for (let cert = socket.getPeerX509Certificate(); cert && out.length < 64; cert = cert.issuerCertificate) out.push(cert.raw)
  return out
}

/** OpenSSL's verdict on the chain (the hostname is not part of it: checkServerIdentity is a no-op). */
function opensslVerdict(socket: TLSSocket): { authorized: boolean; error?: string } {
  if (socket.authorized) return { authorized: true }
  // Typed as Error, but node:tls stores OpenSSL's code as a string (`UNABLE_TO_GET_ISSUER_CERT_LOCALLY`).
  const err = socket.authorizationError as unknown
  const code = typeof err === 'string' ? err : err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : undefined
  return code ? { authorized: false, error: code } : { authorized: false }
}
