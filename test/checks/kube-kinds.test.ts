import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redactor } from '../../lib/redact.ts'
import { type KubeSim, startKubeSim } from '../../sandbox/kube-sim/index.ts'
import { kubeCertificateKind } from '../../smoke/kinds/kube-certificate.ts'
import { kubeEventsKind } from '../../smoke/kinds/kube-events.ts'
import { kubeHpaKind } from '../../smoke/kinds/kube-hpa.ts'
import { kubeIngressKind } from '../../smoke/kinds/kube-ingress.ts'
import { kubePodsKind } from '../../smoke/kinds/kube-pods.ts'
import { kubeResourceKind } from '../../smoke/kinds/kube-resource.ts'
import { kubeRolloutKind } from '../../smoke/kinds/kube-rollout.ts'
import { kubeSecretKeysKind } from '../../smoke/kinds/kube-secret-keys.ts'
import type { BuildContext, CheckKind } from '../../smoke/kinds/types.ts'
import { deployment } from './kube-fixtures.ts'

const KINDS: CheckKind[] = [kubeRolloutKind, kubePodsKind, kubeCertificateKind, kubeResourceKind, kubeSecretKeysKind, kubeIngressKind, kubeHpaKind, kubeEventsKind]

let sim: KubeSim
let ctx: BuildContext
beforeAll(async () => {
  sim = await startKubeSim()
  ctx = { target: 't', targetFile: `${sim.kubeconfigPath}.yaml`, tls: {}, reportDir: '/tmp', redactor: new Redactor(), resolvePath: (p) => p }
  sim.put(deployment('web', { replicas: 1 }))
  sim.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { A: 'eA==' } })
})
afterAll(async () => {
  await sim?.close()
})

describe('kube check kinds', () => {
  it.each(KINDS.map((k) => [k.kind, k] as const))('%s has a valid schema with a description on every property', (_name, k) => {
    const ajv = new Ajv({ strict: true, allErrors: true })
    // ajv-formats is CommonJS: depending on the loader the default import is the function or the module object.
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv
    addFormats(ajv)
    expect(() => ajv.compile({ type: 'object', additionalProperties: false, properties: { id: {}, kind: {}, ...k.properties }, required: k.required ?? [] })).not.toThrow()
    for (const [name, p] of Object.entries(k.properties)) expect((p as { description?: string }).description, name).toBeTruthy()
    expect(k.kind.startsWith('kube-')).toBe(true)
  })

  it.each([
    [kubeRolloutKind, { id: 'r', kind: 'kube-rollout', name: 'web', waitFor: '5s' }, 'pass'],
    [kubePodsKind, { id: 'p', kind: 'kube-pods', selector: 'app=web' }, 'pass'], // runs after the rollout entry above has finished
    [kubeResourceKind, { id: 'x', kind: 'kube-resource', resourceKind: 'Namespace', name: 'default' }, 'pass'],
    [kubeSecretKeysKind, { id: 's', kind: 'kube-secret-keys', name: 's', keys: ['A', 'B'] }, 'fail'],
    [kubeIngressKind, { id: 'i', kind: 'kube-ingress', name: 'none' }, 'fail'],
    [kubeHpaKind, { id: 'h', kind: 'kube-hpa', name: 'none' }, 'fail'],
    [kubeCertificateKind, { id: 'c', kind: 'kube-certificate', name: 'none' }, 'fail'],
    [kubeEventsKind, { id: 'e', kind: 'kube-events', within: '1m' }, 'pass'],
  ])('%#: builds a runnable check from a target entry', async (k, entry, status) => {
    const spec = (k as CheckKind).build({ ...entry, kubeconfig: sim.kubeconfigPath }, ctx)
    const r = await spec.run(AbortSignal.timeout(10_000))
    expect(r.status).toBe(status)
  })
})
