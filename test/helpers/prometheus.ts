import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo, Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../lib/errors.ts'
import { Redactor } from '../../lib/redact.ts'
import type { CheckSpec } from '../../lib/runner.ts'
import { buildChecks } from '../../smoke/build-checks.ts'
import { loadTarget } from '../../smoke/target-file.ts'
import { resolveVariables } from '../../smoke/variables.ts'
import { prometheusUnavailableReason, startPrometheus, type PrometheusServer } from '../../sandbox/prometheus.ts'

/**
 * Test fixture for the Prometheus kinds: a loopback exporter whose exposition the test controls,
 * scraped every second by a throwaway Prometheus (Debian's binary), and a port nobody listens on.
 * One per test file (start in beforeAll, stop in afterAll).
 */

/** Why the real-Prometheus tests cannot run here, or undefined when they can (CI installs the binary in .ci/run). */
export const noPrometheus: string | undefined = prometheusUnavailableReason()

export interface PromFixture {
  /** The Prometheus base URL; undefined when the binary is missing (those tests are skipped). */
  url: string | undefined
  exporterPort: number
  /** A loopback port with no listener: bound, its number learnt, closed. */
  closedPort: number
  /** Replaces what the exporter serves from the next scrape on. */
  setExposition(text: string): void
  stop(): Promise<void>
}

/** Listens on a free loopback port; resolves to the port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/**
 * Starts the exporter and, when installed, Prometheus scraping it (and, with `downTarget`, the
 * closed port too, as a second target of job `demo`); waits for the first scrape.
 */
export async function startPromFixture(opts: { exposition: string; rules?: string; downTarget?: boolean }): Promise<PromFixture> {
  let exposition = opts.exposition
  const exporter = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4')
    res.end(exposition)
  })
  const exporterPort = await listen(exporter)
  const tmp = createServer()
  const closedPort = await listen(tmp)
  await new Promise((r) => tmp.close(r))
  let prom: PrometheusServer | undefined
  if (!noPrometheus) {
    const scrapeUrl = [`http://127.0.0.1:${exporterPort}/metrics`, ...(opts.downTarget ? [`http://127.0.0.1:${closedPort}/metrics`] : [])]
    const started = await startPrometheus({ scrapeUrl, jobName: 'demo', ...(opts.rules ? { rules: opts.rules } : {}) })
    if (!started.ok) throw new Error(started.reason)
    prom = started
    await prom.waitForFirstScrape(20_000)
  }
  return {
    url: prom?.url,
    exporterPort,
    closedPort,
    setExposition: (text) => void (exposition = text),
    stop: async () => {
      await prom?.stop()
      exporter.close()
    },
  }
}

/**
 * Loads `yaml` as a target file (in a temp folder) and builds its checks as the smoke suite does;
 * resolves to the checks, or to the ConfigError's description (path, line and message per problem).
 */
export async function buildTargetFile(yaml: string, env: Record<string, string> = {}): Promise<{ checks?: CheckSpec[]; problems?: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rbk-prom-target-'))
  try {
    const file = join(dir, 't.yaml')
    writeFileSync(file, yaml)
    const redactor = new Redactor()
    const loaded = await loadTarget(file)
    const target = resolveVariables(loaded, { env, redactor })
    return { checks: buildChecks(loaded, target, { reportDir: dir, redactor }) }
  } catch (err) {
    if (err instanceof ConfigError) return { problems: err.describe() }
    throw err
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
