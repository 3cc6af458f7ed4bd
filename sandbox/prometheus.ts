import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { abortReason, removeDir, trackChild, trackDir } from './cleanup.ts'

/**
 * A throwaway Prometheus server (Debian's `/usr/bin/prometheus`) scraping URLs the caller names:
 * temp dir for config and TSDB, a free loopback port, ready when `/-/ready` answers 200.
 * Used by the sandbox target and by tests; never imported by `checks/` or `lib/`.
 */

export interface StartPrometheusOptions {
  /** URL(s) to scrape, e.g. `https://127.0.0.1:8443/metrics`. All go into one job. */
  scrapeUrl: string | string[]
  /** Scrape and rule evaluation interval, Prometheus duration syntax. Default `1s`. */
  scrapeInterval?: string
  /** Job name of the scrape config. Default `sandbox`. */
  jobName?: string
  /** PEM CA bundle file to verify an `https` scrape URL. Default: system roots. */
  caFile?: string
  /** TLS server name for an `https` scrape URL. Default: the URL's host. */
  serverName?: string
  /** Extra labels put on every target. */
  labels?: Record<string, string>
  /** Contents of a rules file (YAML, Prometheus rule-file format), for alerting tests. */
  rules?: string
  /** Prometheus binary. Default `/usr/bin/prometheus`, or `$PROMETHEUS_BIN`. */
  binary?: string
  /** How long to wait for `/-/ready`, in ms. Default 20000. */
  readyTimeoutMs?: number
  /** Aborting it stops the start: the server is killed and its folder removed; the start rejects. */
  signal?: AbortSignal
}

export interface PrometheusServer {
  ok: true
  /** Base URL, e.g. `http://127.0.0.1:39123`. */
  url: string
  /** Temp directory holding the config and the TSDB; removed by `stop()`. */
  dir: string
  /** Resolves once every active target has been scraped at least once (or rejects after `timeoutMs`). */
  waitForFirstScrape(timeoutMs?: number): Promise<void>
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its temp directory. */
  stop(): Promise<void>
}

export interface PrometheusUnavailable {
  ok: false
  /** Why no server was started, e.g. "prometheus binary not found at /usr/bin/prometheus". */
  reason: string
}

const DEFAULTS = Object.freeze({
  scrapeInterval: '1s',
  jobName: 'sandbox',
  binary: process.env.PROMETHEUS_BIN || '/usr/bin/prometheus',
  readyTimeoutMs: 20_000,
})

/** Why Prometheus cannot be started here, or undefined when it can. */
export function prometheusUnavailableReason(binary: string = DEFAULTS.binary): string | undefined {
  return existsSync(binary) ? undefined : `prometheus binary not found at ${binary} (Debian package "prometheus")`
}

/** Starts a throwaway Prometheus. Returns `{ ok: false, reason }` when the binary is missing; throws if it fails to start. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer | PrometheusUnavailable> {
  const opts = { ...DEFAULTS, ...options }
  const missing = prometheusUnavailableReason(opts.binary)
  if (missing) return { ok: false, reason: missing }
  const urls = (Array.isArray(opts.scrapeUrl) ? opts.scrapeUrl : [opts.scrapeUrl]).map((u) => new URL(u))
  if (urls.length === 0) throw new RangeError('startPrometheus: scrapeUrl is empty')
  const scheme = urls[0]!.protocol.replace(':', '')
  const metricsPath = urls[0]!.pathname || '/metrics'
  for (const u of urls) {
    if (u.protocol !== urls[0]!.protocol || (u.pathname || '/metrics') !== metricsPath) {
      throw new RangeError('startPrometheus: all scrape URLs must share scheme and path (one job)')
    }
  }

  const { signal } = opts
  signal?.throwIfAborted()
  const dir = await mkdtemp(join(tmpdir(), 'rbk-prometheus-'))
  trackDir(dir)
  try {
    return await startIn(dir, opts, urls, scheme, metricsPath)
  } catch (err) {
    removeDir(dir)
    throw signal?.aborted ? abortReason(signal) : err
  }
}

async function startIn(dir: string, opts: StartPrometheusOptions & { scrapeInterval: string; jobName: string; binary: string; readyTimeoutMs: number }, urls: URL[], scheme: string, metricsPath: string): Promise<PrometheusServer> {
  const { signal } = opts
  const job: Record<string, unknown> = {
    job_name: opts.jobName,
    scheme,
    metrics_path: metricsPath,
    scrape_interval: opts.scrapeInterval,
    // Prometheus rejects a timeout longer than the interval (the default timeout is 10s).
    scrape_timeout: opts.scrapeInterval,
    static_configs: [{ targets: urls.map((u) => u.host), ...(opts.labels ? { labels: opts.labels } : {}) }],
  }
  if (scheme === 'https') {
    const tls: Record<string, unknown> = {}
    if (opts.caFile) tls.ca_file = opts.caFile
    if (opts.serverName) tls.server_name = opts.serverName
    job.tls_config = tls
  }
  const config: Record<string, unknown> = {
    global: { scrape_interval: opts.scrapeInterval, evaluation_interval: opts.scrapeInterval },
    scrape_configs: [job],
  }
  if (opts.rules) {
    await writeFile(join(dir, 'rules.yml'), opts.rules)
    config.rule_files = [join(dir, 'rules.yml')]
  }
  await writeFile(join(dir, 'prometheus.yml'), stringify(config))

  let lastError = ''
  for (let tries = 0; tries < 3; tries++) {
    signal?.throwIfAborted()
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const child = trackChild(spawn(
      opts.binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    ))
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000)
    })
    const ready = await waitReady(url, child, opts.readyTimeoutMs, signal)
    if (ready && !signal?.aborted) {
      return {
        ok: true,
        url,
        dir,
        waitForFirstScrape: (timeoutMs = 15_000) => waitForFirstScrape(url, timeoutMs),
        stop: async () => {
          await kill(child)
          removeDir(dir)
        },
      }
    }
    await kill(child)
    signal?.throwIfAborted()
    lastError = stderr.trim().split('\n').slice(-3).join('\n')
    // "address already in use" means we lost the port race: try another port.
    if (!/address already in use/i.test(stderr)) break
  }
  throw new Error(`prometheus did not become ready: ${lastError || 'no output'}`)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && !signal?.aborted) {
    if (child.exitCode !== null || child.signalCode !== null) return false
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (res.status === 200) return true
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}

async function waitForFirstScrape(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(1000) })
      const body = (await res.json()) as { data?: { activeTargets?: { health: string }[] } }
      const targets = body.data?.activeTargets ?? []
      if (targets.length > 0 && targets.every((t) => t.health !== 'unknown')) return
    } catch {
      // retry until the deadline
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`prometheus at ${url}: targets not scraped within ${timeoutMs} ms`)
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}
