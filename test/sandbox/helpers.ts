import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect, type PeerCertificate } from 'node:tls'
import { expect } from 'vitest'

/** Sample and comment lines of the 0.0.4 text format (metric and label names, escaped label values, Go floats). */
const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (NaN|[+-]Inf|-?\d+(\.\d+)?(e[+-]?\d+)?)$/
const COMMENT_LINE = /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$/

export function expectValidExposition(text: string): void {
  expect(text.endsWith('\n')).toBe(true)
  for (const line of text.slice(0, -1).split('\n')) {
    expect(SAMPLE_LINE.test(line) || COMMENT_LINE.test(line), `invalid exposition line: ${line}`).toBe(true)
  }
}

export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: string
  ms: number
}

/** One real request (no keep-alive), trusting `ca` for HTTPS; bounded by a 10 s timeout. */
export function fetchRaw(
  url: string,
  opts: { ca?: string; method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  const started = performance.now()
  const u = new URL(url)
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca, agent: false, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** The certificate a TLS server presents (no verification), plus whether it verifies against `ca` for `servername`. */
export function peerCertificate(port: number, ca: string): Promise<{ cert: PeerCertificate; authorized: boolean; authorizationError?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca, rejectUnauthorized: false, timeout: 10_000 }, () => {
      const cert = socket.getPeerCertificate()
      const authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined
      resolve({ cert, authorized: socket.authorized, ...(authorizationError ? { authorizationError } : {}) })
      socket.end()
    })
    socket.on('timeout', () => socket.destroy(new Error('TLS handshake timed out')))
    socket.on('error', reject)
  })
}
