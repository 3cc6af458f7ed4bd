import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hpaHealthy, judgeHpa } from '../../checks/kube-hpa.ts'
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

describe('hpaHealthy', () => {
  it('hpa within bounds and active', async () => {
    await waitUntil(() => Boolean(sim.store.get('horizontalpodautoscalers', 'shop', 'web')?.status?.conditions))
    const r = await hpaHealthy({ ...conn(), name: 'web' })
    expect(r.status).toBe('pass')
    expect(r.evidence).toMatchObject({ currentReplicas: 2, minReplicas: 2, maxReplicas: 5, target: 'Deployment/web' })
  })
  it.each([
    ['inactive', { spec: { minReplicas: 1, maxReplicas: 3 }, status: { currentReplicas: 1, conditions: [{ type: 'AbleToScale', status: 'True' }, { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'no metrics' }] } }, /ScalingActive=False \(FailedGetResourceMetric: no metrics\)/],
    ['above max', { spec: { minReplicas: 1, maxReplicas: 3 }, status: { currentReplicas: 4, conditions: [{ type: 'AbleToScale', status: 'True' }, { type: 'ScalingActive', status: 'True' }] } }, /4 replicas, outside 1..3/],
    ['no conditions', { spec: { maxReplicas: 3 }, status: {} }, /no AbleToScale condition yet/],
  ])('judgeHpa: %s', (_n, h, msg) => {
    expect(judgeHpa(h, { name: 'h', namespace: 'n' }).message).toMatch(msg)
  })
})

describe('kind: kube-hpa', () => {
  it('builds a runnable check from a target entry', async () => {
    const { spec, result } = await runEntry({ id: 'h', kind: 'kube-hpa', name: 'none' })
    expect(spec.title).toBe('hpa none in shop is healthy')
    expect(result.message).toBe('hpa none not found in namespace shop')
  })
})
