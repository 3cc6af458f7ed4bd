/**
 * The classification of pod waiting reasons into fatal / fatal-after-grace / benign, as the rollout
 * and pod checks judge them. Pure.
 */
import { toMs, type ContainerStatusLike, type PodLike } from '../clients/kube-print.ts'
import { Duration, Type } from '../lib/schema.ts'

/** When a pod problem counts as fatal: the options kube-pods and kube-rollout share, declared once here. */
export const POD_PROBLEM_FIELDS = Object.freeze({
  fatalGrace: Type.Optional(Duration({ default: '60s', description: 'how long ImagePullBackOff/CrashLoopBackOff/Unschedulable may last, from pod creation, before it counts as fatal' })),
  fatalRestarts: Type.Optional(Type.Integer({ minimum: 0, default: 3, description: 'restarts at which a crash loop is fatal even inside the grace period' })),
})

/** Waiting reasons that can never resolve by themselves: fatal at once. */
export const FATAL_NOW_REASONS: readonly string[] = Object.freeze(['InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError'])
/** Waiting reasons that are fatal once they persist past a grace period or N restarts. */
export const FATAL_AFTER_GRACE_REASONS: readonly string[] = Object.freeze(['ErrImagePull', 'ImagePullBackOff', 'CrashLoopBackOff', 'RunContainerError', 'CreateContainerError'])


/** A problem found in one container (or the pod, for scheduling) of one pod. */
export interface PodProblem {
  pod: string
  /** Container name; absent for pod-level problems (Unschedulable). */
  container?: string
  init?: boolean
  reason: string
  message?: string
  restarts: number
  /** `now`: fatal at once; `grace`: fatal because it outlived the grace period or restart budget; `pending`: still inside the grace period. */
  severity: 'now' | 'grace' | 'pending'
  /** Reason of the last termination, e.g. OOMKilled. */
  lastTerminationReason?: string
}

export interface FatalPolicy {
  /** Evaluation time, ms since the epoch. */
  now: number
  /** How long a grace-period reason (or Unschedulable) may persist, measured from pod creation, ms. */
  graceMs: number
  /** A grace-period reason becomes fatal at this many restarts of the container, whatever the age. */
  fatalRestarts: number
}

/** Fatal and soon-to-be-fatal conditions of a pod: waiting reasons (init containers included) and Unschedulable. */
export function podProblems(pod: PodLike, policy: FatalPolicy): PodProblem[] {
  const name = pod.metadata?.name ?? ''
  const created = toMs(pod.metadata?.creationTimestamp) ?? policy.now
  const outlived = policy.now - created >= policy.graceMs
  const out: PodProblem[] = []
  const scan = (list: ContainerStatusLike[] | null | undefined, init: boolean) => {
    for (const c of list ?? []) {
      const reason = c.state?.waiting?.reason
      if (!reason) continue
      const restarts = c.restartCount ?? 0
      const last = c.lastState?.terminated?.reason ?? undefined
      let severity: PodProblem['severity'] | undefined
      if (FATAL_NOW_REASONS.includes(reason)) severity = 'now'
      else if (FATAL_AFTER_GRACE_REASONS.includes(reason)) severity = outlived || restarts >= policy.fatalRestarts ? 'grace' : 'pending'
      if (!severity) continue
      const p: PodProblem = { pod: name, container: c.name, reason, restarts, severity }
      if (init) p.init = true
      if (c.state?.waiting?.message) p.message = c.state.waiting.message
      if (last) p.lastTerminationReason = last
      out.push(p)
    }
  }
  scan(pod.status?.initContainerStatuses, true)
  scan(pod.status?.containerStatuses, false)
  const sched = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable')
  if (sched) {
    const p: PodProblem = { pod: name, reason: 'Unschedulable', restarts: 0, severity: outlived ? 'grace' : 'pending' }
    if (sched.message) p.message = sched.message
    out.push(p)
  }
  return out
}

/** One-line description of a problem, e.g. `pod web-1 container app: CrashLoopBackOff (5 restarts, last terminated: OOMKilled)`. */
export function describeProblem(p: PodProblem): string {
  const where = p.container ? `pod ${p.pod} ${p.init ? 'init container' : 'container'} ${p.container}` : `pod ${p.pod}`
  const extra: string[] = []
  if (p.container) extra.push(`${p.restarts} restart${p.restarts === 1 ? '' : 's'}`)
  if (p.lastTerminationReason) extra.push(`last terminated: ${p.lastTerminationReason}`)
  const msg = p.message && p.reason === 'Unschedulable' ? `: ${p.message}` : ''
  return `${where}: ${p.reason}${extra.length ? ` (${extra.join(', ')})` : ''}${msg}`
}
