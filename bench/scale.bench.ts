/**
 * Scale benchmark: 1,000, 5,000 and 10,000 HTTP checks, each answered after 200 ms by a loopback server
 * this process starts, run two ways:
 *   single   one `runbook-kit smoke` process at raised concurrency: --concurrency min(N, 1000) (20x the default
 *            50; BENCH_CONCURRENCY). All 10,000 at once is not a useful setting on loopback: the kernel's
 *            accept queues (somaxconn 4096, tcp_max_syn_backlog 2048 here) overflow, dropped SYNs are
 *            retried after 1 s, 3 s..., and about 38 % of the checks failed their 5 s connect timeout;
 *            at 2000 in flight, a busy machine starved the event loop enough for 30 % of 5,000 to fail it.
 *   sharded  10 processes `--shard i/10` (each --concurrency N/10), then `runbook-kit merge`. The shards run
 *            one after another, each alone on the machine, as 10 CI machines would run them side by side;
 *            the wall time is the critical path: the slowest shard, then the merge. (Ten processes at once
 *            on this 2-core machine would measure ten start-ups competing for two cores instead.)
 * For each: wall time (spawn to exit, start-up included, as CI sees it) against the physical limit
 * (slowest single check + start-up), peak RSS (/usr/bin/time), the time to render and write the three
 * report files for that report (in this process, from its report.json), and their sizes. Then whether
 * growth is linear: the cost per check at each size, and its ratio to the smallest size's.
 *
 *   npm run bench                          (both benchmarks)
 *   BENCH_SCALE_SIZES=1000,5000 node bench/scale.bench.ts
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { Redactor } from '../lib/redact.ts'
import { parseReport } from '../lib/report/json.ts'
import { mergeShards } from '../lib/report/merge.ts'
import type { RunReport } from '../lib/report/model.ts'
import { writeReports } from '../lib/report/write.ts'

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '1000,5000,10000').split(',').map(Number)
const SHARDS = 10
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1000)
const DELAY_MS = 200
const root = resolve(import.meta.dirname, '..')
const cli = join(root, 'bin', 'runbook-kit.js')
const TIME = '/usr/bin/time'

const server = createServer((req, res) => {
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(`{"status":"healthy","path":${JSON.stringify(req.url)}}`)
  }, DELAY_MS)
})
server.maxConnections = 50_000
await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 16_384 }, r))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const dir = mkdtempSync(join(tmpdir(), 'rbk-scale-'))

function target(n: number): string {
  const file = join(dir, `bench-${n}.yaml`)
  const checks = Array.from({ length: n }, (_, i) => `  - { id: probe-${i}, kind: http, url: /item/${i}, expect: { status: 200 } }`).join('\n')
  // Generous per-check timeout: the question is how long N checks take, not whether one times out.
  writeFileSync(file, `name: bench-${n}\nbaseUrl: ${base}\ndefaults:\n  timeout: 120s\nchecks:\n${checks}\n`)
  return file
}

interface ProcRun {
  wallMs: number
  code: number | null
  /** Peak resident set, KiB (undefined without /usr/bin/time). */
  maxRssKiB?: number
  stderr: string
}

/** Spawns the CLI (through /usr/bin/time for the peak RSS); async, so the loopback server keeps answering. */
function runCli(args: string[]): Promise<ProcRun> {
  const rssFile = join(dir, `rss-${process.hrtime.bigint()}`)
  const useTime = existsSync(TIME)
  const [cmd, argv] = useTime ? [TIME, ['-f', '%M', '-o', rssFile, process.execPath, cli, ...args]] : [process.execPath, [cli, ...args]]
  const started = performance.now()
  return new Promise((done) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1', NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' } })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
    child.on('exit', (code) => {
      const wallMs = performance.now() - started
      const rss = useTime && existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : undefined
      done({ wallMs, code, ...(rss !== undefined && Number.isFinite(rss) ? { maxRssKiB: rss } : {}), stderr })
    })
  })
}

