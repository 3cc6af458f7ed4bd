import { randomBytes } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { setMaxListeners } from 'node:events'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgumentError } from '../lib/errors.ts'
import { redactor } from '../lib/redact.ts'
import { createAppHandler, createRedirectHandler } from './app.ts'
import { removeDir, trackDir } from './cleanup.ts'
import { parseFaults, type Fault } from './faults.ts'
import { createAppMetrics } from './metrics.ts'
import { createCa, generateRsaKeyPem, issueCert } from './pki.ts'

export interface SandboxOptions {
  /** Faults to switch on (see FAULTS). Unknown names throw UsageError. Default none. */
  faults?: Fault[]
  /** HMAC key of the webhook. Default: 32 random bytes (hex), new each run. */
  webhookSecret?: string
  /** Password of the `admin` user of /admin. Default: random, new each run. */
  adminPassword?: string
  /** Address both ports listen on. Default `127.0.0.1`. */
  host?: string
  /** HTTPS port; 0 picks a free one. Default 0. */
  httpsPort?: number
  /** Plain-HTTP (redirecting) port; 0 picks a free one. Default 0. */
  httpPort?: number
  /** Delay added to every response under the `slow` fault, ms. Default 1500. */
  slowMs?: number
}

export interface Sandbox {
  /** `https://localhost:PORT` (no trailing slash). */
  httpsUrl: string
  /** `http://localhost:PORT`. */
  httpUrl: string
  /** Address the ports listen on, e.g. `127.0.0.1`. */
  host: string
  /** The name in the certificate and the URLs: `localhost`. */
  hostname: string
  httpsPort: number
  httpPort: number
  /** PEM file of the run's CA, in a temp dir that `close()` removes. */
  caFile: string
  caPem: string
  /** The leaf certificate served on the HTTPS port (PEM), e.g. for an SPKI pin in a browser. */
  leafCertPem: string
  webhookSecret: string
  /** User name of the admin login: `admin`. */
  adminUser: string
  adminPassword: string
  faults: Fault[]
  /** Variables for target files: SANDBOX_HTTPS_URL, SANDBOX_HTTP_URL, SANDBOX_CA_FILE, SANDBOX_HOST (= hostname), SANDBOX_HTTPS_PORT, SANDBOX_HTTP_PORT, SANDBOX_ADMIN_USER. No secrets. */
  vars: Record<string, string>
  /** Stops both servers, drops open connections and removes the temp dir. Safe to call twice. */
  close(): Promise<void>
}

export const SANDBOX_DEFAULTS = Object.freeze({ host: '127.0.0.1', httpsPort: 0, httpPort: 0, slowMs: 1500 })

const HOSTNAME = 'localhost'
const ADMIN_USER = 'admin'
const DAY_MS = 86_400_000

/**
 * Starts the demo application on loopback: HTTPS with a certificate from a CA generated for this
 * run, and a plain-HTTP port that redirects to it. Resolves once both ports listen.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const opts = { ...SANDBOX_DEFAULTS, ...options }
  const faults = parseFaults(opts.faults as string[] | undefined)
  checkPort('httpsPort', opts.httpsPort)
  checkPort('httpPort', opts.httpPort)
  if (!Number.isInteger(opts.slowMs) || opts.slowMs < 0) throw new InvalidArgumentError(`slowMs must be a non-negative integer (ms), got ${String(opts.slowMs)}`)
  if (typeof opts.host !== 'string' || opts.host === '') throw new InvalidArgumentError('host must be a non-empty address')
  const webhookSecret = opts.webhookSecret ?? randomBytes(32).toString('hex')
  if (typeof webhookSecret !== 'string' || webhookSecret === '') throw new InvalidArgumentError('webhookSecret must be a non-empty string')
  const adminPassword = opts.adminPassword ?? randomBytes(12).toString('base64url')
  if (typeof adminPassword !== 'string' || adminPassword === '') throw new InvalidArgumentError('adminPassword must be a non-empty string')
  redactor.add(webhookSecret)
  redactor.add(adminPassword)
  const faultSet = new Set(faults)

  // Key generation dominates start-up; the two keys are generated in parallel off the main thread.
  const [caKeyPem, leafKeyPem] = await Promise.all([generateRsaKeyPem(), generateRsaKeyPem()])
  const ca = createCa({ commonName: 'runbook-kit sandbox CA', keyPem: caKeyPem })
  const now = Date.now()
  const leaf = issueCert({
    issuer: ca,
    keyPem: leafKeyPem,
    ...(faultSet.has('wrong-host-cert')
      ? { commonName: 'wrong.example.test', hosts: ['wrong.example.test'] }
      : { commonName: HOSTNAME, hosts: [HOSTNAME, '127.0.0.1'] }),
    ...(faultSet.has('expired-cert') ? { notBefore: new Date(now - 90 * DAY_MS), notAfter: new Date(now - DAY_MS) } : {}),
  })

  const dir = await mkdtemp(join(tmpdir(), 'runbook-kit-sandbox-'))
  trackDir(dir)
  const caFile = join(dir, 'ca.pem')
  const lifetime = new AbortController()
  // Each request delayed by the `slow` fault listens on this signal until it answers; their number is
  // the number of requests in flight, not a leak.
  setMaxListeners(0, lifetime.signal)
  const servers: Server[] = []
  let closed: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed ??= (async () => {
      lifetime.abort()
      await Promise.all(servers.map(stopServer))
      removeDir(dir)
    })()
    return closed
  }

  try {
    await writeFile(caFile, ca.certPem, { mode: 0o644 })
    const metrics = createAppMetrics(Date.now(), [
      { method: 'GET', path: '/health', code: 200 },
      { method: 'GET', path: '/api/v1/ready', code: 200 },
      { method: 'POST', path: '/webhook/servicedesk', code: 202 },
    ])
    const https = createHttpsServer(
      { key: leaf.keyPem, cert: leaf.certPem },
      createAppHandler({ faults: faultSet, webhookSecret, adminUser: ADMIN_USER, adminPassword, slowMs: opts.slowMs, metrics, signal: lifetime.signal }),
    )
    servers.push(https)
    const httpsPort = await listen(https, opts.host, opts.httpsPort)
    const httpsUrl = `https://${HOSTNAME}:${httpsPort}`
    const http = createHttpServer(createRedirectHandler({ faults: faultSet, slowMs: opts.slowMs, signal: lifetime.signal, httpsOrigin: httpsUrl }))
    servers.push(http)
    const httpPort = await listen(http, opts.host, opts.httpPort)
    const httpUrl = `http://${HOSTNAME}:${httpPort}`
    return {
      httpsUrl,
      httpUrl,
      host: opts.host,
      hostname: HOSTNAME,
      httpsPort,
      httpPort,
      caFile,
      caPem: ca.certPem,
      leafCertPem: leaf.certPem,
      webhookSecret,
      adminUser: ADMIN_USER,
      adminPassword,
      faults,
      vars: {
        SANDBOX_HTTPS_URL: httpsUrl,
        SANDBOX_HTTP_URL: httpUrl,
        SANDBOX_CA_FILE: caFile,
        SANDBOX_HOST: HOSTNAME,
        SANDBOX_HTTPS_PORT: String(httpsPort),
        SANDBOX_HTTP_PORT: String(httpPort),
        SANDBOX_ADMIN_USER: ADMIN_USER,
      },
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

function checkPort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`${name} must be an integer from 0 to 65535, got ${String(port)}`)
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

function stopServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve()
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
