import type { Redactor } from '../lib/redact.ts'
import { sandboxFaults } from '../sandbox/catalog.ts'
import type { DeployClusterRequest } from '../sandbox/services.ts'
import type { LoadedTarget } from './target-file.ts'

/**
 * The sandbox target loader: the one module outside bin/ and test/ that imports sandbox/. It asks the
 * sandbox what it provides (the variables the selected checks need, the faults it has) and starts it
 * for a target served by it; runbooks reach the deploy cluster through it.
 */

export type { DeployClusterRequest } from '../sandbox/services.ts'
export type { KObj as SandboxObject } from '../sandbox/kube-sim/index.ts'

/** What `--fault` accepts on the runbooks (the deploy cluster's faults, then the application's), for their `--help`. */
export const RUNBOOK_SANDBOX_FAULTS: Readonly<Record<string, string>> = Object.freeze(sandboxFaults('deploy'))

export interface OpenSandboxOptions {
  loaded: LoadedTarget
  /** Only these checks run: only what they need is started. Default: every check of the target. */
  only?: readonly string[]
  /** Faults: the target's `sandbox.faults` and `--fault`. Checked against the mode's faults (UsageError). */
  faults: readonly string[]
  env: Record<string, string | undefined>
  redactor: Redactor
  /** Deploy mode (the runbooks): start their deploy cluster instead of the smoke suite's cluster. */
  deployCluster?: DeployClusterRequest
  /** Aborting it stops the start (what started is stopped, temp folders removed); the start rejects. */
  signal?: AbortSignal
}

export interface OpenedSandbox {
  /** Variables for the target file, secrets included (registered for redaction). */
  vars: Record<string, string>
  /** Why a variable is missing (for `requires` skip reasons). */
  missing: Record<string, string>
  /** The demo application's HTTPS URL. */
  url: string
  faults: string[]
  /** The simulated cluster, when one runs. */
  cluster?: { kubeconfig: string; namespace: string }
  close(): Promise<void>
}

/** Starts the sandbox for a target served by it, with only the services its selected checks need. */
export async function openSandbox(opts: OpenSandboxOptions): Promise<OpenedSandbox> {
  const selected = opts.loaded.target.checks.filter((c) => !opts.only?.length || opts.only.includes(c.id))
  const needs = [...new Set(selected.flatMap((c) => c.requires ?? []))]
  const { startSandboxServices } = await import('../sandbox/services.ts')
  const sb = await startSandboxServices({
    needs,
    faults: opts.faults,
    webhookSecret: opts.env.WEBHOOK_SECRET || undefined,
    env: opts.env,
    ...(opts.deployCluster ? { deployCluster: opts.deployCluster } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  })
  for (const value of Object.values(sb.secrets)) opts.redactor.add(value)
  return {
    vars: { ...sb.vars, ...sb.secrets },
    missing: sb.missing,
    url: sb.app.httpsUrl,
    faults: sb.faults,
    ...(sb.cluster ? { cluster: sb.cluster } : {}),
    close: () => sb.close(),
  }
}
