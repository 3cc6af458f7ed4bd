/**
 * `kind: tcp` — `tcpConnect`: a TCP port accepts connections (a database, a broker or a load
 * balancer before anything speaks a protocol to it), with the connect time against a budget.
 * Also the worked example of README's "Writing a check kind": one module, one registry line, a test.
 */
import { connect } from 'node:net'
import { capToDeadline } from '../lib/deadline.ts'
import { errorMessage, InvalidArgumentError } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { defaultsOf, Duration, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'
import { splitHostPort } from './tls.ts'

export const TcpOptions = Options({
  address: Type.String({ minLength: 1, description: 'host:port (or [ipv6]:port) that must accept a TCP connection' }),
  connectTimeout: Type.Optional(Duration({ positive: true, default: '5s', description: "time allowed to connect (capped by the check's timeout)" })),
  maxLatency: Type.Optional(Duration({ positive: true, description: 'fail when connecting takes longer than this' })),
})
export type TcpConnectOptions = Static<typeof TcpOptions> & RunContext

const DEFAULTS = defaultsOf(TcpOptions, 'connectTimeout')

export const tcpKind = defineKind({
  kind: 'tcp',
  description: 'a TCP port accepts connections (host:port), within a connect-time budget',
  options: TcpOptions,
  positional: 'address',
  validate: (o) => void endpoint(o.address),
  title: (o) => `${o.address} accepts TCP connections`,
  run: (o, rt) => tcpConnect({ ...o, ...rt }),
})

export interface TcpEvidence {
  address: string
  /** ms to the established connection. */
  connectMs?: number
  maxLatencyMs?: number
  /** The error code (ECONNREFUSED, ETIMEDOUT, ...) when it did not connect. */
  error?: string
}

/** Pure judge over what connecting gave. */
export function judgeTcp(obs: { address: string; connectMs?: number; error?: { code: string; message: string } }, maxLatency?: number): Verdict<TcpEvidence> {
  const evidence: TcpEvidence = { address: obs.address, ...(obs.connectMs !== undefined ? { connectMs: obs.connectMs } : {}), ...(maxLatency !== undefined ? { maxLatencyMs: maxLatency } : {}) }
  if (obs.error) return { status: 'fail', message: `${obs.address} does not accept connections: ${obs.error.message}`, evidence: { ...evidence, error: obs.error.code } }
  if (maxLatency !== undefined && obs.connectMs! > maxLatency) return { status: 'fail', message: `${obs.address} connected in ${obs.connectMs} ms, over the ${maxLatency} ms budget`, evidence }
  return { status: 'pass', message: `${obs.address} connected in ${obs.connectMs} ms`, evidence }
}

export async function tcpConnect(options: TcpConnectOptions): Promise<CheckResult<TcpEvidence>> {
  const o = { ...DEFAULTS, ...stripUndefined(options) }
  const { host, port } = endpoint(o.address)
  const title = o.title ?? tcpKind.title(o)
  return timed({ id: o.id ?? `tcp.${o.address}`, title, kind: 'tcp' }, async () => judgeTcp(await observe(host, port, o.address, capToDeadline(o.connectTimeout, o.deadline), o.signal), o.maxLatency))
}

function endpoint(address: string): { host: string; port: number } {
  const { host, port } = splitHostPort(address)
  if (port === undefined) throw new InvalidArgumentError(`address "${address}" has no port: write host:port`)
  return { host, port }
}

function observe(host: string, port: number, address: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<{ address: string; connectMs?: number; error?: { code: string; message: string } }> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    const done = (r: { connectMs?: number; error?: { code: string; message: string } }) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      resolve({ address, ...r })
    }
    const onAbort = () => {
      clearTimeout(timer)
      socket.destroy()
      reject(signal!.reason)
    }
    const timer = setTimeout(() => done({ error: { code: 'ETIMEDOUT', message: `connect timed out after ${timeoutMs} ms` } }), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('connect', () => done({ connectMs: Math.round(performance.now() - started) }))
    socket.once('error', (err: NodeJS.ErrnoException) => done({ error: { code: err.code ?? 'ECONNECTION', message: err.code === 'ECONNREFUSED' ? 'connection refused' : errorMessage(err) } }))
  })
}
