// A tiny loopback stand-in for the Kubernetes API that misbehaves on purpose: it serves LIST of one
// Deployment (and an empty pod list) and answers WATCH requests the way the test says (close at
// once, 410 Gone, stay open and silent, or stream one MODIFIED event). Every request is counted.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type WatchBehaviour =
  /** 200 and an empty body: the watch ends at once. */
  | 'close'
  /** HTTP 410 Gone with a Status (resourceVersion too old). */
  | 'gone-http'
  /** 200, then one ERROR event with a 410 Status, then end. */
  | 'gone-event'
  /** 200 and nothing more, ever (until the client goes away). */
  | 'silent'
  /** 200, one MODIFIED event with the current object, then stay open. */
  | 'event'

export interface FaultServer {
  url: string
  kubeconfigPath: string
  /** Requests by kind: `list`, `watch`, `pods-list`, `pods-watch`, `other`. */
  counts: Record<string, number>
  /** All requests, in order, with their arrival time (ms since start). */
  log: { at: number; kind: string; url: string }[]
  /** What the next workload watch does; a function sees the 1-based watch number. */
  watch: WatchBehaviour | ((n: number) => WatchBehaviour)
  /** Delay before answering LIST number n (1-based), ms; default none. */
  listDelayMs?: (n: number) => number
  /** The Deployment as LIST and `event` watches return it. Mutable. */
  deployment: Record<string, any>
  /** Makes the Deployment look rolled out (status matches spec, new generation observed). */
  markDone(): void
  close(): Promise<void>
}

export function deploymentObject(name: string, replicas = 2): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 2, resourceVersion: '10', annotations: { 'deployment.kubernetes.io/revision': '2' } },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.local/app:2' }] } } },
    status: { observedGeneration: 2, replicas, updatedReplicas: 1, availableReplicas: 0, readyReplicas: 0 },
  }
}

export async function startFaultServer(name: string, opts: { watch: FaultServer['watch'] }): Promise<FaultServer> {
  const started = Date.now()
  let rv = 10
  const open = new Set<ServerResponse>()
  let watches = 0
  let lists = 0
  const fs: FaultServer = {
    url: '',
    kubeconfigPath: '',
    counts: {},
    log: [],
    watch: opts.watch,
    deployment: deploymentObject(name),
    markDone() {
      const d = fs.deployment
      d.metadata.resourceVersion = String(++rv)
      d.status = { observedGeneration: d.metadata.generation, replicas: d.spec.replicas, updatedReplicas: d.spec.replicas, availableReplicas: d.spec.replicas, readyReplicas: d.spec.replicas }
    },
    close: async () => {
      for (const r of open) r.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const count = (kind: string, req: IncomingMessage) => {
    fs.counts[kind] = (fs.counts[kind] ?? 0) + 1
    fs.log.push({ at: Date.now() - started, kind, url: req.url ?? '' })
  }
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x')
    const isWatch = u.searchParams.get('watch') === 'true'
    if (u.pathname === '/api/v1/namespaces/default/pods') {
      count(isWatch ? 'pods-watch' : 'pods-list', req)
      if (!isWatch) return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items: [] })
      // Pod watches stay open quietly: the fault under test is on the workload side.
      res.writeHead(200, { 'content-type': 'application/json' })
      res.flushHeaders()
      open.add(res)
      res.on('close', () => open.delete(res))
      return
    }
    if (u.pathname !== '/apis/apps/v1/namespaces/default/deployments') {
      count('other', req)
      return json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not served' })
    }
    if (!isWatch) {
      count('list', req)
      const answer = () => json(res, 200, { kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: { resourceVersion: fs.deployment.metadata.resourceVersion }, items: [fs.deployment] })
      const delay = fs.listDelayMs?.(++lists) ?? 0
      if (delay <= 0) return answer()
      open.add(res)
      const t = setTimeout(answer, delay)
      res.on('close', () => (clearTimeout(t), open.delete(res)))
      return
    }
    count('watch', req)
    watches++
    const behaviour = typeof fs.watch === 'function' ? fs.watch(watches) : fs.watch
    const gone = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' }
    if (behaviour === 'gone-http') return json(res, 410, gone)
    res.writeHead(200, { 'content-type': 'application/json' })
    if (behaviour === 'close') return res.end()
    if (behaviour === 'gone-event') return res.end(JSON.stringify({ type: 'ERROR', object: gone }) + '\n')
    open.add(res)
    res.on('close', () => open.delete(res))
    if (behaviour === 'event') res.write(JSON.stringify({ type: 'MODIFIED', object: fs.deployment }) + '\n')
    else res.flushHeaders()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  fs.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const dir = await mkdtemp(join(tmpdir(), 'kube-fault-'))
  fs.kubeconfigPath = join(dir, 'kubeconfig')
  await writeFile(
    fs.kubeconfigPath,
    `apiVersion: v1\nkind: Config\nclusters: [{name: f, cluster: {server: "${fs.url}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: f, context: {cluster: f, user: u, namespace: default}}]\ncurrent-context: f\n`,
  )
  return fs
}
