/**
 * Pod status as `kubectl get pods` prints it (STATUS, READY, RESTARTS; the algorithm of kubectl's
 * printPod), and the classification of waiting reasons into fatal / fatal-after-grace / benign.
 * Pure functions over pods as the API server returns them (raw JSON or client-node models).
 */

export type KubeTime = Date | string | null | undefined

export interface ContainerStatusLike {
  name: string
  ready?: boolean | null
  started?: boolean | null
  restartCount?: number | null
  image?: string | null
  state?: ContainerStateLike | null
  lastState?: ContainerStateLike | null
}

export interface ContainerStateLike {
  waiting?: { reason?: string | null; message?: string | null } | null
  running?: { startedAt?: KubeTime } | null
  terminated?: { exitCode?: number | null; signal?: number | null; reason?: string | null; message?: string | null; finishedAt?: KubeTime } | null
}

export interface PodLike {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: KubeTime; deletionTimestamp?: KubeTime; labels?: Record<string, string> | null } | null
  spec?: {
    nodeName?: string | null
    containers?: { name: string }[] | null
    initContainers?: { name: string; restartPolicy?: string | null }[] | null
  } | null
  status?: {
    phase?: string | null
    reason?: string | null
    message?: string | null
    conditions?: { type: string; status: string; reason?: string | null; message?: string | null }[] | null
    containerStatuses?: ContainerStatusLike[] | null
    initContainerStatuses?: ContainerStatusLike[] | null
  } | null
}

/** What `kubectl get pods` would print for a pod (RESTARTS without the "(5m ago)" suffix). */
export interface PodPrintout {
  status: string
  readyContainers: number
  totalContainers: number
  /** `readyContainers/totalContainers`, e.g. `2/2`. */
  ready: string
  restarts: number
}

/** Waiting reasons that can never resolve by themselves: fatal at once. */
export const FATAL_NOW_REASONS: readonly string[] = Object.freeze(['InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError'])
/** Waiting reasons that are fatal once they persist past a grace period or N restarts. */
export const FATAL_AFTER_GRACE_REASONS: readonly string[] = Object.freeze(['ErrImagePull', 'ImagePullBackOff', 'CrashLoopBackOff', 'RunContainerError', 'CreateContainerError'])

export function toMs(t: KubeTime): number | undefined {
  if (t === null || t === undefined || t === '') return undefined
  const ms = t instanceof Date ? t.getTime() : Date.parse(t)
  return Number.isNaN(ms) ? undefined : ms
}

function isRestartableInit(pod: PodLike, name: string): boolean {
  return pod.spec?.initContainers?.find((c) => c.name === name)?.restartPolicy === 'Always'
}

function conditionTrue(pod: PodLike, type: string): boolean {
  return pod.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false
}

/** The STATUS / READY / RESTARTS columns of `kubectl get pods`, computed as kubectl's printPod does. */
export function printPod(pod: PodLike): PodPrintout {
  const st = pod.status ?? {}
  const initSpecs = pod.spec?.initContainers ?? []
  let totalContainers = (pod.spec?.containers ?? []).length
  for (const c of initSpecs) if (c.restartPolicy === 'Always') totalContainers++
  let readyContainers = 0
  let restarts = 0
  let restartableInitRestarts = 0
  let reason = st.reason || st.phase || ''
  if (st.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated'

  let initializing = false
  const inits = st.initContainerStatuses ?? []
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!
    restarts += c.restartCount ?? 0
    const restartable = isRestartableInit(pod, c.name)
    if (restartable) restartableInitRestarts += c.restartCount ?? 0
    const term = c.state?.terminated
    const wait = c.state?.waiting
    if (term && (term.exitCode ?? 0) === 0) continue
    if (restartable && c.started) {
      if (c.ready) readyContainers++
      continue
    }
    if (term) {
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode ?? 0}`
      else reason = `Init:${term.reason}`
    } else if (wait && wait.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`
    } else {
      reason = `Init:${i}/${initSpecs.length}`
    }
    initializing = true
    break
  }

  if (!initializing || conditionTrue(pod, 'Initialized')) {
    restarts = restartableInitRestarts
    let hasRunning = false
    const cs = st.containerStatuses ?? []
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]!
      restarts += c.restartCount ?? 0
      const wait = c.state?.waiting
      const term = c.state?.terminated
      if (wait && wait.reason) reason = wait.reason
      else if (term && term.reason) reason = term.reason
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode ?? 0}`
      else if (c.ready && c.state?.running) {
        hasRunning = true
        readyContainers++
      }
    }
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady'
  }

  const deleting = toMs(pod.metadata?.deletionTimestamp) !== undefined
  if (deleting && st.reason === 'NodeLost') reason = 'Unknown'
  else if (deleting && st.phase !== 'Succeeded' && st.phase !== 'Failed') reason = 'Terminating'

  return { status: reason, readyContainers, totalContainers, ready: `${readyContainers}/${totalContainers}`, restarts }
}

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

/** The most recent termination reason across containers (e.g. OOMKilled), as shown by `kubectl describe`. */
export function lastTerminationReason(pod: PodLike): string | undefined {
  let best: { at: number; reason: string } | undefined
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const t = c.lastState?.terminated ?? c.state?.terminated
    if (!t?.reason) continue
    const at = toMs(t.finishedAt) ?? 0
    if (!best || at >= best.at) best = { at, reason: t.reason }
  }
  return best?.reason
}

/** kubectl's short human age: 45s, 3m20s, 5h, 2d. */
export function humanAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 120) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`
  if (m < 180) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`
  if (h < 48) return `${h}h`
  const d = Math.floor(h / 24)
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`
  if (d < 365 * 2) return `${d}d`
  return `${Math.floor(d / 365)}y`
}
