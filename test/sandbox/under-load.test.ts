import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RunReport } from '../../lib/report/model.ts'
import { runCli } from '../helpers/cli.ts'

/**
 * CI machines have 2 cores, shared with the test runner itself: the sandbox suite's defaults (check
 * timeouts, retries, Prometheus scrape waits) must leave headroom. This runs the whole sandbox suite
 * while the test keeps every core busy with a bounded load of its own (one busy process per core,
 * each ending by itself after 90 s at the latest, and killed when the run ends).
 */
describe('the sandbox suite under CPU load', () => {
  it('passes with every core busy', async () => {
    const burners: ChildProcess[] = []
    for (let i = 0; i < Math.max(2, cpus().length); i++) {
      burners.push(spawn(process.execPath, ['-e', 'const end = Date.now() + 90_000; while (Date.now() < end) {}'], { stdio: 'ignore' }))
    }
    const dir = mkdtempSync(join(tmpdir(), 'rbk-under-load-'))
    try {
      const run = await runCli(['smoke', '--target', 'sandbox', '--report-dir', dir], { timeoutMs: 110_000 })
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport
      const bad = report.results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => `${r.id}: ${r.message}`)
      expect(bad, run.stdout).toEqual([])
      expect(run.code).toBe(0)
    } finally {
      for (const b of burners) b.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
