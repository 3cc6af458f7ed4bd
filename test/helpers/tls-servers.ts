import { spawn } from 'node:child_process'
import { createServer as createNetServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TlsOptions } from 'node:tls'

/** A loopback server the test started; `close()` stops it and drops its connections. */
export interface LoopbackServer {
  port: number
  close(): Promise<void>
}

function listen(server: Server, sockets: Set<Socket>): Promise<LoopbackServer> {
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (!address || typeof address === 'string') return reject(new Error('no port'))
      resolve({
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
          }),
      })
    })
  })
}

/** A node:tls server on 127.0.0.1:0 with the given certificate chain and options. */
export function startTlsServer(options: TlsOptions): Promise<LoopbackServer> {
  const server = createTlsServer(options, (socket) => socket.end())
  // Clients that abort mid-handshake are expected here (the check closes right after it).
  server.on('tlsClientError', () => {})
  return listen(server, new Set())
}

/** A plain TCP server that answers any bytes with an HTTP 400, like a web server on a non-TLS port. */
export function startPlainServer(): Promise<LoopbackServer> {
  const server = createNetServer((socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'))
  })
  return listen(server, new Set())
}

/** Accepts TCP connections and never says a word: a TLS handshake against it can only time out. */
export function startSilentServer(): Promise<LoopbackServer> {
  return listen(createNetServer(() => {}), new Set())
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = await listen(createNetServer(), new Set())
  await s.close()
  return s.port
}

/**
 * `openssl s_server` on 127.0.0.1 (child process, killed by `close()`). Resolves once it prints
 * ACCEPT. `args` are extra s_server options (e.g. `-cert_chain`, `-cipher`).
 */
export async function startOpensslServer(certFile: string, keyFile: string, args: string[] = []): Promise<LoopbackServer> {
  const port = await closedPort()
  const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', certFile, '-key', keyFile, '-naccept', '50', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`openssl s_server did not start: ${output}`)), 10_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('ACCEPT')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`openssl s_server exited with ${code}: ${output}`))
    })
  })
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
