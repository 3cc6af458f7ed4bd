/**
 * Benchmark: 50 HTTP checks against a loopback server that delays each answer by 200 ms.
 * Measures the whole `runbook-kit smoke` process (start-up included, as a user experiences it),
 * the ideal (slowest single check) and the same 50 requests done one after another by a bash loop of
 * `curl` (the seed runbooks' smoke-script approach). Goal: suite <= slowest check + 1 s, and >= 5x the loop.
 *
 * Prints one comparable line per scenario:
 *   bench <scenario>: suite <ms> ms, limit <ms> ms, baseline <ms> ms (<baseline/suite>x)
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const CHECKS = 50
const DELAY_MS = 200
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const root = resolve(import.meta.dirname, '..')

const server = createServer((req, res) => {
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ status: 'healthy', path: req.url }))
  }, DELAY_MS)
})
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const port = (server.address() as AddressInfo).port
const base = `http://127.0.0.1:${port}`

const dir = mkdtempSync(join(tmpdir(), 'rbk-bench-'))
const targetFile = join(dir, 'bench.yaml')
const checks = Array.from({ length: CHECKS }, (_, i) => `  - { id: probe-${i}, kind: http, url: /item/${i}, expect: { status: 200 } }`).join('\n')
writeFileSync(targetFile, `name: bench\nbaseUrl: ${base}\nchecks:\n${checks}\n`)

function runSuite(): Promise<{ wallMs: number; slowestMs: number; exit: number | null }> {
  return new Promise((done) => {
    const reportDir = join(dir, `r-${Date.now()}`)
    const started = performance.now()
    const child = spawn(process.execPath, [join(root, 'bin', 'runbook-kit.js'), 'smoke', '--target', targetFile, '--report-dir', reportDir], {
      stdio: 'ignore',
      env: { ...process.env, CI: '1' },
    })
    child.on('exit', (code) => {
      const wallMs = performance.now() - started
      const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { results: { durationMs: number; status: string }[] }
      const failed = report.results.filter((r) => r.status !== 'pass').length
      if (failed > 0) console.error(`warning: ${failed} checks did not pass`)
      done({ wallMs, slowestMs: Math.max(...report.results.map((r) => r.durationMs)), exit: code })
    })
  })
}

/** Async: the loopback server lives in this process, so blocking on the loop would starve it. */
function runCurlLoop(): Promise<number> {
  const script = `for i in $(seq 0 ${CHECKS - 1}); do curl -sS -o /dev/null --max-time 10 "${base}/item/$i" || exit 1; done`
  const started = performance.now()
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('exit', (code) => (code === 0 ? done(performance.now() - started) : fail(new Error(`curl loop failed (exit ${code}): ${stderr}`))))
  })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
try {
  const suites: { wallMs: number; slowestMs: number }[] = []
  for (let i = 0; i < RUNS; i++) suites.push(await runSuite())
  const baseline = await runCurlLoop()
  const suiteMs = median(suites.map((s) => s.wallMs))
  const slowest = median(suites.map((s) => s.slowestMs))
  const limit = slowest + 1000
  console.log(`scenario http-${CHECKS}x${DELAY_MS}ms: ${RUNS} runs of the suite, walls ${suites.map((s) => Math.round(s.wallMs)).join('/')} ms; ideal (slowest single check) ${Math.round(slowest)} ms; curl loop ${Math.round(baseline)} ms`)
  console.log(`bench http-${CHECKS}x${DELAY_MS}ms: suite ${Math.round(suiteMs)} ms, limit ${Math.round(limit)} ms, baseline ${Math.round(baseline)} ms (${(baseline / suiteMs).toFixed(1)}x)`)
  if (suiteMs > limit) console.log(`goal missed: suite exceeds the slowest check + 1 s by ${Math.round(suiteMs - limit)} ms`)
  if (baseline / suiteMs < 5) console.log('goal missed: less than 5x faster than the curl loop')
} finally {
  server.close()
  rmSync(dir, { recursive: true, force: true })
}
