import { ConfigError, UsageError } from '../lib/errors.ts'
import type { Redactor } from '../lib/redact.ts'
import type { CheckSpec } from '../lib/runner.ts'
import { buildChecks } from './build-checks.ts'
import { openSandbox, type DeployClusterRequest } from './sandbox-target.ts'
import { loadTarget, type LoadedTarget, type TargetFile } from './target-file.ts'
import type { TargetSections } from './target-schema.ts'
import { resolveVariables } from './variables.ts'

/**
 * A target made ready to run against: loaded and validated, the built-in sandbox started when the
 * target is served by it (with its variables), every `env:`/`${}` reference resolved, and the
 * target's checks built. Shared by the runbook engine; `close()` stops whatever was started.
 */
export interface TargetEnvironment {
  loaded: LoadedTarget
  /** The target with variables resolved (secrets registered for redaction). */
  target: TargetFile
  /** Every check of the target, built, by the target's order. */
  checks: CheckSpec[]
  /** Variables the sandbox provided (its secrets included, registered for redaction), empty for real targets. */
  vars: Record<string, string>
  /** Sandbox faults in force (sandbox targets only). */
  faults: string[]
  /** True when the built-in sandbox serves this target. */
  sandbox: boolean
  /** The sandbox application's HTTPS URL (sandbox targets only). */
  sandboxUrl?: string
  /** The sandbox's simulated cluster, when it runs one (the deploy cluster for the runbooks). */
  sandboxCluster?: { kubeconfig: string; namespace: string }
  close(): Promise<void>
}

export interface OpenEnvironmentOptions {
  target: string
  cwd: string
  reportDir: string
  faults?: string[]
  env: Record<string, string | undefined>
  redactor: Redactor
  /** Only these check ids (unknown ids are a configuration error). */
  only?: string[]
  /** Top-level sections the caller owns, validated with the file (the runbooks' `deploy`). */
  sections?: TargetSections
  /** Aborted on Ctrl-C: a sandbox that is starting stops what it started, and opening rejects. */
  signal?: AbortSignal
  /** Called as soon as the target file is loaded and valid (so a later failure can still name it). */
  onLoaded?: (loaded: LoadedTarget) => void
  /**
   * The runbooks' deploy cluster for this target (from its `deploy:` section), or undefined for the
   * smoke suite's sandbox. Only consulted for sandbox targets.
   */
  deployCluster?: (loaded: LoadedTarget) => DeployClusterRequest | undefined
}

export async function openEnvironment(opts: OpenEnvironmentOptions): Promise<TargetEnvironment> {
  const loaded = await loadTarget(opts.target, { cwd: opts.cwd, ...(opts.sections ? { sections: opts.sections } : {}) })
  opts.onLoaded?.(loaded)
  // Before anything starts: an unknown --only id is a configuration error.
  const unknownOnly = (opts.only ?? []).filter((id) => !loaded.target.checks.some((c) => c.id === id))
  if (unknownOnly.length > 0) {
    throw new ConfigError(`--only names unknown check id(s): ${unknownOnly.join(', ')} (known: ${loaded.target.checks.map((c) => c.id).join(', ')})`, { file: loaded.file })
  }
  // Heavy libraries load while the sandbox starts: their import time is start-up, not a check's deadline.
  const preloading = Promise.all([...loaded.kinds.values()].map((k) => k.preload?.().catch(() => undefined)))
  const faults = [...(loaded.target.sandbox?.faults ?? []), ...(opts.faults ?? [])]
  const closers: (() => Promise<void>)[] = []
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined)
    closers.length = 0
  }
  try {
    let vars: Record<string, string> = {}
    let missing: Record<string, string> = {}
    let sandboxUrl: string | undefined
    let sandboxCluster: TargetEnvironment['sandboxCluster']
    let inForce = faults
    if (loaded.target.sandbox) {
      const deployCluster = opts.deployCluster?.(loaded)
      const sb = await openSandbox({ loaded, only: opts.only, faults, env: opts.env, redactor: opts.redactor, ...(deployCluster ? { deployCluster } : {}), ...(opts.signal ? { signal: opts.signal } : {}) })
      closers.push(() => sb.close())
      ;({ vars, missing, faults: inForce, cluster: sandboxCluster } = sb)
      sandboxUrl = sb.url
    } else if (faults.length > 0) {
      throw new UsageError(`--fault applies to sandbox targets only; "${loaded.name}" is not served by the sandbox`)
    }
    // The running sandbox's own variables win over copies of them left in the shell by an earlier
    // `runbook-kit sandbox` (a stale SANDBOX_CA_FILE would point at a deleted CA).
    const env = sandboxUrl ? Object.fromEntries(Object.entries(opts.env).filter(([k]) => !Object.hasOwn(vars, k))) : opts.env
    const target = resolveVariables(loaded, { env, vars, missingReasons: missing, redactor: opts.redactor })
    const checks = buildChecks(loaded, target, { reportDir: opts.reportDir, redactor: opts.redactor, only: opts.only })
    await preloading
    return { loaded, target, checks, vars, faults: inForce, sandbox: Boolean(loaded.target.sandbox), sandboxUrl, ...(sandboxCluster ? { sandboxCluster } : {}), close }
  } catch (err) {
    await close()
    throw err
  }
}
