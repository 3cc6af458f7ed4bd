import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { createCa, issueCert } from '../../sandbox/pki.ts'

/** Loopback servers for the HTTP tests: started on port 0, closed (connections included) by `close()`. */

export interface TestServer {
  port: number
  /** `http://127.0.0.1:PORT` (https:// for TLS servers). */
  url: string
  /** Connections accepted so far. */
  connections: () => number
  /** Connections currently open. */
  open: () => number
  close: () => Promise<void>
}

export async function startHttpServer(handler: http.RequestListener, tls?: { key: string; cert: string }): Promise<TestServer> {
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler)
  let accepted = 0
  const sockets = new Set<net.Socket>()
  server.on(tls ? 'secureConnection' : 'connection', (s: net.Socket) => {
    accepted++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    connections: () => accepted,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A TCP server that accepts connections and never writes a byte (nor completes a TLS handshake). */
export async function startSilentServer(): Promise<TestServer> {
  const sockets = new Set<net.Socket>()
  let accepted = 0
  const server = net.createServer((s) => {
    accepted++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    // Consume (and ignore) what the client sends; a paused socket would never see the client's FIN.
    s.resume()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A throwaway CA and a leaf for localhost / 127.0.0.1. */
export function testPki(): { caPem: string; key: string; cert: string } {
  const ca = createCa({ commonName: 'http tests CA' })
  const leaf = issueCert({ issuer: ca, commonName: 'localhost', hosts: ['localhost', '127.0.0.1'] })
  return { caPem: ca.certPem, key: leaf.keyPem, cert: leaf.certPem }
}
