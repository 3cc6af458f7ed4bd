import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resourceExists } from '../../checks/kube-resource.ts'
import type { KubeSim } from '../../sandbox/kube-sim/index.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { startShopSim } from './kube-fixtures.ts'

let sim: KubeSim
const conn = () => ({ kubeconfig: sim.kubeconfigPath, namespace: 'shop' })
/** A target-file entry, built through the one build path and run with a 10 s deadline. */
const runEntry = async (entry: { id: string; kind: string; [field: string]: unknown }) => {
  const spec = await buildKind({ kubeconfig: sim.kubeconfigPath, namespace: 'shop', ...entry }, testBuildContext(process.cwd()))
  return { spec, result: await spec.run(AbortSignal.timeout(10_000), Date.now() + 10_000) }
}

beforeAll(async () => {
  sim = await startShopSim()
})
afterAll(async () => {
  await sim?.close()
})

describe('resourceExists', () => {
  it.each([
    ['ServiceAccount', 'app-sa', 'pass', 'ServiceAccount app-sa exists in namespace shop'],
    ['ClusterIssuer', 'letsencrypt-prod', 'pass', 'ClusterIssuer letsencrypt-prod exists'],
    ['Namespace', 'shop', 'pass', 'Namespace shop exists'],
    ['ServiceAccount', 'ghost', 'fail', 'serviceaccount ghost not found in namespace shop'],
    ['ClusterIssuer', 'letsencrypt-staging', 'fail', 'clusterissuer letsencrypt-staging not found'],
  ])('%s %s', async (kind, name, status, message) => {
    const r = await resourceExists({ ...conn(), resourceKind: kind, name })
    expect(r.status).toBe(status)
    expect(r.message).toBe(message)
  })
  it('lists with a minimum count (network policies)', async () => {
    expect((await resourceExists({ ...conn(), resourceKind: 'NetworkPolicy' })).status).toBe('pass')
    const r = await resourceExists({ ...conn(), resourceKind: 'NetworkPolicy', minCount: 3 })
    expect(r.message).toBe('1 NetworkPolicy objects in namespace shop, expected at least 3')
  })
  it('a kind the server does not serve is a clear failure', async () => {
    const r = await resourceExists({ ...conn(), resourceKind: 'Gateway', apiVersion: 'gateway.networking.k8s.io/v1', name: 'x' })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/does not serve|not serve|gateway/i)
  })
})

describe('kind: kube-resource', () => {
  it('builds a runnable check from a target entry', async () => {
    const { spec, result } = await runEntry({ id: 'x', kind: 'kube-resource', resourceKind: 'Namespace', name: 'default' })
    expect(spec.title).toBe('Namespace default exists')
    expect(result.status).toBe('pass')
  })
  it.each([
    [{ resourceKind: 'Gateway', name: 'x' }, /^apiVersion: kind Gateway has no default apiVersion: give apiVersion/],
    [{ resourceKind: 'NetworkPolicy', name: 'x', selector: 'a=b' }, /^selector: selects objects to count: give name or selector, not both/],
    [{ resourceKind: 'NetworkPolicy', name: 'x', minCount: 2 }, /^minCount: counts listed objects: give name or minCount, not both/],
  ])('cross-field rules are configuration errors before anything runs: %j', async (fields, message) => {
    await expect(buildKind({ id: 'x', kind: 'kube-resource', ...fields }, testBuildContext(process.cwd()))).rejects.toThrow(message)
    await expect(resourceExists({ ...conn(), ...fields })).rejects.toThrow(message)
  })
})
