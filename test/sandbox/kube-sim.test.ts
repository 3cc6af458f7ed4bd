// The Kubernetes API simulator on its own: REST semantics, watch, patches, controllers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rolloutStatus } from '../../checks/kube-rollout.ts'
import { kubeLibrary } from '../../clients/kube.ts'
import { jsonPatch, mergePatch, strategicMergePatch } from '../../sandbox/kube-sim/patch.ts'
import { type KubeSim, startKubeSim } from '../../sandbox/kube-sim/index.ts'
import { matchesSelectors } from '../../sandbox/kube-sim/server.ts'
import { deployment } from '../checks/kube-fixtures.ts'

let sim: KubeSim
// Response bodies are API JSON of many shapes; the tests assert on them field by field.
type AnyJsonResponse = Omit<Response, 'json'> & { json(): Promise<any> }
const api = (path: string, init: RequestInit & { json?: unknown; type?: string } = {}): Promise<AnyJsonResponse> =>
  fetch(sim.url + path, { ...init, headers: { 'Content-Type': init.type ?? 'application/json', ...(init.headers ?? {}) }, body: init.json !== undefined ? JSON.stringify(init.json) : (init.body ?? null) }) as Promise<AnyJsonResponse>

beforeAll(async () => {
  sim = await startKubeSim({ timing: { nodes: ['n1', 'n2'] } })
  // client-node is imported on the first check (a second or more): not while a rollout is watched.
  await kubeLibrary()
})
afterAll(async () => {
  await sim?.close()
})

describe('patch types', () => {
  it.each([
    ['merge: set and delete', { a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 } }, { a: 1, b: { d: 3, e: 4 } }],
    ['merge: arrays replace', { l: [1, 2] }, { l: [3] }, { l: [3] }],
  ])('%s', (_n, doc, patch, out) => {
    expect(mergePatch(doc, patch)).toEqual(out)
  })
  it.each([
    ['containers merge by name (kubectl set image)', { spec: { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:1' }] } }, { spec: { containers: [{ name: 'b', image: 'y:2' }] } }, { spec: { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:2' }] } }],
    ['$patch: replace replaces the map', { t: { a: 1, b: 2 } }, { t: { $patch: 'replace', c: 3 } }, { t: { c: 3 } }],
    ['$patch: delete removes a list item', { containers: [{ name: 'a' }, { name: 'b' }] }, { containers: [{ name: 'a', $patch: 'delete' }] }, { containers: [{ name: 'b' }] }],
    ['directives are ignored', { spec: { x: 1 } }, { $setElementOrder: [], spec: { y: 2 } }, { spec: { x: 1, y: 2 } }],
  ])('strategic: %s', (_n, doc, patch, out) => {
    expect(strategicMergePatch(doc, patch)).toEqual(out)
  })
  it('json patch: replace, add, remove, test (kubectl rollout undo sends replace)', () => {
    expect(jsonPatch({ a: { b: 1 }, l: [1] }, [{ op: 'replace', path: '/a/b', value: 2 }, { op: 'add', path: '/l/-', value: 2 }, { op: 'remove', path: '/a' }, { op: 'test', path: '/l/1', value: 2 }])).toEqual({ l: [1, 2] })
    expect(() => jsonPatch({}, [{ op: 'replace', path: '/missing', value: 1 }])).toThrow(/missing/)
  })
})

describe('selectors', () => {
  const o = { metadata: { name: 'x', namespace: 'ns', labels: { app: 'web', tier: 'front' } }, type: 'Warning' }
  it.each([
    ['app=web', null, true], ['app==web,tier=front', null, true], ['app!=web', null, false], ['app in (web,api)', null, true], ['app notin (web)', null, false], ['tier', null, true], ['!tier', null, false],
    [null, 'metadata.name=x', true], [null, 'metadata.name=y', false], [null, 'type=Warning,metadata.namespace=ns', true], [null, 'type!=Warning', false],
  ])('label %s field %s → %s', (l, f, ok) => {
    expect(matchesSelectors(o, l, f)).toBe(ok)
  })
})

