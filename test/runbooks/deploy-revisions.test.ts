import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StepContext } from '../../lib/runbook/index.ts'
import { judgeUndo, readLiveRevision, undoChangedDeployments, type LiveRevision, type UndoDecision } from '../../runbooks/deploy-revisions.ts'
import { startKubeSim, type KubeSim } from '../../sandbox/kube-sim/index.ts'

describe('judgeUndo', () => {
  const live = (revision: number, generation = 3, observedGeneration = generation): LiveRevision => ({ revision, generation, observedGeneration })
  it.each<[string, number | undefined, LiveRevision | undefined, UndoDecision['action'], number | undefined]>([
    ['new pod template: back to the recorded revision', 4, live(5), 'undo', 4],
    ['rolled forward twice: still the recorded one, not "the previous"', 4, live(7), 'undo', 4],
    ['metadata-only change: same revision, spec observed', 4, live(4), 'keep', undefined],
    ['same revision but the new spec not observed yet', 4, live(4, 6, 5), 'undo', 4],
    ['created by this run: nothing to go back to', undefined, live(1), 'keep', undefined],
    ['deleted since', 4, undefined, 'keep', undefined],
  ])('%s', (_name, recorded, l, action, toRevision) => {
    const d = judgeUndo('web', recorded, l)
    expect(d.action).toBe(action)
    expect(d.action === 'undo' ? d.toRevision : undefined).toBe(toRevision)
  })
})

/** The Apply step's undo against the Kubernetes simulator, with a release history like production's. */
describe('undoChangedDeployments on the simulator', () => {
  let sim: KubeSim
  const ns = 'production'
  const conn = () => ({ kubeconfig: sim.kubeconfigPath, namespace: ns })
  const deployment = (name: string, image: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name, ...labels } },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }] } } },
  })
  const settle = async (name: string, revision: number) => {
    for (let i = 0; i < 100; i++) {
      const l = await readLiveRevision(conn(), name)
      if (l && l.revision === revision && l.observedGeneration >= l.generation) return l
      await new Promise((r) => setTimeout(r, 20))
    }
    throw new Error(`${name} did not reach revision ${revision}`)
  }
  const image = async (name: string) => {
    const d = sim.store.get('deployments', ns, name)
    return d?.spec.template.spec.containers[0].image as string
  }

  beforeAll(async () => {
    sim = await startKubeSim({ namespaces: ['default', ns], timing: { podStartMs: 20, podReadyMs: 20 } })
  })
  afterAll(async () => {
    await sim.close()
  })

  it('rolls back only what this run moved, to the recorded revision; a metadata-only change is left alone', async () => {
    // History: v1 (revision 1) then v2 (revision 2) of both; this "run" records revision 2 of both,
    // then ships v3 of api (revision 3) and only a new label on worker (still revision 2).
    for (const name of ['api', 'worker']) {
      sim.put(deployment(name, `reg/${name}:v1`))
      await settle(name, 1)
      sim.put(deployment(name, `reg/${name}:v2`))
      await settle(name, 2)
    }
    const recorded = { api: 2, worker: 2 }
    sim.put(deployment('api', 'reg/api:v3'))
    sim.put(deployment('worker', 'reg/worker:v2', { team: 'agents' }))
    await settle('api', 3)
    await settle('worker', 2)

    const commands: string[] = []
    const logs: string[] = []
    const ctx: Pick<StepContext, 'action' | 'log' | 'signal' | 'dryRun'> = {
      action: async (description, fn) => {
        commands.push(description)
        return fn()
      },
      log: (line) => logs.push(line),
      signal: AbortSignal.timeout(10_000),
      dryRun: false,
    }
    await undoChangedDeployments(ctx, conn(), recorded)

    expect(commands).toEqual(['get deployment/api -n production', 'rollout undo deployment/api --to-revision=2 -n production', 'get deployment/worker -n production'])
    expect(await image('api')).toBe('reg/api:v2')
    // The worker keeps the release it ran: not downgraded to v1.
    expect(await image('worker')).toBe('reg/worker:v2')
    expect(logs.join('\n')).toContain('deployment/worker is still at revision 2 (this run changed no pod template): nothing to undo')
  })
})
