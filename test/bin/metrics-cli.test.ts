import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseExposition } from '../../clients/prom-text.ts'
import type { RunReport } from '../../lib/report/model.ts'
import { repoRoot, runCli, type CliRun } from '../helpers/cli.ts'
import { noPushStack, queryUntil, startPrometheusFor, startPushgateway, type Daemon } from '../helpers/push-stack.ts'
import { readReport, startLoopbackApp, type LoopbackApp } from '../helpers/scale.ts'
import { closedPort } from '../helpers/services.ts'

// --metrics-file and --pushgateway, against the real Pushgateway, scraped by the real Prometheus.

const RULES = join(repoRoot, 'deploy', 'prometheus', 'runbook-kit.rules.yml')
// A target name with a slash (base64 in the Pushgateway path) and characters label values must escape.
const TARGET_NAME = 'prod/eu "1" \\ west'

const work = mkdtempSync(join(tmpdir(), 'rbk-metrics-'))
let app: LoopbackApp
let gateway: Daemon
let prometheus: Daemon
let target: string
let runs: { run: CliRun; dir: string; prom: string }[] = []

beforeAll(async () => {
  if (noPushStack) return
  app = await startLoopbackApp()
  target = join(work, 'metrics.yaml')
  writeFileSync(
    target,
    [
      `name: '${TARGET_NAME.replace(/'/g, "''")}'`,
      `baseUrl: ${app.url}`,
      'checks:',
      '  - { id: health, kind: http, url: /ok/health }',
      '  - { id: ready, kind: http, url: /fail/ready }',
      '  - { id: orders, kind: http, url: /ok/orders }',
      '  - { id: tls-later, kind: http, url: /ok/x, skip: "waived (OPS-2)" }',
      '  - { id: slow, kind: http, url: /slow/1 }',
      '',
    ].join('\n'),
  )
  gateway = await startPushgateway()
  prometheus = await startPrometheusFor(gateway.url, { rulesFile: RULES })
  runs = await Promise.all(
    [1, 2].map(async (i) => {
      const dir = join(work, `shard-${i}`)
      const prom = join(work, `shard-${i}.prom`)
      const run = await runCli(['smoke', '--target', target, '--shard', `${i}/2`, '--report-dir', dir, '--metrics-file', prom, '--pushgateway', gateway.url], { timeoutMs: 90_000 })
      return { run, dir, prom }
    }),
  )
}, 180_000)
afterAll(async () => {
  await Promise.all([app?.close(), prometheus?.stop(), gateway?.stop()])
  rmSync(work, { recursive: true, force: true })
})