describe('REST semantics', () => {
  it('discovery and version', async () => {
    expect((await (await api('/version')).json()).gitVersion).toMatch(/^v1\.\d+/)
    const apps = await (await api('/apis/apps/v1')).json()
    expect(apps.resources.find((r: { name: string }) => r.name === 'deployments')).toMatchObject({ kind: 'Deployment', namespaced: true, shortNames: ['deploy'] })
    const groups = await (await api('/apis')).json()
    expect(groups.groups.map((g: { name: string }) => g.name)).toEqual(expect.arrayContaining(['apps', 'networking.k8s.io', 'autoscaling', 'cert-manager.io']))
  })
  it('create, conflict on stale resourceVersion, 409 AlreadyExists, 404 Status bodies', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' }, data: { a: '1' } }
    const created = await (await api('/api/v1/namespaces/default/configmaps', { method: 'POST', json: cm })).json()
    expect(created.metadata.resourceVersion).toMatch(/^\d+$/)
    const dup = await api('/api/v1/namespaces/default/configmaps', { method: 'POST', json: cm })
    expect(dup.status).toBe(409)
    expect(await dup.json()).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', message: 'configmaps "c1" already exists', code: 409 })
    const ok = await api('/api/v1/namespaces/default/configmaps/c1', { method: 'PUT', json: { ...created, data: { a: '2' } } })
    expect(ok.status).toBe(200)
    const stale = await api('/api/v1/namespaces/default/configmaps/c1', { method: 'PUT', json: { ...created, data: { a: '3' } } })
    expect(stale.status).toBe(409)
    expect((await stale.json()).reason).toBe('Conflict')
    const missing = await api('/apis/apps/v1/namespaces/default/deployments/nope')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ reason: 'NotFound', message: 'deployments.apps "nope" not found', details: { name: 'nope', group: 'apps', kind: 'deployments' } })
  })
  it('dryRun=All validates and returns the object without storing it', async () => {
    const r = await api('/api/v1/namespaces/default/configmaps?dryRun=All', { method: 'POST', json: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } } })
    expect(r.status).toBe(201)
    expect((await api('/api/v1/namespaces/default/configmaps/dry')).status).toBe(404)
  })
  it('422 Invalid for a bad deployment, 415 for an unknown patch type', async () => {
    const d = deployment('bad')
    d.spec.template.spec.containers = []
    const r = await api('/apis/apps/v1/namespaces/default/deployments', { method: 'POST', json: d })
    expect(r.status).toBe(422)
    expect((await r.json()).message).toBe('Deployment.apps "bad" is invalid: spec.template.spec.containers: Required value')
    expect((await api('/api/v1/namespaces/default/configmaps/c1', { method: 'PATCH', type: 'text/plain', body: '{}' })).status).toBe(415)
  })
  it('status subresource: main-resource writes keep status, /status writes only status', async () => {
    sim.put({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'default' }, spec: { podSelector: {} } })
    const ing = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i', namespace: 'default', annotations: { 'kube-sim.runbook-kit.dev/fault': 'NoAddress' } }, spec: { rules: [] } }
    await api('/apis/networking.k8s.io/v1/namespaces/default/ingresses', { method: 'POST', json: { ...ing, status: { loadBalancer: { ingress: [{ ip: '9.9.9.9' }] } } } })
    expect(sim.store.get('ingresses', 'default', 'i')!.status).toBeUndefined()
    await api('/apis/networking.k8s.io/v1/namespaces/default/ingresses/i/status', { method: 'PATCH', type: 'application/merge-patch+json', json: { status: { loadBalancer: { ingress: [{ ip: '1.1.1.1' }] } }, spec: { rules: [{ host: 'ignored' }] } } })
    const after = sim.store.get('ingresses', 'default', 'i')!
    expect(after.status.loadBalancer.ingress[0].ip).toBe('1.1.1.1')
    expect(after.spec.rules).toEqual([])
  })
  it('401 without the token, 403 from the authorizer', async () => {
    const locked = await startKubeSim({ token: 'sekrit-token', authorize: (a) => a.verb !== 'delete' })
    try {
      expect((await fetch(`${locked.url}/api/v1/namespaces`)).status).toBe(401)
      const auth = { Authorization: 'Bearer sekrit-token' }
      expect((await fetch(`${locked.url}/api/v1/namespaces`, { headers: auth })).status).toBe(200)
      const del = await fetch(`${locked.url}/api/v1/namespaces/default`, { method: 'DELETE', headers: auth })
      expect(del.status).toBe(403)
      expect(((await del.json()) as { message: string }).message).toBe('namespaces "default" is forbidden: User "system:serviceaccount:default:runbook-kit" cannot delete resource "namespaces" in API group "" at the cluster scope')
    } finally {
      await locked.close()
    }
  })
})

