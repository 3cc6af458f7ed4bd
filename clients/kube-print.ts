/**
 * Pod status as `kubectl get pods` prints it (STATUS, READY, RESTARTS; the algorithm of kubectl's
 * printPod), kubectl's human ages and the last termination reason. Pure functions over pods as the
 * API server returns them (raw JSON or client-node models); the simulator prints with them too.
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