describe.skipIf(noPushStack)('results as Prometheus series', () => {
  it('writes the metrics file atomically (no temp file left) in text format 0.0.4, as the report says', () => {
    for (const { run, dir, prom } of runs) {
      expect(run.stderr).toBe('')
      expect(run.stdout).toContain(`Metrics: ${prom}`)
      const parsed = parseExposition(readFileSync(prom, 'utf8'), 'prometheus')
      expect(parsed.ok).toBe(true)
      if (!parsed.ok) return
      const report = readReport(dir)
      const success = parsed.exposition.families.find((f) => f.name === 'runbook_check_success')!
      const checked = report.results.filter((r) => r.status !== 'skip')
      expect(success.samples.map((s) => [s.labels, s.value])).toEqual(checked.map((r) => [{ target: TARGET_NAME, id: r.id, kind: 'http' }, r.status === 'pass' ? 1 : 0]))
    }
    expect(readdirSync(work).filter((f) => f.includes('.tmp'))).toEqual([])
  })

  it('pushes each shard to its own group, and Prometheus scrapes runbook_check_success with the report\'s values', async () => {
    for (const { run } of runs) expect(run.stdout).toMatch(/Metrics pushed: http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/runbook_kit\/target@base64\/[A-Za-z0-9_-]+\/shard\/[12]/)
    const reports = runs.map((r) => readReport(r.dir))
    const expected = reports
      .flatMap((r) => r.results.filter((x) => x.status !== 'skip').map((x) => `${x.id} shard=${r.meta.shard!.index} ${x.status === 'pass' ? 1 : 0}`))
      .sort()
    const got = await queryUntil(prometheus.url, 'runbook_check_success', (result) => {
      const lines = result.map((s) => `${s.metric.id} shard=${s.metric.shard} ${s.value[1]}`).sort()
      return lines.length === expected.length ? { lines, result } : undefined
    })
    expect(got.lines).toEqual(expected)
    for (const s of got.result) expect(s.metric).toMatchObject({ __name__: 'runbook_check_success', job: 'runbook_kit', target: TARGET_NAME, kind: 'http' })
    // The whole-run series, one per shard; the counts add up to the run.
    const runSuccess = await queryUntil(prometheus.url, 'runbook_run_success', (r) => (r.length === 2 ? r : undefined))
    expect(runSuccess.map((s) => [s.metric.shard, s.value[1]]).sort()).toEqual(reports.map((r) => [String(r.meta.shard!.index), r.meta.verdict === 'passed' ? '1' : '0']).sort())
    const counts = await queryUntil(prometheus.url, 'sum by (status) (runbook_checks)', (r) => (r.length === 4 ? r : undefined))
    expect(Object.fromEntries(counts.map((s) => [s.metric.status, Number(s.value[1])]))).toEqual({ pass: 3, fail: 1, error: 0, skip: 1 })
    const stamps = await queryUntil(prometheus.url, 'runbook_run_timestamp_seconds', (r) => (r.length === 2 ? r : undefined))
    for (const s of stamps) {
      const r = reports.find((x) => String(x.meta.shard!.index) === s.metric.shard)!
      expect(Number(s.value[1])).toBeCloseTo(Date.parse(r.meta.finishedAt) / 1000, 3)
    }
  })

  it("loads the README's alert rules, and the failing run's alerts go pending (they fire after 5m)", async () => {
    type Rule = { name: string; state: string; health: string; alerts: { labels: Record<string, string> }[] }
    const rules = await queryRules(prometheus.url, (rs) => (rs.find((r) => r.name === 'RunbookKitRunFailing')?.state === 'pending' && rs.find((r) => r.name === 'RunbookKitCheckFailing')?.state === 'pending' ? rs : undefined))
    for (const r of rules) expect(r.health).toBe('ok')
    const failingShard = String(runs.map((r) => readReport(r.dir)).find((r) => r.meta.verdict === 'failed')!.meta.shard!.index)
    expect(rules.find((r) => r.name === 'RunbookKitRunFailing')!.alerts.map((a) => a.labels)).toEqual([expect.objectContaining({ target: TARGET_NAME, shard: failingShard, severity: 'page' })])
    expect(rules.find((r) => r.name === 'RunbookKitCheckFailing')!.alerts.map((a) => a.labels.id)).toEqual(['ready'])
    expect(rules.find((r) => r.name === 'RunbookKitSilent')!.state).toBe('inactive')

    async function queryRules(url: string, accept: (rs: Rule[]) => Rule[] | undefined): Promise<Rule[]> {
      const deadline = Date.now() + 30_000
      let last = ''
      while (Date.now() < deadline) {
        const body = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { rules: Rule[] }[] } }
        const rs = body.data.groups.flatMap((g) => g.rules)
        last = JSON.stringify(rs.map((r) => [r.name, r.state]))
        const ok = accept(rs)
        if (ok) return ok
        await new Promise((r) => setTimeout(r, 300))
      }
      throw new Error(`rules did not go pending: ${last}`)
    }
  })

  it('a Pushgateway that does not answer is a loud warning, and the verdict and exit code stand', async () => {
    const dir = join(work, 'no-gateway')
    const url = `http://127.0.0.1:${await closedPort()}`
    const run = await runCli(['smoke', '--target', target, '--only', 'health', '--report-dir', dir, '--pushgateway', url])
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(new RegExp(`^runbook-kit: WARNING: could not push the metrics to ${url}/metrics/job/runbook_kit/target@base64/\\S+: .*\\(the verdict stands; the reports are written\\)$`, 'm'))
    const report: RunReport = readReport(dir)
    expect(report.meta.verdict).toBe('passed')
    expect(report.meta.warnings).toEqual([expect.stringContaining('could not push the metrics')])
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/^- Run: could not push the metrics/m)
  })

  it.each([
    [['--pushgateway', 'ftp://x'], /--pushgateway must be an http\(s\) URL/],
    [['--pushgateway', 'not a url'], /--pushgateway must be an http\(s\) URL such as/],
    [['--metrics-file', '/nonexistent-dir/x.prom'], /cannot write --metrics-file \/nonexistent-dir\/x.prom: its folder \/nonexistent-dir is not a writable folder/],
    [['--metrics-file', join(tmpdir(), 'metrics.txt')], /--metrics-file must end in .prom/],
  ])('%j is a usage error before anything runs (exit 2)', async (args, message) => {
    const run = await runCli(['smoke', '--target', target, '--report-dir', join(work, 'usage'), ...args])
    expect(run.code, run.stderr + run.stdout).toBe(2)
    expect(run.stderr).toMatch(message)
  })
})
