import { randomBytes } from 'node:crypto'
import type { KObj } from './kube-sim/index.ts'
import { FAULT_ANNOTATION, startKubeSim } from './kube-sim/index.ts'

/**
 * The sandbox's "production cluster" for the deploy runbook: a Kubernetes API simulator seeded with
 * the seed runbook's prerequisites (namespace, service account, network policy, ingress-nginx and
 * cert-manager running, the ClusterIssuer) and the PREVIOUS release of every deployment already
 * rolled out, so a deploy has something to roll back to.
 */

export interface DeployClusterOptions {
  namespace: string
  deployments: string[]
  registry: string
  previousVersion: string
  serviceAccount?: string
  clusterIssuer?: string
  /** Faults in force; the deploy cluster's own (DEPLOY_CLUSTER_FAULTS in catalog.ts) act on the release. */
  faults?: readonly string[]
}

export interface DeployCluster {
  /** SANDBOX_KUBECONFIG, SANDBOX_KUBE_NAMESPACE and the release-fault variables the sandbox manifests use. No secrets. */
  vars: Record<string, string>
  /** Secret values the deploy's secrets step reads, by variable name (SANDBOX_SERVICEDESK_API_KEY): register them for redaction. */
  secrets: Record<string, string>
  kubeconfigPath: string
  /** Creates or replaces an object in the simulator's store directly. */
  put(obj: KObj): KObj
  /** Puts objects (in the release's namespace unless they name one) and lets them roll out. */
  seed(objs: readonly KObj[]): Promise<void>
  close(): Promise<void>
}

export async function startDeployCluster(opts: DeployClusterOptions): Promise<DeployCluster> {
  const sim = await startKubeSim({ namespaces: ['default', 'kube-system', opts.namespace, 'ingress-nginx', 'cert-manager'], timing: { podStartMs: 60, podReadyMs: 60, crashIntervalMs: 150, certReadyMs: 150, ingressAddressMs: 60 } })
  const running = (ns: string, name: string, image: string): KObj => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }] } } },
  })
  sim.put(running('ingress-nginx', 'ingress-nginx-controller', 'registry.k8s.io/ingress-nginx/controller:v1.10.0'))
  sim.put(running('cert-manager', 'cert-manager', 'quay.io/jetstack/cert-manager-controller:v1.14.0'))
  sim.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: opts.serviceAccount ?? 'app-sa', namespace: opts.namespace } })
  sim.put({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: opts.namespace }, spec: { podSelector: {}, policyTypes: ['Ingress'] } })
  sim.put({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: opts.clusterIssuer ?? 'letsencrypt-prod' }, spec: { acme: {} } })
  for (const d of opts.deployments) sim.put(running(opts.namespace, d, `${opts.registry}/${d}:${opts.previousVersion}`))
  // Let the previous release finish rolling out before the runbook looks.
  await new Promise((r) => setTimeout(r, 400))
  const fault = opts.faults?.includes('crashloop') ? 'CrashLoopBackOff' : opts.faults?.includes('image-pull') ? 'ImagePullBackOff' : ''
  return {
    vars: { SANDBOX_KUBECONFIG: sim.kubeconfigPath, SANDBOX_KUBE_NAMESPACE: opts.namespace, SANDBOX_RELEASE_FAULT: fault, SANDBOX_FAULT_ANNOTATION: FAULT_ANNOTATION },
    // A throwaway "production" API key, generated per run, so the secrets step has a real value to carry.
    secrets: { SANDBOX_SERVICEDESK_API_KEY: `sdp-${randomBytes(12).toString('hex')}` },
    kubeconfigPath: sim.kubeconfigPath,
    put: (obj) => sim.put(obj),
    seed: async (objs) => {
      for (const obj of objs) sim.put({ ...obj, metadata: { ...obj.metadata, namespace: obj.metadata.namespace || opts.namespace } })
      // Let the release roll out (the simulator's pods start in ~120 ms).
      await new Promise((r) => setTimeout(r, 500))
    },
    close: () => sim.close(),
  }
}
