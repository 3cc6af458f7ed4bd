import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect, rootCertificates, type DetailedPeerCertificate, type TLSSocket } from 'node:tls'
import { errorMessage, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { parseCertificate, pemBundleToDer } from './tls-cert-info.ts'
import { verifyChain, type TrustStore } from './tls-chain.ts'
import { judgeTls, judgeTlsFailure, TLS_PROTOCOLS, type TlsEvidence, type TlsFindingCode, type TlsPolicy, type TlsProtocol } from './tls-judge.ts'

export type { TlsEvidence, TlsFindingCode, TlsProtocol } from './tls-judge.ts'

/** Options of {@link tlsCertificate}. Give `host` (live mode) or `pemFile` (offline mode). */
export interface TlsCertificateOptions {
  /** Host name or IP address to connect to. In `pemFile` mode, the name checked against the SANs (when no `servername`). */
  host?: string
  /** TCP port. Default 443. */
  port?: number
  /** SNI name sent and checked against the SANs. Default: `host`, unless `host` is an IP address (then no SNI is sent and the IP is checked against IP SANs). */
  servername?: string
  /** Offline mode: a PEM bundle file (leaf first, then intermediates), e.g. the `tls.crt` of a Kubernetes secret. No connection is made. */
  pemFile?: string
  /** Trust store: a PEM bundle file path, or PEM text. Default: Node's bundled root certificates (`tls.rootCertificates`). */
  ca?: string
  /** Fail when fewer than this many whole days are left before the leaf expires. Default 7; 0 fails only expired certificates. */
  minDays?: number
  /** Mark the result with a warning (without failing) when fewer than this many days are left. Default 30; 0 disables. */
  warnDays?: number
  /** Lowest acceptable negotiated protocol. Default `TLSv1.2`. */
  minProtocol?: TlsProtocol
  /** Minimum RSA (and DSA) key size of the leaf, in bits. Default 2048. */
  minRsaBits?: number
  /** Minimum EC key size (curve order) of the leaf, in bits. Default 256. */
  minEcBits?: number
  /** Accept a self-signed leaf (neither `self-signed` nor `untrusted` is reported for it). Default false. */
  allowSelfSigned?: boolean
  /** Milliseconds allowed for the TCP connection. Default 5000. */
  connectTimeout?: number
  /** Milliseconds allowed for the TLS handshake once connected. Default 5000. */
  handshakeTimeout?: number
  /** Aborts the connection; the runner passes one. */
  signal?: AbortSignal
  /** The current time, for judging validity (tests). Default: the real clock. */
  now?: Date
  /** Result id. Default `tls.<host>` or `tls.<pem file name>`. */
  id?: string
  /** Result title. Default "TLS certificate for <target> is valid". */
  title?: string
}

export const TLS_DEFAULTS = Object.freeze({
  port: 443,
  minDays: 7,
  warnDays: 30,
  minProtocol: 'TLSv1.2' as TlsProtocol,
  minRsaBits: 2048,
  minEcBits: 256,
  allowSelfSigned: false,
  connectTimeout: 5000,
  handshakeTimeout: 5000,
})

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
 * Checks a server's (or a PEM file's) certificate the way a careful operator would: chain to the
 * trust store (an incomplete chain is told apart from an untrusted one), hostname per RFC 6125,
 * validity and time left, key and signature strength, negotiated protocol.
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
  }
  return timed({ id, title, kind: 'tls' }, async (): Promise<Verdict<TlsEvidence>> => {
    const store = await loadTrustStore(o.ca)
    let ders: Buffer[]
    let protocol: string | undefined
    let cipher: string | undefined
    let hostname: string | undefined
    if (o.pemFile) {
      ders = pemBundleToDer(await readText(o.pemFile, 'PEM file'))
      if (ders.length === 0) throw new Error(`PEM file ${o.pemFile} contains no certificate`)
      hostname = o.servername ?? o.host
    } else {
      const host = o.host!
      const servername = o.servername ?? (isIP(bare(host)) ? undefined : host)
      const hs = await handshake({ host: bare(host), port: o.port, servername, connectTimeout: o.connectTimeout, handshakeTimeout: o.handshakeTimeout, signal: o.signal })
      if (!hs.ok) return judgeTlsFailure(target, hs.code, hs.message, hs.error)
      ders = hs.chain
      protocol = hs.protocol
      cipher = hs.cipher
      hostname = servername ?? host
    }
    const chain = ders.map(parseCertificate)
    const verification = verifyChain(chain, store)
    return judgeTls({ target, hostname, protocol, cipher, chain, verification, trustStore: store.name }, policy, now)
  })
}

type ResolvedOptions = Omit<TlsCertificateOptions, keyof typeof TLS_DEFAULTS> & { [K in keyof typeof TLS_DEFAULTS]-?: NonNullable<TlsCertificateOptions[K]> }

function validate(o: ResolvedOptions): void {
  if (!o.host && !o.pemFile) throw new InvalidArgumentError('tlsCertificate needs host (live) or pemFile (offline)')
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
  if (typeof o.allowSelfSigned !== 'boolean') throw new InvalidArgumentError('allowSelfSigned must be a boolean')
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

let systemStore: TrustStore | undefined

async function loadTrustStore(ca: string | undefined): Promise<TrustStore> {
  if (ca === undefined) {
    systemStore ??= { name: 'system roots', certs: rootCertificates.map((pem) => new X509Certificate(pem)) }
    return systemStore
  }
  const inline = ca.includes('-----BEGIN')
  const text = inline ? ca : await readText(ca, 'CA bundle')
  const name = inline ? 'CA bundle' : `CA bundle ${ca}`
  const certs = pemBundleToDer(text).map((der) => new X509Certificate(der))
  if (certs.length === 0) throw new Error(`${name} contains no certificate`)
  return { name, certs }
}

type HandshakeOutcome =
  | { ok: true; chain: Buffer[]; protocol?: string; cipher?: string }
  | { ok: false; code: Extract<TlsFindingCode, 'not-tls' | 'connect-failed' | 'handshake-failed' | 'timeout'>; message: string; error: TlsEvidence['error'] }

interface HandshakeParams {
  host: string
  port: number
  servername: string | undefined
  connectTimeout: number
  handshakeTimeout: number
  signal: AbortSignal | undefined
}

/**
 * Connects and completes a handshake without judging anything: certificate checks are ours to
 * make, so OpenSSL is told to accept whatever it sees (old protocols and weak keys included, at
 * security level 0) and to build the chain from what the server sent only (empty CA list).
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
        ca: [],
      })
      tlsSocket = socket
      socket.once('secureConnect', () => {
        const chain = peerChain(socket.getPeerCertificate(true))
        if (chain.length === 0) {
          finish({ ok: false, code: 'handshake-failed', message: `TLS handshake with ${target} completed but the server presented no certificate`, error: {} })
          return
        }
        const outcome: HandshakeOutcome = { ok: true, chain }
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

/** The certificates the server sent, leaf first, following issuer links (node stops at a self-signed one). */
function peerChain(leaf: DetailedPeerCertificate | undefined): Buffer[] {
  const out: Buffer[] = []
  const seen = new Set<string>()
  let cert = leaf
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256)
    out.push(cert.raw)
    cert = cert.issuerCertificate
  }
  return out
}
