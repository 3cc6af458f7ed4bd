import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'

/**
 * A throwaway Pushgateway (Debian's prometheus-pushgateway) and a Prometheus that scrapes it the way
 * the Pushgateway's README says to: `honor_labels: true`, so the pushed `job` and grouping labels win
 * over the scrape's own. Free loopback ports, temp dirs, stopped by `stop()`. (sandbox/prometheus.ts
 * starts a Prometheus for the sandbox; it has no honor_labels option, and the sandbox is not ours to change.)
 */

export const PUSHGATEWAY_BIN = process.env.PUSHGATEWAY_BIN || '/usr/bin/prometheus-pushgateway'
export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN || '/usr/bin/prometheus'

/** Why the stack cannot run here, or undefined. */
export const noPushStack: string | undefined = !existsSync(PUSHGATEWAY_BIN)
  ? `no Pushgateway at ${PUSHGATEWAY_BIN} (Debian package prometheus-pushgateway)`
  : !existsSync(PROMETHEUS_BIN)
    ? `no Prometheus at ${PROMETHEUS_BIN} (Debian package prometheus)`
    : undefined

export interface Daemon {
  url: string
  stop(): Promise<void>
}

export async function startPushgateway(): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'rbk-pushgw-'))
  return startDaemon('pushgateway', dir, (port) => [PUSHGATEWAY_BIN, [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dir, 'persist.data')}`, '--log.level=warn']])
}

/** Prometheus scraping `pushgatewayUrl` every second with honor_labels, evaluating `rulesFile` if given. */
export async function startPrometheusFor(pushgatewayUrl: string, opts: { rulesFile?: string } = {}): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'rbk-prom-push-'))
  const host = new URL(pushgatewayUrl).host
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    ...(opts.rulesFile ? { rule_files: [opts.rulesFile] } : {}),
    scrape_configs: [{ job_name: 'pushgateway', honor_labels: true, scrape_interval: '1s', scrape_timeout: '1s', static_configs: [{ targets: [host] }] }],
  }
  await writeFile(join(dir, 'prometheus.yml'), stringify(config))
  return startDaemon('prometheus', dir, (port) => [
    PROMETHEUS_BIN,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h', '--log.level=warn'],
  ])
}

/** GET /api/v1/query until `accept` takes the vector result (or the deadline passes). */
export async function queryUntil<T>(promUrl: string, query: string, accept: (result: { metric: Record<string, string>; value: [number, string] }[]) => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(2000) })
      const body = (await res.json()) as { status: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } }
      last = JSON.stringify(body).slice(0, 500)
      if (body.status === 'success' && body.data?.resultType === 'vector') {
        const ok = accept(body.data.result)
        if (ok !== undefined) return ok
      }
    } catch (err) {
      last = String(err)
    }
    await new Promise((r) => setTimeout(r, 300))
  }
  throw new Error(`Prometheus query ${query} did not give the expected result within ${timeoutMs} ms; last answer: ${last}`)
}

async function startDaemon(name: string, dir: string, command: (port: number) => [string, string[]]): Promise<Daemon> {
  let lastError = ''
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort()
    const [bin, args] = command(port)
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
    const url = `http://127.0.0.1:${port}`
    if (await waitReady(url, child)) {
      return {
        url,
        stop: async () => {
          await kill(child)
          await rm(dir, { recursive: true, force: true })
        },
      }
    }
    await kill(child)
    lastError = stderr.trim().split('\n').slice(-3).join('\n')
    if (!/address already in use/i.test(stderr)) break
  }
  await rm(dir, { recursive: true, force: true })
  throw new Error(`${name} did not become ready: ${lastError || 'no output'}`)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
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

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}
