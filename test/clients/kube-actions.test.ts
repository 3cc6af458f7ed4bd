// clients/kube-actions.ts against the simulator (and kubectl where it is the reference).
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { rolloutStatus } from '../../checks/kube-rollout.ts'
import { secretHasKeys } from '../../checks/kube-secret-keys.ts'
import { applyManifests, KubeActionError, loadManifests, restartRollout, rolloutUndo, setImage, upsertSecretFromEnv } from '../../clients/kube-actions.ts'
import { Redactor } from '../../lib/redact.ts'
import { type KubeSim, startKubeSim } from '../../sandbox/kube-sim/index.ts'
import { deployment } from '../checks/kube-fixtures.ts'

let sim: KubeSim
let dir: string
const conn = () => ({ kubeconfig: sim.kubeconfigPath, namespace: 'shop' })
const rolled = async (name: string) => (await rolloutStatus({ ...conn(), name, waitFor: 10_000 })).status

beforeAll(async () => {
  sim = await startKubeSim()
  dir = await mkdtemp(join(tmpdir(), 'kube-manifests-'))
  // Deliberately out of dependency order, across files, one multi-document.
  await writeFile(join(dir, '10-app.yaml'), [deployment('web', { ns: 'shop', replicas: 2 }), { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop' }, spec: { rules: [{ host: 'shop.example.com' }] } }].map((o) => stringify(o)).join('---\n'))
  await writeFile(join(dir, '20-base.yaml'), [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app-sa', namespace: 'shop' } }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' }, data: { LOG_LEVEL: 'info' } }].map((o) => stringify(o)).join('---\n'))
  await writeFile(join(dir, 'README.md'), 'not a manifest')
})
afterAll(async () => {
  await sim?.close()
})

describe('applyManifests', () => {
  it('orders by dependency', () => {
    expect(loadManifests(dir).map((o) => o.kind)).toEqual(['Namespace', 'ServiceAccount', 'ConfigMap', 'Deployment', 'Ingress'])
  })
  it('dry run changes nothing and says so (objects in a namespace that does not exist yet fail, as on a real API server)', async () => {
    const ns = join(dir, '..', `ns-${Date.now()}.yaml`)
    await writeFile(ns, stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }))
    const r = await applyManifests({ ...conn(), paths: ns, dryRun: true })
    expect(r[0]!.line).toBe('namespace/shop created (server dry run)')
    expect(sim.store.get('namespaces', undefined, 'shop')).toBeUndefined()
    await expect(applyManifests({ ...conn(), paths: dir, dryRun: true })).rejects.toThrow('namespace shop not found')
  })
  it('created, then unchanged, then configured, like kubectl apply', async () => {
    const first = await applyManifests({ ...conn(), paths: dir })
    expect(first.map((r) => r.line)).toEqual(['namespace/shop created', 'serviceaccount/app-sa created', 'configmap/settings created', 'deployment.apps/web created', 'ingress.networking.k8s.io/web created'])
    expect(await rolled('web')).toBe('pass')
    const second = await applyManifests({ ...conn(), paths: dir })
    expect(second.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged'])
    await writeFile(join(dir, '30-cm.yaml'), stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' }, data: { LOG_LEVEL: 'debug' } }))
    const third = await applyManifests({ ...conn(), paths: join(dir, '30-cm.yaml') })
    expect(third[0]!.line).toBe('configmap/settings configured')
    expect(sim.store.get('configmaps', 'shop', 'settings')!.data.LOG_LEVEL).toBe('debug')
    await writeFile(join(dir, '30-cm.yaml'), stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' }, data: { LOG_LEVEL: 'warn' } }))
    const dry = await applyManifests({ ...conn(), paths: join(dir, '30-cm.yaml'), dryRun: true })
    expect(dry[0]!.line).toBe('configmap/settings configured (server dry run)')
    expect(sim.store.get('configmaps', 'shop', 'settings')!.data.LOG_LEVEL).toBe('debug')
  })
  it('an invalid object stops with the server\'s reason', async () => {
    const bad = join(dir, '..', `bad-${Date.now()}.yaml`)
    const d = deployment('mismatch', { ns: 'shop' })
    d.spec.selector.matchLabels = { app: 'other' }
    await writeFile(bad, stringify(d))
    await expect(applyManifests({ ...conn(), paths: bad })).rejects.toThrow('Deployment.apps "mismatch" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{...}: `selector` does not match template `labels`')
    await expect(applyManifests({ ...conn(), paths: bad })).rejects.toBeInstanceOf(KubeActionError)
  })
})

describe('upsertSecretFromEnv', () => {
  it('creates from env vars, registers values for redaction, never returns them', async () => {
    const red = new Redactor()
    const env = { PROD_DB: 'postgres://app:hunter2-long@db/app', API_KEY: 'key-123456' }
    const r = await upsertSecretFromEnv({ ...conn(), name: 'app-secrets', keys: { DATABASE_URL: 'PROD_DB', API_KEY: 'API_KEY' }, env, redactor: red })
    expect(r.line).toBe('secret/app-secrets created')
    expect(JSON.stringify(r)).not.toContain('hunter2')
    expect(red.redact('x postgres://app:hunter2-long@db/app key-123456')).not.toMatch(/hunter2|key-123456/)
    expect((await secretHasKeys({ ...conn(), name: 'app-secrets', keys: ['DATABASE_URL', 'API_KEY'] })).status).toBe('pass')
    expect((await upsertSecretFromEnv({ ...conn(), name: 'app-secrets', keys: { DATABASE_URL: 'PROD_DB', API_KEY: 'API_KEY' }, env, redactor: red })).outcome).toBe('unchanged')
  })
  it('a missing variable names the variable, not a value', async () => {
    await expect(upsertSecretFromEnv({ ...conn(), name: 's', keys: ['NOT_SET_ANYWHERE_X'], env: {} })).rejects.toThrow('environment variable NOT_SET_ANYWHERE_X (for key NOT_SET_ANYWHERE_X of secret s) is not set')
  })
})

describe('setImage, restartRollout, rolloutUndo', () => {
  it('set image (dry run changes nothing), then for real; unknown containers are refused', async () => {
    const dry = await setImage({ ...conn(), name: 'web', images: { app: 'registry.local/app:2.0' }, dryRun: true })
    expect(dry.line).toBe('deployment.apps/web image updated (server dry run)')
    expect(sim.store.get('deployments', 'shop', 'web')!.spec.template.spec.containers[0].image).toBe('registry.local/app:1.0')
    expect((await setImage({ ...conn(), name: 'web', images: { app: 'registry.local/app:2.0' } })).outcome).toBe('image updated')
    expect(await rolled('web')).toBe('pass')
    expect((await setImage({ ...conn(), name: 'web', images: { app: 'registry.local/app:2.0' } })).outcome).toBe('unchanged')
    await expect(setImage({ ...conn(), name: 'web', images: { sidecar: 'x:1' } })).rejects.toThrow('unable to find container named "sidecar" in deployment web')
  })

  it('undo goes back to the previous revision, then a repeat to that revision is skipped; the new revision is the highest', async () => {
    const r = await rolloutUndo({ ...conn(), name: 'web' })
    expect(r.line).toBe('deployment.apps/web rolled back')
    expect(r.revision).toBe(1)
    expect(await rolled('web')).toBe('pass')
    const d = sim.store.get('deployments', 'shop', 'web')!
    expect(d.spec.template.spec.containers[0].image).toBe('registry.local/app:1.0')
    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3')
    const again = await rolloutUndo({ ...conn(), name: 'web', toRevision: 3 })
    expect(again.line).toBe('deployment.apps/web skipped rollback (current template already matches revision 3)')
    await expect(rolloutUndo({ ...conn(), name: 'web', toRevision: 9 })).rejects.toThrow('unable to find specified revision 9 in history')
  })

  it('undo dry run sends dryRun=All and changes nothing', async () => {
    const before = sim.store.get('deployments', 'shop', 'web')!.metadata.resourceVersion
    const r = await rolloutUndo({ ...conn(), name: 'web', dryRun: true })
    expect(r.line).toBe('deployment.apps/web rolled back (server dry run)')
    expect(sim.store.get('deployments', 'shop', 'web')!.metadata.resourceVersion).toBe(before)
  })

  it('restart stamps restartedAt and rolls out new pods', async () => {
    const r = await restartRollout({ ...conn(), name: 'web' })
    expect(r.line).toBe('deployment.apps/web restarted')
    expect(sim.store.get('deployments', 'shop', 'web')!.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(await rolled('web')).toBe('pass')
  })

  it('refuses a paused deployment with kubectl\'s words; no history is an error', async () => {
    const d = sim.store.get('deployments', 'shop', 'web')!
    sim.store.update('deployments', { ...d, spec: { ...d.spec, paused: true } })
    await expect(rolloutUndo({ ...conn(), name: 'web' })).rejects.toThrow("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again")
    await expect(restartRollout({ ...conn(), name: 'web' })).rejects.toThrow(KubeActionError)
    sim.put(deployment('fresh', { ns: 'shop', replicas: 1 }))
    await new Promise((r) => setTimeout(r, 200))
    await expect(rolloutUndo({ ...conn(), name: 'fresh' })).rejects.toThrow('no rollout history found for deployment "fresh"')
    await expect(rolloutUndo({ ...conn(), name: 'ghost' })).rejects.toThrow('deployment ghost not found in namespace shop')
  })

  it('StatefulSet and DaemonSet undo through ControllerRevisions, like kubectl', async () => {
    const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'shop' }, spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'pg:15' }] } } } }
    const file = join(dir, '..', `sts-${Date.now()}.yaml`)
    await writeFile(file, stringify(sts))
    await applyManifests({ ...conn(), paths: file })
    const done = async () => (await rolloutStatus({ ...conn(), workload: 'StatefulSet', name: 'db', waitFor: 10_000 })).status
    expect(await done()).toBe('pass')
    await expect(rolloutUndo({ ...conn(), kind: 'StatefulSet', name: 'db' })).rejects.toThrow('no last revision to roll back to')
    await setImage({ ...conn(), kind: 'StatefulSet', name: 'db', images: { db: 'pg:16' } })
    expect(await done()).toBe('pass')
    const r = await rolloutUndo({ ...conn(), kind: 'StatefulSet', name: 'db' })
    expect(r.line).toBe('statefulset.apps/db rolled back')
    expect(r.revision).toBe(1)
    expect(await done()).toBe('pass')
    expect(sim.store.get('statefulsets', 'shop', 'db')!.spec.template.spec.containers[0].image).toBe('pg:15')
    const again = await rolloutUndo({ ...conn(), kind: 'StatefulSet', name: 'db', toRevision: 3 })
    expect(again.line).toBe('statefulset.apps/db skipped rollback (current template already matches revision 3)')
  })

  // kubectl is the reference for undo; it is on the machine image (Debian kubernetes-client in CI otherwise).
  it.skipIf(!existsSync('/usr/bin/kubectl'))('our undo and kubectl undo leave the same template and annotations', async () => {
    const run = promisify(execFile)
    const k = (...a: string[]) => run('/usr/bin/kubectl', ['-n', 'shop', ...a], { env: { ...process.env, KUBECONFIG: sim.kubeconfigPath } })
    sim.put(deployment('twin-a', { ns: 'shop', replicas: 1 }))
    sim.put(deployment('twin-b', { ns: 'shop', replicas: 1 }))
    for (const n of ['twin-a', 'twin-b']) {
      expect(await rolled(n)).toBe('pass')
      await setImage({ ...conn(), name: n, images: { app: 'registry.local/app:3.0' } })
      expect(await rolled(n)).toBe('pass')
    }
    await rolloutUndo({ ...conn(), name: 'twin-a' })
    await k('rollout', 'undo', 'deployment/twin-b')
    for (const n of ['twin-a', 'twin-b']) expect(await rolled(n)).toBe('pass')
    const a = sim.store.get('deployments', 'shop', 'twin-a')!
    const b = sim.store.get('deployments', 'shop', 'twin-b')!
    const norm = (d: typeof a, name: string) => JSON.parse(JSON.stringify({ t: d.spec.template, a: d.metadata.annotations }).replaceAll(name, 'X'))
    expect(norm(a, 'twin-a')).toEqual(norm(b, 'twin-b'))
  })
})