describe('watch', () => {
  it('streams events after a resourceVersion, and answers 410 Expired for a compacted one', async () => {
    const list = await (await api('/api/v1/namespaces/default/configmaps')).json()
    const rv = list.metadata.resourceVersion
    const ctrl = new AbortController()
    const res = await fetch(`${sim.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&fieldSelector=metadata.name%3Dw1`, { signal: ctrl.signal })
    expect(res.status).toBe(200)
    sim.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1', namespace: 'default' }, data: {} })
    sim.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w2', namespace: 'default' }, data: {} })
    const reader = res.body!.getReader()
    const { value } = await reader.read()
    const event = JSON.parse(new TextDecoder().decode(value).split('\n')[0]!)
    expect(event).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'w1' } } })
    ctrl.abort()
    sim.expireResourceVersions()
    const gone = await fetch(`${sim.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`)
    const text = await gone.text()
    expect(JSON.parse(text.trim())).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })
  })
})

describe('controllers', () => {
  it('StatefulSet rolls out in order and rolls a new revision; rolloutStatus agrees with kubectl semantics', async () => {
    const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default' }, spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'pg:15' }] } } } }
    await api('/apis/apps/v1/namespaces/default/statefulsets', { method: 'POST', json: sts })
    const r = await rolloutStatus({ kubeconfig: sim.kubeconfigPath, workload: 'StatefulSet', name: 'db', waitFor: 15_000 })
    expect(r.status).toBe('pass')
    expect(r.message).toBe('partitioned roll out complete: 3 new pods have been updated...')
    expect(r.evidence.progress).toContain('Waiting for 3 pods to be ready...')
    await api('/apis/apps/v1/namespaces/default/statefulsets/db', { method: 'PATCH', type: 'application/strategic-merge-patch+json', json: { spec: { template: { spec: { containers: [{ name: 'db', image: 'pg:16' }] } } } } })
    const r2 = await rolloutStatus({ kubeconfig: sim.kubeconfigPath, workload: 'sts' as never, name: 'db', waitFor: 15_000 })
    expect(r2.status).toBe('pass')
    const pods = sim.store.list('pods', 'default').filter((p) => p.metadata.labels.app === 'db')
    expect(new Set(pods.map((p) => p.metadata.labels['controller-revision-hash'])).size).toBe(1)
  })
  it('DaemonSet runs one pod per node and reports kubectl\'s messages', async () => {
    sim.put({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'agent' } }, updateStrategy: { type: 'RollingUpdate' }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }] } } } })
    const r = await rolloutStatus({ kubeconfig: sim.kubeconfigPath, workload: 'DaemonSet', name: 'agent', waitFor: 15_000 })
    expect(r.status).toBe('pass')
    expect(r.message).toBe('daemon set "agent" successfully rolled out')
    expect(sim.store.list('pods', 'default').filter((p) => p.metadata.labels.app === 'agent').map((p) => p.spec.nodeName).sort()).toEqual(['n1', 'n2'])
  })
  it('a slow API server makes a check fail within its request timeout', async () => {
    sim.options.latencyMs = 2000
    try {
      const started = Date.now()
      const r = await rolloutStatus({ kubeconfig: sim.kubeconfigPath, name: 'db', workload: 'StatefulSet', requestTimeout: 300, waitFor: 5000 })
      expect(r.status).toBe('fail')
      expect(r.message).toMatch(/did not answer list statefulsets in namespace default: request timed out after 300 ms/)
      expect(Date.now() - started).toBeLessThan(1500)
    } finally {
      delete sim.options.latencyMs
    }
  })
})
