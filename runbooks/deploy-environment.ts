import { dirname, resolve } from 'node:path'
import { parseAllDocuments } from 'yaml'
import type { OpenRunbookEnvironmentOptions } from '../lib/runbook/index.ts'
import { openEnvironment, type TargetEnvironment } from '../smoke/environment.ts'
import { RUNBOOK_SANDBOX_FAULTS, type DeployClusterRequest, type SandboxObject } from '../smoke/sandbox-target.ts'
import { deploySchema, deploySettingsOf, type DeploySettings } from './deploy-settings.ts'
import { parseDuration } from '../lib/duration.ts'
import { kubeSpecs } from './kube-specs.ts'
import { renderManifest, renderManifests } from './manifest-vars.ts'

/**
 * What `--fault` accepts on the deploy and rollback runbooks, for their `--help`: the deploy cluster's
 * faults (they act on the release the sandbox manifests deploy at `deploy.version`), then the demo
 * application's. The sandbox declares them (sandbox/catalog.ts).
 */
export const RUNBOOK_FAULT_DESCRIPTIONS: Readonly<Record<string, string>> = RUNBOOK_SANDBOX_FAULTS

/**
 * Opens the target for the deploy and rollback runbooks. For sandbox targets with a `deploy:`
 * section the sandbox runs in deploy mode: the runbooks' own "production cluster" (a Kubernetes
 * simulator with the prerequisites and the previous release rolled out) instead of the smoke
 * sandbox's cluster, so the smoke suite's Kubernetes checks look at what the runbook deploys.
 *
 * `released`: the cluster is left as a finished deploy leaves it — the target's manifests at
 * `deploy.version` on top of `previousVersion`, and its secrets — for the rollback runbook. With
 * `--fault crashloop` that release crash-loops, which is what a rollback is for.
 */
export function openDeployEnvironment(o: OpenRunbookEnvironmentOptions, how: { released?: boolean } = {}): Promise<TargetEnvironment> {
  return openEnvironment({
    ...o,
    sections: { deploy: deploySchema },
    deployCluster: (loaded): DeployClusterRequest | undefined => {
      const d = deploySettingsOf(loaded.target)
      if (!d) return undefined
      return {
        namespace: d.namespace,
        deployments: d.deployments,
        registry: d.registry ?? 'registry.local',
        previousVersion: d.previousVersion ?? 'previous',
        serviceAccount: d.prerequisites?.serviceAccount,
        clusterIssuer: d.prerequisites?.clusterIssuer,
        ...(how.released ? { seed: (vars: Readonly<Record<string, string>>) => releaseObjects(d, dirname(loaded.file), vars) } : {}),
      }
    },
  })
}

/** The target's manifests (variables substituted, as deploy.mts applies them) and secrets, as a finished deploy leaves them. */
async function releaseObjects(d: DeploySettings, targetDir: string, vars: Readonly<Record<string, string>>): Promise<SandboxObject[]> {
  const all: Record<string, string> = { ...vars, NAMESPACE: d.namespace, VERSION: d.version, REGISTRY: d.registry ?? '', DOMAIN: renderManifest(d.domain ?? '', vars, 'deploy.domain') }
  const objects: SandboxObject[] = []
  for (const { text } of await renderManifests(resolve(targetDir, d.manifests?.dir ?? '.'), d.manifests?.files ?? [], all)) {
    for (const doc of parseAllDocuments(text)) {
      const obj = doc.toJS() as SandboxObject | null
      if (obj) objects.push(obj)
    }
  }
  for (const s of d.secrets ?? []) {
    const data = Object.fromEntries(Object.entries(s.fromEnv).map(([key, variable]) => [key, Buffer.from(process.env[variable] || vars[variable] || 'sandbox-value').toString('base64')]))
    objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name, namespace: d.namespace }, type: 'Opaque', data })
  }
  return objects
}

/** What both runbooks derive from the target's `deploy:` section: settings, cluster connection, check builders. */
export interface DeployContext {
  d: DeploySettings
  ns: string
  targetDir: string
  conn: { kubeconfig?: string; context?: string; namespace: string }
  kube: ReturnType<typeof kubeSpecs>
  rolloutMs: number
  /** How long convergence checks (pods, certificate) retry. */
  converge: { timeoutMs: number }
}

/**
 * The deploy settings of the runbook's target, or — when the target has no `deploy:` section — a
 * configuration error (exit 2) after the report is written.
 */
export async function deployContext(rb: { env: TargetEnvironment; finish(): Promise<number> }): Promise<DeployContext> {
  const d = rb.env.target.deploy as DeploySettings | undefined
  if (!d) {
    console.error(`target ${rb.env.loaded.name} has no deploy: section`)
    process.exitCode = 2
    await rb.finish()
    process.exit(2)
  }
  const targetDir = dirname(rb.env.loaded.file)
  const kubeconfig = d.kubeconfig ? resolve(targetDir, d.kubeconfig) : rb.env.sandboxCluster?.kubeconfig
  const conn = { ...(kubeconfig ? { kubeconfig } : {}), ...(d.context ? { context: d.context } : {}), namespace: d.namespace }
  const rolloutMs = parseDuration(d.rolloutTimeout ?? '10m')
  return { d, ns: d.namespace, targetDir, conn, kube: kubeSpecs(conn), rolloutMs, converge: { timeoutMs: Math.max(10_000, Math.min(rolloutMs, 120_000)) } }
}
