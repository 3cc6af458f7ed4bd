import { openEnvironment, type TargetEnvironment } from '../smoke/environment.ts'
import type { OpenRunbookEnvironmentOptions } from '../lib/runbook.ts'

/** Faults of the deploy sandbox's cluster (the demo application's faults are separate). */
export const DEPLOY_FAULTS = ['crashloop', 'image-pull'] as const

/**
 * Opens the target for the deploy and rollback runbooks. For sandbox targets with a `deploy:`
 * section it also starts the runbooks' own "production cluster" (sandbox/deploy-cluster.ts: a
 * Kubernetes simulator with the prerequisites and the previous release rolled out), instead of the
 * smoke sandbox's cluster, so the smoke suite's Kubernetes checks look at what the runbook deploys.
 */
export function openDeployEnvironment(o: OpenRunbookEnvironmentOptions): Promise<TargetEnvironment> {
  return openEnvironment({
    ...o,
    extraFaults: DEPLOY_FAULTS,
    extraProvides: ['SANDBOX_KUBECONFIG', 'SANDBOX_KUBE_NAMESPACE'],
    extraSandbox: async (loaded, faults) => {
      const d = loaded.target.deploy
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
      return { vars: { ...cluster.vars, ...cluster.secrets }, close: () => cluster.close() }
    },
  })
}
