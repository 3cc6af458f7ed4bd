import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../lib/report/model.ts'
import { runCli } from '../helpers/cli.ts'
import { privateTmp, sandboxDirsIn, waitForNoProcesses } from '../helpers/leftovers.ts'

/** Signals to `runbook-kit smoke` and `runbook-kit check`: reports written, children stopped, exit 130. */

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('runbook-kit smoke and signals', () => {
  it('a second Ctrl-C does not abandon the reports: written whole, the sandbox (PostgreSQL, Redis, Prometheus) stopped, exit 130', async () => {
    const tmp = privateTmp()
    const dir = mkdtempSync(join(tmpdir(), 'rbk-smoke-sig-'))
    dirs.push(tmp, dir)
    let first = false
    let second = false
    const run = await runCli(['smoke', '--target', 'sandbox', '--fault', 'slow', '--report-dir', dir], {
      env: { TMPDIR: tmp },
      onStdout: (out, child) => {
        if (!first && out.includes('Smoke suite')) {
          first = true
          setTimeout(() => child.kill('SIGINT'), 300)
        }
        if (first && !second && out.includes('SIGINT: stopping in-flight checks')) {
          second = true
          child.kill('SIGINT')
        }
      },
    })
    expect(first && second, run.stdout + run.stderr).toBe(true)
    expect(run.code, run.stdout + run.stderr).toBe(130)
    expect(run.stdout).toContain('SIGINT again: writing the reports and stopping the sandbox; leaving within 10 s')
    // The three reports, whole (no temp file left; screenshots/ may be there too, from the browser check).
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['junit.xml', 'report.json', 'report.md']))
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([])
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport
    expect(report.meta.verdict).toBe('interrupted')
    expect(await waitForNoProcesses(tmp)).toEqual([])
    expect(sandboxDirsIn(tmp)).toEqual([])
  }, 120_000)

  it('SIGTERM while the sandbox starts: reports marked interrupted, exit 130, nothing left behind', async () => {
    const tmp = privateTmp()
    const dir = mkdtempSync(join(tmpdir(), 'rbk-smoke-sig-'))
    dirs.push(tmp, dir)
    let sent = false
    const began = Date.now()
    const run = await runCli(['smoke', '--target', 'sandbox', '--report-dir', dir], {
      env: { TMPDIR: tmp },
      onSpawn: (child) => {
        const poll = setInterval(() => {
          const seen = readdirSync(tmp)
          if (!seen.some((n) => n.startsWith('rbk-pg-')) && !(Date.now() - began > 8000 && seen.some((n) => n.startsWith('runbook-kit-sandbox-')))) return
          clearInterval(poll)
          sent = true
          child.kill('SIGTERM')
        }, 25)
        child.once('exit', () => clearInterval(poll))
      },
    })
    expect(sent).toBe(true)
    expect(run.code, run.stdout + run.stderr).toBe(130)
    expect((JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport).meta.verdict).toBe('interrupted')
    expect(await waitForNoProcesses(tmp)).toEqual([])
    expect(sandboxDirsIn(tmp)).toEqual([])
  }, 120_000)
})

describe('runbook-kit smoke when the report folder goes away during the run', () => {
  it('the run fails (exit 1) and its record goes to a fallback folder under TMPDIR, said loudly', async () => {
    const tmp = privateTmp()
    const base = mkdtempSync(join(tmpdir(), 'rbk-smoke-gone-'))
    dirs.push(tmp, base)
    const dir = join(base, 'rep')
    let broken = false
    const run = await runCli(['smoke', '--target', 'sandbox', '--only', 'readiness', '--fault', 'slow', '--report-dir', dir], {
      env: { TMPDIR: tmp },
      onStdout: (out) => {
        if (!broken && out.includes('Smoke suite')) {
          broken = true
          rmSync(dir, { recursive: true, force: true })
          writeFileSync(dir, 'a file where the report folder was\n')
        }
      },
    })
    expect(broken).toBe(true)
    expect(run.code, run.stdout + run.stderr).toBe(1)
    expect(run.stderr).toContain(`runbook-kit smoke: REPORTS NOT WRITTEN: could not write the reports to ${dir}: `)
    const fallback = /THE RECORD OF THIS RUN IS IN (\S+)\//.exec(run.stderr)?.[1]
    expect(fallback?.startsWith(join(tmp, 'runbook-kit-sandbox-record-')), run.stderr).toBe(true)
    const report = JSON.parse(readFileSync(join(fallback!, 'report.json'), 'utf8')) as RunReport
    // The check passed (readiness only answers slowly): the run fails for the lost reports alone.
    expect(report.results.map((r) => [r.id, r.status])).toEqual([['readiness', 'pass']])
    expect(report.meta).toMatchObject({ verdict: 'failed', exitCode: 1 })
    expect(report.meta.error).toContain(`could not write the reports to ${dir}`)
  }, 120_000)
})

describe('runbook-kit check and signals', () => {
  let server: Server | undefined
  afterAll(() => {
    server?.closeAllConnections()
    server?.close()
  })

  it.each(['SIGTERM', 'SIGINT'] as const)('%s stops the check, prints its result and exits 130', async (sig) => {
    // A server that never answers: the check waits until it is interrupted.
    server ??= createServer(() => undefined)
    if (!server.listening) await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`
    let sent = false
    const run = await runCli(['check', 'http', url, '--timeout', '60s'], {
      onSpawn: (child) => {
        const onConnection = () => {
          if (sent) return
          sent = true
          setTimeout(() => child.kill(sig), 200)
        }
        server!.once('connection', onConnection)
        child.once('exit', () => server!.off('connection', onConnection))
      },
    })
    expect(sent).toBe(true)
    expect(run.signal).toBeNull()
    expect(run.code, run.stdout + run.stderr).toBe(130)
    expect(run.stdout).toMatch(/0 passed, 1 failed/)
  }, 60_000)
})