const read = (d: string) => parseReport(readFileSync(join(d, 'report.json'), 'utf8'), d)
/** The commonest reasons checks did not pass, digits folded: `connect timed out after N ms ×1513`. */
const reasons = (r: RunReport) => {
  const by = new Map<string, number>()
  for (const x of r.results) if (x.status !== 'pass') by.set(x.message.replace(/\d+/g, 'N'), (by.get(x.message.replace(/\d+/g, 'N')) ?? 0) + 1)
  return [...by].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([m, k]) => `${m} ×${k}`).join('; ')
}
const sizes = (d: string) => ({ json: statSync(join(d, 'report.json')).size, junit: statSync(join(d, 'junit.xml')).size, md: statSync(join(d, 'report.md')).size })

/** Renders and writes the three files for `report` (median of 3), ms. */
async function writeTime(report: RunReport): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const out = join(dir, `w-${process.hrtime.bigint()}`)
    const t = performance.now()
    await writeReports(out, report, new Redactor(), {})
    times.push(performance.now() - t)
    rmSync(out, { recursive: true, force: true })
  }
  return times.sort((a, b) => a - b)[1]!
}

const fmtMs = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const fmtKiB = (k: number | undefined) => (k === undefined ? 'n/a' : `${Math.round(k / 1024)} MiB`)
const fmtB = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(0)} KiB`)

interface Row {
  n: number
  mode: 'single' | 'sharded'
  wallMs: number
  limitMs: number
  /** The ideal for the concurrency: ceil(N / concurrency) rounds of DELAY_MS, plus start-up (twice for shard + merge). */
  wavesMs: number
  slowestMs: number
  rssKiB?: number
  writeMs: number
  mergeMs?: number
  bytes: { json: number; junit: number; md: number }
  failed: number
}

try {
  console.log(`scale bench ${new Date().toISOString().slice(0, 10)}: ${SIZES.join(', ')} HTTP checks of ${DELAY_MS} ms against ${base}; machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  // Start-up: a one-check run's wall time minus that check's duration (module loading, target validation, report writing).
  const one = target(1)
  const startups: number[] = []
  let baseRss: number | undefined
  for (let i = 0; i < 3; i++) {
    const d = join(dir, `startup-${i}`)
    const r = await runCli(['smoke', '--target', one, '--report-dir', d])
    startups.push(r.wallMs - read(d).results[0]!.durationMs)
    baseRss = r.maxRssKiB
  }
  const startup = startups.sort((a, b) => a - b)[1]!
  const startupMs = startup
  console.log(`start-up (one-check run minus its check): ${fmtMs(startup)}; its peak RSS ${fmtKiB(baseRss)}`)

  const rows: Row[] = []
  for (const n of SIZES) {
    const file = target(n)
    // single process, every check in flight
    {
      const d = join(dir, `single-${n}`)
      const r = await runCli(['smoke', '--target', file, '--report-dir', d, '--concurrency', String(Math.min(n, CONCURRENCY))])
      const report = read(d)
      if (r.code !== 0) console.log(`  warning: single ${n} exited ${r.code}: ${reasons(report) || r.stderr.trim().split('\n').pop()}`)
      const slowest = Math.max(...report.results.map((x) => x.durationMs))
      rows.push({ n, mode: 'single', wallMs: r.wallMs, slowestMs: slowest, limitMs: slowest + startup, wavesMs: Math.ceil(n / Math.min(n, CONCURRENCY)) * DELAY_MS + startup, ...(r.maxRssKiB !== undefined ? { rssKiB: r.maxRssKiB } : {}), writeMs: await writeTime(report), bytes: sizes(d), failed: report.summary.fail + report.summary.error })
    }
    // 10 shards together, then merge
    {
      const per = Math.ceil(n / SHARDS)
      const shardDirs = Array.from({ length: SHARDS }, (_, i) => join(dir, `shard-${n}-${i + 1}`))
      const runs: ProcRun[] = []
      for (const [i, d] of shardDirs.entries()) runs.push(await runCli(['smoke', '--target', file, '--shard', `${i + 1}/${SHARDS}`, '--report-dir', d, '--concurrency', String(per)]))
      const out = join(dir, `merged-${n}`)
      const m = await runCli(['merge', ...shardDirs, '--report-dir', out])
      const wallMs = Math.max(...runs.map((r) => r.wallMs)) + m.wallMs
      console.log(`  ${String(n).padStart(5)} shards: walls ${runs.map((r) => fmtMs(r.wallMs)).join(', ')}; merge ${fmtMs(m.wallMs)} (peak RSS ${fmtKiB(m.maxRssKiB)})`)
      const merged = read(out)
      if (m.code !== 0) console.log(`  warning: merge ${n} exited ${m.code}: ${reasons(merged) || m.stderr.trim().split('\n').pop()}`)
      const slowest = Math.max(...merged.results.map((x) => x.durationMs))
      // In-process merge of the shard reports: parse, validate, merge (the CLI adds start-up and writing).
      const reports = shardDirs.map((d) => ({ source: d, report: read(d) }))
      const mt = performance.now()
      mergeShards(reports)
      const mergeMs = performance.now() - mt
      const rss = Math.max(...runs.map((r) => r.maxRssKiB ?? 0), m.maxRssKiB ?? 0)
      rows.push({ n, mode: 'sharded', wallMs, slowestMs: slowest, limitMs: slowest + startup, wavesMs: DELAY_MS + 2 * startup, ...(rss > 0 ? { rssKiB: rss } : {}), writeMs: await writeTime(merged), mergeMs, bytes: sizes(out), failed: merged.summary.fail + merged.summary.error })
    }
    const [s, h] = rows.slice(-2) as [Row, Row]
    for (const r of [s, h]) {
      console.log(
        `  ${String(r.n).padStart(5)} ${r.mode.padEnd(7)}: wall ${fmtMs(r.wallMs)} vs limit ${fmtMs(r.limitMs)} (slowest check ${fmtMs(r.slowestMs)} + start-up) = ${(r.wallMs / r.limitMs).toFixed(1)}x, ideal at this concurrency ${fmtMs(r.wavesMs)}; peak RSS ${fmtKiB(r.rssKiB)}${r.mode === 'sharded' ? ' (largest process)' : ''}; reports written in ${Math.round(r.writeMs)} ms${r.mergeMs !== undefined ? `, merged in ${Math.round(r.mergeMs)} ms` : ''}; report.json ${fmtB(r.bytes.json)}, junit.xml ${fmtB(r.bytes.junit)}, report.md ${fmtB(r.bytes.md)}${r.failed ? `; ${r.failed} not passed` : ''}`,
      )
    }
  }

  // Linearity: cost per check at each size, as a ratio to the smallest size's. 1.0 = linear.
  console.log('per-check cost (ratio to the smallest size; about 1.0 means linear growth):')
  for (const mode of ['single', 'sharded'] as const) {
    const rs = rows.filter((r) => r.mode === mode)
    const first = rs[0]!
    const metrics: [string, (r: Row) => number, (v: number) => string][] = [
      ['wall minus start-up', (r) => Math.max(0, r.wallMs - (r.mode === 'single' ? 1 : 2) * startupMs) / r.n, (v) => `${v.toFixed(2)} ms`],
      ['peak RSS above start-up', (r) => ((r.rssKiB ?? 0) - (baseRss ?? 0)) / r.n, (v) => `${v.toFixed(1)} KiB`],
      ['report write', (r) => r.writeMs / r.n, (v) => `${v.toFixed(3)} ms`],
      ['report bytes', (r) => (r.bytes.json + r.bytes.junit + r.bytes.md) / r.n, (v) => `${Math.round(v)} B`],
    ]
    for (const [name, f, show] of metrics) {
      const cells = rs.map((r) => `${r.n}: ${show(f(r))} (${(f(first) > 0 ? f(r) / f(first) : 1).toFixed(2)})`)
      const worst = Math.max(...rs.map((r) => (f(first) > 0 ? f(r) / f(first) : 1)))
      console.log(`  ${mode.padEnd(7)} ${name.padEnd(24)} ${cells.join(', ')} → ${worst <= 1.5 ? 'linear' : `superlinear (x${worst.toFixed(1)} per check at the largest size)`}`)
    }
  }
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  for (const r of rows) console.log(`bench scale-${r.mode}-${r.n}: suite ${Math.round(r.wallMs)} ms, limit ${Math.round(r.limitMs)} ms, rss ${r.rssKiB ?? 0} KiB, write ${Math.round(r.writeMs)} ms`)
} finally {
  server.close()
  server.closeAllConnections()
  rmSync(dir, { recursive: true, force: true })
}
