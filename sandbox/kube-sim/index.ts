/**
 * Kubernetes API SIMULATOR for the sandbox and the tests: an in-process HTTP server that speaks
 * the real REST paths and JSON for the resources runbook-kit checks, with simulated controllers.
 * It is not a Kubernetes API server. Nothing in lib/ or checks/ may import it.
 *
 * Faults, set with the annotation FAULT_ANNOTATION (`kube-sim.runbook-kit.dev/fault`):
 * - on a pod template (or pod): `ImagePullBackOff`, `CrashLoopBackOff` (restartCount rises, lastState
 *   terminated Error), `OOMKilled` (same, exit 137), `Unschedulable`, `CreateContainerConfigError`;
 *   images containing one of `timing.badImages` (default `does-not-exist`) cannot be pulled either;
 * - on a Certificate: `NeverReady` (Ready=False, then Issuing=False reason Failed);
 * - on an Ingress: `NoAddress`; on a HorizontalPodAutoscaler: `ScalingInactive`.
 * Server options `dropWatchesAfterMs`, `latencyMs`, `token` (401) and `authorize` (403) can be changed
 * at run time through `sim.options`; `expireResourceVersions()` makes old resourceVersions 410 Gone.
 *
 * Known limits: request bodies must be JSON or YAML (kubectl's typed generators such as
 * `kubectl create secret` send protobuf and get 415; `kubectl apply/create -f` work); kubectl older than
 * 1.29 needs `--validate=false` for apply (it wants the protobuf OpenAPI v2 document); server-side
 * apply merges like a strategic merge patch and does not track field ownership or conflicts; the
 * Deployment controller surges by maxSurge and scales old ReplicaSets down as new pods become
 * available (maxUnavailable is not modelled); garbage collection is immediate (no finalizers).
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { removeDir, trackDir } from '../cleanup.ts'
import { type ControllerTiming, Controllers } from './controllers.ts'
import { type ServerOptions, SimServer } from './server.ts'
import { type KObj, SimStore } from './store.ts'
import { typeForKind } from './resources.ts'

export { FAULT_ANNOTATION } from './controllers.ts'
export type { SimRequestAttributes } from './server.ts'
export type { KObj } from './store.ts'

export interface KubeSimOptions extends ServerOptions {
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number
  /** Controller timings (real ms) and faults. */
  timing?: Partial<ControllerTiming>
  /** Controller tick, ms. Default 25. */
  tickMs?: number
  /** Namespaces that exist at start. Default: default, kube-system. */
  namespaces?: string[]
  /** Folder for the kubeconfig file; default a new temp folder, removed by `close()`. */
  dir?: string
}

export interface KubeSim {
  /** `http://127.0.0.1:PORT`. */
  url: string
  /** A kubeconfig file (context `kube-sim`, namespace `default`) pointing at the simulator. */
  kubeconfigPath: string
  store: SimStore
  controllers: Controllers
  /** Mutable at run time: token, authorize, dropWatchesAfterMs, latencyMs. */
  options: ServerOptions
  /** Creates (or replaces the spec of) an object directly in the store, like `kubectl apply` without HTTP. */
  put(obj: KObj): KObj
  /** Makes every resourceVersion handed out so far too old to watch from (410 Gone). */
  expireResourceVersions(): void
  /** Closes open watches (clients see a dropped connection). */
  dropWatches(): void
  close(): Promise<void>
}

export const DEFAULT_TIMING: Readonly<ControllerTiming> = Object.freeze({
  podStartMs: 150,
  podReadyMs: 150,
  crashIntervalMs: 300,
  certReadyMs: 300,
  ingressAddressMs: 100,
  timeScale: 1,
  badImages: ['does-not-exist'],
  nodes: ['sim-node-1'],
})

export async function startKubeSim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  const store = new SimStore()
  const timing: ControllerTiming = { ...DEFAULT_TIMING, ...(opts.timing ?? {}) }
  const controllers = new Controllers(store, timing)
  const serverOpts: ServerOptions = {}
  if (opts.token !== undefined) serverOpts.token = opts.token
  if (opts.authorize) serverOpts.authorize = opts.authorize
  if (opts.dropWatchesAfterMs !== undefined) serverOpts.dropWatchesAfterMs = opts.dropWatchesAfterMs
  if (opts.latencyMs !== undefined) serverOpts.latencyMs = opts.latencyMs
  const sim = new SimServer(store, serverOpts)
  for (const ns of opts.namespaces ?? ['default', 'kube-system']) store.create('namespaces', { metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } })
  for (const node of timing.nodes) store.create('nodes', { metadata: { name: node, labels: { 'kubernetes.io/hostname': node } }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } })

  const server: Server = createServer((req, res) => void sim.handle(req, res))
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  // A folder of its own (the default) is removed on close; a folder the caller gave is the caller's.
  const ownDir = opts.dir === undefined
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'kube-sim-')))
  if (ownDir) trackDir(dir)
  const kubeconfigPath = join(dir, 'kubeconfig')
  const user: KObj = opts.token !== undefined ? { token: opts.token } : {}
  await writeFile(
    kubeconfigPath,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node refuses plain http unless TLS verification is explicitly off (there is no TLS to verify).
      clusters: [{ name: 'kube-sim', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'kube-sim', user }],
      contexts: [{ name: 'kube-sim', context: { cluster: 'kube-sim', user: 'kube-sim', namespace: 'default' } }],
      'current-context': 'kube-sim',
    }),
    { mode: 0o600 },
  )

  let ticking = false
  const timer = setInterval(() => {
    if (ticking) return
    ticking = true
    try {
      controllers.tick()
    } finally {
      ticking = false
    }
  }, opts.tickMs ?? 25)

  return {
    url,
    kubeconfigPath,
    store,
    controllers,
    options: serverOpts,
    put(obj: KObj): KObj {
      const t = typeForKind(obj.apiVersion, obj.kind)
      if (!t) throw new Error(`kube-sim: unknown kind ${obj.apiVersion} ${obj.kind}`)
      const cur = store.get(t.resource, obj.metadata?.namespace, obj.metadata.name)
      if (!cur) return store.create(t.resource, obj)
      return store.update(t.resource, { ...cur, ...obj, metadata: { ...cur.metadata, ...obj.metadata }, status: obj.status ?? cur.status })
    },
    expireResourceVersions: () => store.expireResourceVersions(),
    dropWatches: () => sim.closeWatches(),
    async close() {
      clearInterval(timer)
      sim.closeWatches()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (ownDir) removeDir(dir)
    },
  }
}
