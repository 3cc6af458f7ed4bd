import { rolloutUndo } from '../clients/kube-actions.ts'
import { createKubeClient, kubeStatusCode, type KubeConnectionOptions } from '../clients/kube.ts'
import type { StepContext } from '../lib/runbook/index.ts'

/**
 * The deploy's undo is exact: before applying, it records the revision of every Deployment it is
 * about to apply; on rollback it undoes only the Deployments whose revision moved since (a new pod
 * template), back to the recorded revision. A Deployment whose apply changed only metadata (labels,
 * annotations, replicas) keeps its revision and is left alone: rolling it back "to the previous
 * revision" would downgrade a release this run never touched.
 */

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision'

/** What the cluster says about a Deployment at undo time. */
export interface LiveRevision {
  /** `deployment.kubernetes.io/revision`; 0 when absent. */
  revision: number
  generation: number
  /** status.observedGeneration: below `generation`, the controller has not yet seen the latest spec. */
  observedGeneration: number
}

export type UndoDecision = { action: 'undo'; toRevision: number; reason: string } | { action: 'keep'; reason: string }

/** Pure: should the undo roll this Deployment back, and to which revision? */
export function judgeUndo(name: string, recorded: number | undefined, live: LiveRevision | undefined): UndoDecision {
  if (recorded === undefined || recorded <= 0) return { action: 'keep', reason: `deployment/${name} had no revision before this run: nothing to roll back to` }
  if (!live) return { action: 'keep', reason: `deployment/${name} no longer exists` }
  if (live.revision !== recorded) return { action: 'undo', toRevision: recorded, reason: `deployment/${name} moved from revision ${recorded} to ${live.revision}` }
  // Same revision, but the controller has not looked at the new spec yet: the template may still have
  // changed. rolloutUndo to the recorded revision then either restores it or skips (template matches).
  if (live.observedGeneration < live.generation) return { action: 'undo', toRevision: recorded, reason: `deployment/${name} is at revision ${recorded} but its latest spec is not observed yet` }
  return { action: 'keep', reason: `deployment/${name} is still at revision ${recorded} (this run changed no pod template): nothing to undo` }
}

/** Reads a Deployment's revision and generations; undefined when it does not exist. */
export async function readLiveRevision(conn: KubeConnectionOptions, name: string): Promise<LiveRevision | undefined> {
  const client = await createKubeClient(conn)
  try {
    const d = await client.apps.readNamespacedDeployment({ name, namespace: client.namespace }, client.call())
    return {
      revision: Number(d.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0) || 0,
      generation: d.metadata?.generation ?? 0,
      observedGeneration: d.status?.observedGeneration ?? 0,
    }
  } catch (err) {
    if (kubeStatusCode(err) === 404) return undefined
    throw err
  }
}

/** Records the revision of each named Deployment that exists (recorded as an action of the step). */
export async function recordRevisions(ctx: Pick<StepContext, 'action' | 'signal'>, conn: KubeConnectionOptions, names: readonly string[]): Promise<Record<string, number>> {
  const ns = conn.namespace ?? 'default'
  const out: Record<string, number> = {}
  for (const name of names) {
    const live = await ctx.action(`get deployment/${name} -n ${ns} (revision before applying)`, () => readLiveRevision({ ...conn, signal: ctx.signal }, name))
    if (live && live.revision > 0) out[name] = live.revision
  }
  return out
}

/** The Apply step's undo: rolls back each recorded Deployment that `judgeUndo` says this run changed. */
export async function undoChangedDeployments(ctx: Pick<StepContext, 'action' | 'log' | 'signal' | 'dryRun'>, conn: KubeConnectionOptions, recorded: Readonly<Record<string, number>>): Promise<void> {
  const ns = conn.namespace ?? 'default'
  for (const [name, revision] of Object.entries(recorded)) {
    const live = await ctx.action(`get deployment/${name} -n ${ns}`, () => readLiveRevision({ ...conn, signal: ctx.signal }, name))
    const decision = judgeUndo(name, revision, live)
    if (decision.action === 'keep') {
      ctx.log(decision.reason)
      continue
    }
    const r = await ctx.action(`rollout undo deployment/${name} --to-revision=${decision.toRevision} -n ${ns}`, () =>
      rolloutUndo({ ...conn, name, toRevision: decision.toRevision, dryRun: ctx.dryRun, signal: ctx.signal }),
    )
    ctx.log(`${r.line} (${decision.reason})`)
  }
}
