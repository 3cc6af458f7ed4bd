import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * What a run leaves behind: give the child its own TMPDIR, then look for the sandbox's temp folders
 * in it and for processes still running with that TMPDIR in their environment (every descendant
 * inherits it: PostgreSQL and its backends, Redis, Prometheus, kubectl...).
 */

/** Folders the sandbox and the runbooks create in the temp folder. */
const SANDBOX_DIRS = /^(runbook-kit-sandbox-|rbk-pg-|rbk-redis-|rbk-prometheus-|kube-sim-|rbk-manifests-)/

/** A private temp folder for a child's TMPDIR (readable by the postgres user, which runs the sandbox's database). */
export function privateTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rbk-tmp-'))
  chmodSync(dir, 0o755)
  return dir
}

export function sandboxDirsIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => SANDBOX_DIRS.test(n)) : []
}

/** Processes whose environment has TMPDIR=dir, as `pid command`. */
export function processesWithTmp(dir: string): string[] {
  const out: string[] = []
  const needle = `TMPDIR=${dir}`
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(needle)) continue
      out.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`)
    } catch {
      // gone, or not ours to read
    }
  }
  return out
}

/** Waits (bounded) until no process has TMPDIR=dir; returns those still running. */
export async function waitForNoProcesses(dir: string, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const left = processesWithTmp(dir)
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise((r) => setTimeout(r, 100))
  }
}
