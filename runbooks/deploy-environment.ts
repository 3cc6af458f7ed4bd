import { dirname, resolve } from 'node:path'
import { parseAllDocuments } from 'yaml'
import type { OpenRunbookEnvironmentOptions } from '../lib/runbook/index.ts'
import { openEnvironment, type TargetEnvironment } from '../smoke/environment.ts'
import { deploySchema, deploySettingsOf, type DeploySettings } from './deploy-settings.ts'
import { parseDuration } from '../lib/duration.ts'
import { FAULT_DESCRIPTIONS } from '../sandbox/faults.ts'
import { kubeSpecs } from './kube-specs.ts'
import { renderManifest, renderManifests } from './manifest-vars.ts'

/** Faults of the deploy sandbox's cluster (the demo application's faults are separate). */
export const DEPLOY_FAULTS = ['crashloop', 'image-pull'] as const

/**
 * What `--fault` accepts on the deploy and rollback runbooks, for their `--help`: the deploy cluster's
 * faults (they act on the release the sandbox manifests deploy at `deploy.version`), then the demo
 * application's.
 */
export const RUNBOOK_FAULT_DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  ...({
    crashloop: 'runbooks only: the release at deploy.version crash-loops (CrashLoopBackOff); deploy fails at "Watch rollouts" and rolls back, rollback repairs it',
    'image-pull': 'runbooks only: the images of the release at deploy.version cannot be pulled (ImagePullBackOff); deploy fails at "Watch rollouts" and rolls back',
  } satisfies Record<(typeof DEPLOY_FAULTS)[number], string>),
  ...FAULT_DESCRIPTIONS,
})

/**
 * Opens the target for the deploy and rollback runbooks. For sandbox targets with a `deploy:`
 * section it also starts the runbooks' own "production cluster" (sandbox/deploy-cluster.ts: a
 * Kubernetes simulator with the prerequisites and the previous release rolled out), instead of the
 * smoke sandbox's cluster, so the smoke suite's Kubernetes checks look at what the runbook deploys.
 *
 * `released`: the cluster is left as a finished deploy leaves it — the target's manifests at
 * `deploy.version` on top of `previousVersion`, and its secrets — for the rollback runbook. With
 * `--fault crashloop` that release crash-loops, which is what a rollback is for.
 */
export function openDeployEnvironment(o: OpenRunbookEnvironmentOptions, how: { released?: boolean } = {}): Promise<TargetEnvironment> {
  return openEnvironment({
    ...o,
    sections: { deploy: deploySchema },
    extraFaults: DEPLOY_FAULTS,
    extraProvides: ['SANDBOX_KUBECONFIG', 'SANDBOX_KUBE_NAMESPACE'],
    extraSandbox: async (loaded, faults, sandboxVars) => {
      const d = deploySettingsOf(loaded.target)
      if (!d) return { vars: {}, close: async () => {} }
      const { startDeployCluster } = await import('../sandbox/deploy-cluster.ts')
      const cluster = await startDeployCluster({
        namespace: d.namespace,
        deployments: d.deployments,
        registry: d.registry ?? 'registry.local',
        previousVersion: d.previousVersion ?? 'previous',
        serviceAccount: d.prerequisites?.serviceAccount,
        clusterIssuer: d.prerequisites?.clusterIssuer,
        faults,
      })
      for (const v of Object.values(cluster.secrets)) o.redactor.add(v)
      const vars = { ...cluster.vars, ...cluster.secrets }
      try {
        if (how.released) await seedRelease(cluster.put, d, dirname(loaded.file), { ...sandboxVars, ...vars })
      } catch (err) {
        await cluster.close()
        throw err
      }
      return { vars, close: () => cluster.close() }
    },
  })
}

/** Puts the target's manifests (variables substituted, as deploy.mts applies them) and secrets straight into the simulator. */
async function seedRelease(put: (obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }) => unknown, d: DeploySettings, targetDir: string, vars: Record<string, string>): Promise<void> {
  const all: Record<string, string> = { ...vars, NAMESPACE: d.namespace, VERSION: d.version, REGISTRY: d.registry ?? '', DOMAIN: renderManifest(d.domain ?? '', vars, 'deploy.domain') }
  for (const { text } of await renderManifests(resolve(targetDir, d.manifests?.dir ?? '.'), d.manifests?.files ?? [], all)) {
    for (const doc of parseAllDocuments(text)) {
      const obj = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } | null
      if (obj) put({ ...obj, metadata: { ...obj.metadata, namespace: obj.metadata.namespace || d.namespace } })
    }
  }
  for (const s of d.secrets ?? []) {
    const data = Object.fromEntries(Object.entries(s.fromEnv).map(([key, variable]) => [key, Buffer.from(process.env[variable] || vars[variable] || 'sandbox-value').toString('base64')]))
    put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name, namespace: d.namespace }, type: 'Opaque', data } as never)
  }
  // Let the release roll out (the simulator's pods start in ~120 ms).
  await new Promise((r) => setTimeout(r, 500))
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
  const kubeconfig = d.kubeconfig ? resolve(targetDir, d.kubeconfig) : rb.env.vars.SANDBOX_KUBECONFIG
  const conn = { ...(kubeconfig ? { kubeconfig } : {}), ...(d.context ? { context: d.context } : {}), namespace: d.namespace }
  const rolloutMs = parseDuration(d.rolloutTimeout ?? '10m')
  return { d, ns: d.namespace, targetDir, conn, kube: kubeSpecs(conn), rolloutMs, converge: { timeoutMs: Math.max(10_000, Math.min(rolloutMs, 120_000)) } }
}
