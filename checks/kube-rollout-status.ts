/**
 * Rollout status of Deployments, StatefulSets and DaemonSets, judged exactly as
 * `kubectl rollout status` does (kubectl's polymorphichelpers/rollout_status.go): same order of
 * tests, same messages. Pure functions over the object as the API server returns it.
 */

/** The fields of a Deployment that rollout status reads. Works with raw JSON and client-node models. */
export interface DeploymentLike {
  metadata?: { name?: string; generation?: number; annotations?: Record<string, string> | null }
  spec?: { replicas?: number | null; paused?: boolean | null } | null
  status?: {
    observedGeneration?: number | null
    replicas?: number | null
    updatedReplicas?: number | null
    availableReplicas?: number | null
    readyReplicas?: number | null
    unavailableReplicas?: number | null
    conditions?: { type: string; status: string; reason?: string | null; message?: string | null }[] | null
  } | null
}

export interface DaemonSetLike {
  metadata?: { name?: string; generation?: number }
  spec?: { updateStrategy?: { type?: string | null } | null } | null
  status?: {
    observedGeneration?: number | null
    desiredNumberScheduled?: number | null
    updatedNumberScheduled?: number | null
    numberAvailable?: number | null
  } | null
}

export interface StatefulSetLike {
  metadata?: { name?: string; generation?: number }
  spec?: {
    replicas?: number | null
    updateStrategy?: { type?: string | null; rollingUpdate?: { partition?: number | null } | null } | null
  } | null
  status?: {
    observedGeneration?: number | null
    replicas?: number | null
    readyReplicas?: number | null
    currentReplicas?: number | null
    updatedReplicas?: number | null
    currentRevision?: string | null
    updateRevision?: string | null
  } | null
}

/**
 * One evaluation. `error` set means kubectl would stop with that error (exit 1); otherwise
 * `message` is the line kubectl prints (without its trailing newline) and `done` says whether
 * it would stop waiting.
 */
export interface RolloutState {
  done: boolean
  message: string
  error?: string
}

export type RolloutKind = 'Deployment' | 'StatefulSet' | 'DaemonSet'

/** Value of the Deployment Progressing condition reason when the progress deadline has passed. */
export const PROGRESS_DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded'

const n = (v: number | null | undefined): number => v ?? 0

/** kubectl's DeploymentStatusViewer. `revision` > 0 pins the expected `deployment.kubernetes.io/revision`. */
export function deploymentRolloutState(d: DeploymentLike, revision = 0): RolloutState {
  const name = d.metadata?.name ?? ''
  if (revision > 0) {
    const raw = d.metadata?.annotations?.['deployment.kubernetes.io/revision']
    const current = raw === undefined ? 0 : Number(raw)
    if (!Number.isInteger(current)) return { done: false, message: '', error: `cannot get the revision of deployment ${q(name)}: invalid revision ${q(String(raw))}` }
    if (current !== revision) return { done: false, message: '', error: `desired revision (${revision}) is different from the running revision (${current})` }
  }
  const st = d.status ?? {}
  if (n(d.metadata?.generation) <= n(st.observedGeneration)) {
    const progressing = st.conditions?.find((c) => c.type === 'Progressing')
    if (progressing?.reason === PROGRESS_DEADLINE_EXCEEDED) {
      return { done: false, message: '', error: `deployment ${q(name)} exceeded its progress deadline` }
    }
    const specReplicas = d.spec?.replicas
    if (specReplicas !== undefined && specReplicas !== null && n(st.updatedReplicas) < specReplicas) {
      return { done: false, message: `Waiting for deployment ${q(name)} rollout to finish: ${n(st.updatedReplicas)} out of ${specReplicas} new replicas have been updated...` }
    }
    if (n(st.replicas) > n(st.updatedReplicas)) {
      return { done: false, message: `Waiting for deployment ${q(name)} rollout to finish: ${n(st.replicas) - n(st.updatedReplicas)} old replicas are pending termination...` }
    }
    if (n(st.availableReplicas) < n(st.updatedReplicas)) {
      return { done: false, message: `Waiting for deployment ${q(name)} rollout to finish: ${n(st.availableReplicas)} of ${n(st.updatedReplicas)} updated replicas are available...` }
    }
    return { done: true, message: `deployment ${q(name)} successfully rolled out` }
  }
  return { done: false, message: 'Waiting for deployment spec update to be observed...' }
}

