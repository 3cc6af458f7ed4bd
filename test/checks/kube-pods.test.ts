import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { judgePods, podsHealthy } from '../../checks/kube-pods.ts'
import type { KubeSim } from '../../sandbox/kube-sim/index.ts'
import { runCli } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { deployment, startShopSim, startSilentApiServer } from './kube-fixtures.ts'

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

describe('podsHealthy', () => {
  it('passes for Running 1/1 pods and reports rows like kubectl get pods', async () => {
    const r = await podsHealthy({ ...conn(), selector: 'app=web', minPods: 2 })
    expect(r.status).toBe('pass')
    expect(r.evidence.pods).toHaveLength(2)
    expect(r.evidence.pods[0]).toMatchObject({ ready: '1/1', status: 'Running', restarts: 0, node: 'sim-node-1' })
  })
  it('fails a crash loop with the reason', async () => {
    await new Promise((r) => setTimeout(r, 1400))
    const r = await podsHealthy({ ...conn(), selector: 'app=crashy', fatalRestarts: 2 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/container app: CrashLoopBackOff \(\d+ restarts, last terminated: Error\)/)
    expect(r.evidence.pods[0]!.status).toBe('CrashLoopBackOff')
  })
  it('reports an unschedulable pod as such once the grace period is over', async () => {
    sim.put(deployment('pending', { ns: 'shop', replicas: 1, fault: 'Unschedulable' }))
    await new Promise((r) => setTimeout(r, 400))
    const r = await podsHealthy({ ...conn(), selector: 'app=pending', fatalGrace: 200 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^pod pending-\S+: Unschedulable: 0\/1 nodes are available: 1 Insufficient cpu/)
    expect(r.evidence.pods[0]!.status).toBe('Pending')
  })
  it('fails when too few pods match', async () => {
    const r = await podsHealthy({ ...conn(), selector: 'app=nothing' })
    expect(r.message).toBe('0 pods with app=nothing in shop, expected at least 1')
  })
  it.each([
    ['not ready', [{ metadata: { name: 'a' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: false, state: { running: {} } }] } }], 'fail', /1 of 1 pods in ns not ready: a 0\/1 Running/],
    ['restart budget', [{ metadata: { name: 'a' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 4, state: { running: {} }, lastState: { terminated: { reason: 'OOMKilled' } } }] } }], 'fail', /pod a restarted 4 times \(at most 3 allowed\), last terminated: OOMKilled/],
    ['healthy', [{ metadata: { name: 'a' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, state: { running: {} } }] } }], 'pass', /1 pods in ns Running and Ready \(1\/1\)/],
  ])('judgePods: %s', (_n, pods, status, msg) => {
    const v = judgePods(pods as never, { now: Date.now(), minPods: 1, maxRestarts: 3, fatalGrace: 60_000, fatalRestarts: 3 }, { namespace: 'ns', selector: '' })
    expect(v.status).toBe(status)
    expect(v.message).toMatch(msg)
  })
})

describe('kind: kube-pods', () => {
  it('builds a runnable check from a target entry (the selector as the title)', async () => {
    const { spec, result } = await runEntry({ id: 'p', kind: 'kube-pods', selector: 'app=web', minPods: 2 })
    expect(spec.title).toBe('pods app=web in shop are healthy')
    expect(result.status).toBe('pass')
  })

  it('check kube-pods --timeout shorter than requestTimeout, against a server that never answers: the request phase is named', async () => {
    const api = await startSilentApiServer()
    try {
      // The first check of a process also imports @kubernetes/client-node (seconds on a busy machine), inside its timeout.
      const run = await runCli(['check', 'kube-pods', 'app=web', '--kubeconfig', api.kubeconfig, '--request-timeout', '1m', '--timeout', '10s'])
      expect(run.code).toBe(1)
      // Not the runner's "timed out after 10000 ms": the client's own timeout, capped against the deadline.
      expect(run.stdout).toMatch(/did not answer list pods in namespace default: request timed out after \d+ ms/)
    } finally {
      await api.close()
    }
  })
})
