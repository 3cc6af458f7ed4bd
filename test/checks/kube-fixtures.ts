// Shared helpers for the Kubernetes tests: manifests for the simulator, a populated simulator, a silent API server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FAULT_ANNOTATION, type KubeSim, startKubeSim } from '../../sandbox/kube-sim/index.ts'

export function deployment(name: string, opts: { replicas?: number; image?: string; fault?: string; ns?: string; progressDeadlineSeconds?: number } = {}) {
  const annotations = opts.fault ? { [FAULT_ANNOTATION]: opts.fault } : undefined
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: opts.ns ?? 'default' },
    spec: {
      replicas: opts.replicas ?? 2,
      progressDeadlineSeconds: opts.progressDeadlineSeconds ?? 600,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, ...(annotations ? { annotations } : {}) }, spec: { containers: [{ name: 'app', image: opts.image ?? 'registry.local/app:1.0' }] } },
    },
  }
}

/** Polls `what` every 50 ms until it is true; throws after `ms`. */
export async function waitUntil(what: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * A simulator with the seed runbooks' prerequisites in namespace `shop`: a service account, a
 * network policy, a ClusterIssuer and two Certificates (one never ready), a Secret, an Ingress, an
 * HPA, a healthy deployment `web` (2 replicas, available on return) and a crash-looping `crashy`.
 */
export async function startShopSim(): Promise<KubeSim> {
  const sim = await startKubeSim({ namespaces: ['default', 'shop', 'cert-manager'] })
  sim.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app-sa', namespace: 'shop' } })
  sim.put({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'shop' }, spec: { podSelector: {} } })
  sim.put({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt-prod' }, spec: { acme: {} } })
  sim.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-secrets', namespace: 'shop' }, type: 'Opaque', data: { DATABASE_URL: Buffer.from(SHOP_SECRET_VALUE).toString('base64'), API_KEY: '' } })
  sim.put({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'api-tls', namespace: 'shop' }, spec: { secretName: 'api-tls', dnsNames: ['api.example.com'], issuerRef: { name: 'letsencrypt-prod', kind: 'ClusterIssuer' } } })
  sim.put({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'broken-tls', namespace: 'shop', annotations: { [FAULT_ANNOTATION]: 'NeverReady' } }, spec: { secretName: 'broken-tls', issuerRef: { name: 'letsencrypt-prod', kind: 'ClusterIssuer' } } })
  sim.put({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop' }, spec: { ingressClassName: 'nginx', tls: [{ hosts: ['shop.example.com'], secretName: 'api-tls' }], rules: [{ host: 'shop.example.com' }] } })
  sim.put(deployment('web', { ns: 'shop', replicas: 2 }))
  sim.put(deployment('crashy', { ns: 'shop', replicas: 1, fault: 'CrashLoopBackOff' }))
  sim.put({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'shop' }, spec: { minReplicas: 2, maxReplicas: 5, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } } })
  await waitUntil(() => (sim.store.get('deployments', 'shop', 'web')?.status?.availableReplicas ?? 0) === 2)
  return sim
}

/** The value of DATABASE_URL in the shop's Secret `app-secrets` (it must never reach a result). */
export const SHOP_SECRET_VALUE = 'postgres://app:s3cr3t-value@db/app'

/**
 * A kubeconfig for a loopback API server that accepts connections and never answers (or answers
 * what `answer` returns for a request, e.g. lists, and leaves the rest hanging): for deadline tests.
 */
export async function startSilentApiServer(answer: (req: IncomingMessage) => unknown = () => undefined): Promise<{ kubeconfig: string; dir: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    const body = answer(req)
    if (body === undefined) return // hang: headers never come
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const { port } = server.address() as AddressInfo
  const dir = await mkdtemp(join(tmpdir(), 'kube-silent-'))
  const kubeconfig = join(dir, 'config')
  await writeFile(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`)
  return {
    kubeconfig,
    dir,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      await rm(dir, { recursive: true, force: true })
    },
  }
}
