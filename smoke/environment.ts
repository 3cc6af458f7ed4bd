import { UsageError } from '../lib/errors.ts'
import type { Redactor } from '../lib/redact.ts'
import type { CheckSpec } from '../lib/runner.ts'
import { buildChecks, loadTarget, resolveVariables, type LoadedTarget, type TargetFile } from './target.ts'

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
  /** Variables the sandbox provided (no secrets), empty for real targets. */
  vars: Record<string, string>
  /** Sandbox faults in force (sandbox targets only). */
  faults: string[]
  /** True when the built-in sandbox serves this target. */
  sandbox: boolean
  close(): Promise<void>
}

export interface OpenEnvironmentOptions {
  target: string
  cwd: string
  reportDir: string
  faults?: string[]
  env: Record<string, string | undefined>
  redactor: Redactor
  /**
   * Extra sandbox pieces to start (e.g. the Kubernetes simulator for the deploy runbook). Gets the
   * loaded target and the faults; returns more variables and a close function.
   */
  /** Fault names that `extraSandbox` handles (not passed to the demo application). */
  extraFaults?: readonly string[]
  extraSandbox?: (loaded: LoadedTarget, faults: string[]) => Promise<{ vars: Record<string, string>; close(): Promise<void> }>
}

export async function openEnvironment(opts: OpenEnvironmentOptions): Promise<TargetEnvironment> {
  const loaded = await loadTarget(opts.target, opts.cwd)
  const faults = [...(loaded.target.sandbox?.faults ?? []), ...(opts.faults ?? [])]
  const closers: (() => Promise<void>)[] = []
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined)
    closers.length = 0
  }
  try {
    let vars: Record<string, string> = {}
    if (loaded.target.sandbox) {
      const { startSandbox, parseFaults } = await import('../sandbox/index.ts')
      // Faults of the extra sandbox pieces (e.g. a crash-looping release) are theirs; the rest must be the demo app's.
      const appFaults = faults.filter((f) => !(opts.extraFaults ?? []).includes(f))
      const sb = await startSandbox({ faults: parseFaults(appFaults), webhookSecret: opts.env.WEBHOOK_SECRET || undefined })
      closers.push(() => sb.close())
      opts.redactor.add(sb.webhookSecret)
      vars = { ...sb.vars, WEBHOOK_SECRET: sb.webhookSecret }
      if (opts.extraSandbox) {
        const extra = await opts.extraSandbox(loaded, faults)
        closers.push(() => extra.close())
        vars = { ...vars, ...extra.vars }
      }
    } else if (faults.length > 0) {
      throw new UsageError(`--fault applies to sandbox targets only; "${loaded.name}" is not served by the sandbox`)
    }
    const target = resolveVariables(loaded, { env: opts.env, vars, redactor: opts.redactor })
    const checks = buildChecks(loaded, target, { reportDir: opts.reportDir, redactor: opts.redactor })
    return { loaded, target, checks, vars, faults, sandbox: Boolean(loaded.target.sandbox), close }
  } catch (err) {
    await close()
    throw err
  }
}
