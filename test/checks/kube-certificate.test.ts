import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certificateReady } from '../../checks/kube-certificate.ts'
import type { KubeSim } from '../../sandbox/kube-sim/index.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { startShopSim, waitUntil } from './kube-fixtures.ts'

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

describe('certificateReady', () => {
  it('passes once cert-manager (simulated) has issued it', async () => {
    await waitUntil(() => sim.store.get('certificates', 'shop', 'api-tls')?.status?.conditions?.[0]?.status === 'True')
    const r = await certificateReady({ ...conn(), name: 'api-tls' })
    expect(r.status).toBe('pass')
    expect(r.evidence).toMatchObject({ ready: 'True', readyReason: 'Ready', secretName: 'api-tls', issuer: 'ClusterIssuer/letsencrypt-prod' })
  })
  it('fails a certificate that never becomes ready, with the Issuing failure', async () => {
    await waitUntil(() => sim.store.get('certificates', 'shop', 'broken-tls')?.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Issuing' && c.status === 'False'))
    const r = await certificateReady({ ...conn(), name: 'broken-tls' })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/certificate broken-tls is not ready \(Ready=False, DoesNotExist/)
  })
  it('names a missing certificate', async () => {
    expect((await certificateReady({ ...conn(), name: 'nope' })).message).toBe('certificate nope not found in namespace shop')
  })
})

describe('kind: kube-certificate', () => {
  it('builds a runnable check from a target entry (minValidity as a duration)', async () => {
    await waitUntil(() => sim.store.get('certificates', 'shop', 'api-tls')?.status?.conditions?.[0]?.status === 'True')
    expect((await runEntry({ id: 'c', kind: 'kube-certificate', name: 'api-tls', minValidity: '24h' })).result.status).toBe('pass')
    expect((await runEntry({ id: 'c', kind: 'kube-certificate', name: 'none' })).result.status).toBe('fail')
  })
})