/** kubectl's DaemonSetStatusViewer (RollingUpdate only). */
export function daemonSetRolloutState(ds: DaemonSetLike): RolloutState {
  const name = ds.metadata?.name ?? ''
  if (ds.spec?.updateStrategy?.type !== 'RollingUpdate') {
    return { done: true, message: '', error: 'rollout status is only available for RollingUpdate strategy type' }
  }
  const st = ds.status ?? {}
  if (n(ds.metadata?.generation) <= n(st.observedGeneration)) {
    if (n(st.updatedNumberScheduled) < n(st.desiredNumberScheduled)) {
      return { done: false, message: `Waiting for daemon set ${q(name)} rollout to finish: ${n(st.updatedNumberScheduled)} out of ${n(st.desiredNumberScheduled)} new pods have been updated...` }
    }
    if (n(st.numberAvailable) < n(st.desiredNumberScheduled)) {
      return { done: false, message: `Waiting for daemon set ${q(name)} rollout to finish: ${n(st.numberAvailable)} of ${n(st.desiredNumberScheduled)} updated pods are available...` }
    }
    return { done: true, message: `daemon set ${q(name)} successfully rolled out` }
  }
  return { done: false, message: 'Waiting for daemon set spec update to be observed...' }
}

/** kubectl's StatefulSetStatusViewer (RollingUpdate only; partitions; revisions without a rollingUpdate block). */
export function statefulSetRolloutState(sts: StatefulSetLike): RolloutState {
  const strategy = sts.spec?.updateStrategy
  if (strategy?.type !== 'RollingUpdate') {
    return { done: true, message: '', error: 'rollout status is only available for RollingUpdate strategy type' }
  }
  const st = sts.status ?? {}
  if (n(st.observedGeneration) === 0 || n(sts.metadata?.generation) > n(st.observedGeneration)) {
    return { done: false, message: 'Waiting for statefulset spec update to be observed...' }
  }
  const replicas = sts.spec?.replicas
  const hasReplicas = replicas !== undefined && replicas !== null
  if (hasReplicas && n(st.readyReplicas) < replicas) {
    return { done: false, message: `Waiting for ${replicas - n(st.readyReplicas)} pods to be ready...` }
  }
  if (strategy.rollingUpdate) {
    const partition = strategy.rollingUpdate.partition
    if (hasReplicas && partition !== undefined && partition !== null && n(st.updatedReplicas) < replicas - partition) {
      return { done: false, message: `Waiting for partitioned roll out to finish: ${n(st.updatedReplicas)} out of ${replicas - partition} new pods have been updated...` }
    }
    return { done: true, message: `partitioned roll out complete: ${n(st.updatedReplicas)} new pods have been updated...` }
  }
  if ((st.updateRevision ?? '') !== (st.currentRevision ?? '')) {
    return { done: false, message: `waiting for statefulset rolling update to complete ${n(st.updatedReplicas)} pods at revision ${st.updateRevision ?? ''}...` }
  }
  return { done: true, message: `statefulset rolling update complete ${n(st.currentReplicas)} pods at revision ${st.currentRevision ?? ''}...` }
}

/** Dispatches on kind. */
export function rolloutState(kind: RolloutKind, obj: unknown, revision = 0): RolloutState {
  switch (kind) {
    case 'Deployment':
      return deploymentRolloutState(obj as DeploymentLike, revision)
    case 'StatefulSet':
      return statefulSetRolloutState(obj as StatefulSetLike)
    case 'DaemonSet':
      return daemonSetRolloutState(obj as DaemonSetLike)
  }
}

/** Go's %q for the plain names Kubernetes allows. */
function q(s: string): string {
  return JSON.stringify(s)
}
