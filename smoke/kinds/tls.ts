import { isIP } from 'node:net'
import type { TlsCertificateOptions, TlsProtocol } from '../../checks/tls.ts'
import { TLS_PROTOCOLS } from '../../checks/tls-judge.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { entryPath, requireReadableFile } from '../../lib/files.ts'
import { caEntryPath } from './http-shared.ts'
import type { BuildContext, CheckKind, CommonCheckFields } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/tls.ts')

/** A `kind: tls` entry of a target file. */
export interface TlsCheckEntry extends CommonCheckFields {
  host?: string
  port?: number
  servername?: string
  pemFile?: string
  ca?: string
  minDays?: number
  warnDays?: number
  minProtocol?: TlsProtocol
  minRsaBits?: number
  minEcBits?: number
  allowSelfSigned?: boolean
  requireSan?: boolean
  connectTimeout?: number | string
  handshakeTimeout?: number | string
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

/** Host and port to connect to: the entry's, else the target baseUrl's. Undefined in pemFile-only mode. */
function endpoint(entry: TlsCheckEntry, ctx: Pick<BuildContext, 'baseUrl'>): { host: string; port: number } | undefined {
  if (entry.host !== undefined) {
    const { host, port } = splitHostPort(entry.host)
    if (port !== undefined && entry.port !== undefined && port !== entry.port) {
      throw new InvalidArgumentError(`host "${entry.host}" names port ${port} but port is ${entry.port}`)
    }
    return { host, port: port ?? entry.port ?? 443 }
  }
  if (entry.pemFile !== undefined || !ctx.baseUrl) return undefined
  const url = new URL(ctx.baseUrl)
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  return { host, port: entry.port ?? (url.port ? Number(url.port) : 443) }
}

const nonNegativeInt = { type: 'integer', minimum: 0 }

export const tlsKind: CheckKind<TlsCheckEntry> = {
  kind: 'tls',
  description: 'TLS certificate of a server (or a PEM file): chain, hostname, expiry, key and signature strength, protocol',
  positional: 'host',
  properties: {
    host: { type: 'string', minLength: 1, description: 'server to connect to: host, host:port or [ipv6]:port (default: the host of the target baseUrl)' },
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'TCP port (default 443, or the baseUrl port when host comes from the baseUrl)' },
    servername: { type: 'string', minLength: 1, description: "SNI name sent and checked against the certificate SANs (default: the target's tls.servername, else host unless it is an IP)" },
    pemFile: { type: 'string', minLength: 1, description: 'offline mode: PEM bundle file (leaf first), e.g. the tls.crt of a Kubernetes secret; no connection is made' },
    ca: { type: 'string', minLength: 1, description: "PEM CA bundle file to verify against (relative to the target file; default: the target's tls.ca, else system roots)" },
    minDays: { ...nonNegativeInt, description: 'fail when fewer whole days than this are left before expiry (default 7)' },
    warnDays: { ...nonNegativeInt, description: 'warn (without failing) when fewer days than this are left (default 30; 0 disables)' },
    minProtocol: { type: 'string', enum: [...TLS_PROTOCOLS], description: 'lowest acceptable negotiated protocol (default TLSv1.2)' },
    minRsaBits: { ...nonNegativeInt, description: 'minimum RSA key size of the leaf in bits (default 2048)' },
    minEcBits: { ...nonNegativeInt, description: 'minimum EC key size of the leaf in bits (default 256)' },
    allowSelfSigned: { type: 'boolean', description: 'accept a self-signed leaf certificate (default false)' },
    requireSan: { type: 'boolean', description: 'fail (instead of warn) when the certificate has no subjectAltName and only its CN names the host, which browsers reject (default false)' },
    connectTimeout: { ...durationSchema, description: 'time allowed for the TCP connection (default 5s)' },
    handshakeTimeout: { ...durationSchema, description: 'time allowed for the TLS handshake once connected (default 5s)' },
  },
  title(entry, ctx) {
    if (entry.pemFile !== undefined) return `TLS certificate in ${entry.pemFile} is valid`
    try {
      const ep = endpoint(entry, ctx)
      if (ep) return `TLS certificate for ${ep.host}:${ep.port} is valid`
    } catch {
      // malformed host: build() reports it
    }
    return 'TLS certificate is valid'
  },
  build(entry, ctx) {
    const ep = endpoint(entry, ctx)
    if (!ep && entry.pemFile === undefined) {
      throw new InvalidArgumentError('a tls check needs host, pemFile, or a target baseUrl to take the host from')
    }
    const opts: TlsCertificateOptions = {}
    if (ep) {
      opts.host = ep.host
      opts.port = ep.port
    }
    if (entry.pemFile !== undefined) opts.pemFile = requireReadableFile(entryPath('pemFile', entry.pemFile, ctx), 'PEM file')
    const ca = caEntryPath(entry.ca, ctx)
    if (ca !== undefined) opts.ca = requireReadableFile(ca, 'CA bundle')
    const servername = entry.servername ?? ctx.tls.servername
    if (servername !== undefined) opts.servername = servername
    if (entry.minDays !== undefined) opts.minDays = entry.minDays
    if (entry.warnDays !== undefined) opts.warnDays = entry.warnDays
    if (entry.minProtocol !== undefined) opts.minProtocol = entry.minProtocol
    if (entry.minRsaBits !== undefined) opts.minRsaBits = entry.minRsaBits
    if (entry.minEcBits !== undefined) opts.minEcBits = entry.minEcBits
    if (entry.allowSelfSigned !== undefined) opts.allowSelfSigned = entry.allowSelfSigned
    if (entry.requireSan !== undefined) opts.requireSan = entry.requireSan
    if (entry.connectTimeout !== undefined) opts.connectTimeout = parseDuration(entry.connectTimeout)
    if (entry.handshakeTimeout !== undefined) opts.handshakeTimeout = parseDuration(entry.handshakeTimeout)
    return { run: async (signal) => (await load()).tlsCertificate({ ...opts, signal }) }
  },
}
