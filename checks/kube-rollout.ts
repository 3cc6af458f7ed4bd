/**
 * `kind: kube-rollout` — rolloutStatus: waits (with a watch, not polling) until a Deployment,
 * StatefulSet or DaemonSet has rolled out, judged exactly as `kubectl rollout status`. Optionally
 * fails early when the new pods are in a fatal state (kubectl keeps waiting there; kubernetes/kubectl#738).
 *
 * Deadline policy: without `waitFor` the check waits until the attempt's deadline less a margin, so
 * its verdict says what it waited for rather than the runner's bare "timed out"; every API request
 * (and the start of every watch) is capped against the end of the wait, so a hang names its phase.
 */
import { InvalidArgumentError, optionProblem } from '../lib/errors.ts'
import { createKubeClient, describeKubeError, KUBE_CONNECTION_FIELDS, type KubeClient, type WatchStats, watchUntil, kubeLibrary } from '../clients/kube.ts'
import { timeLeft } from '../lib/deadline.ts'
import { stripUndefined } from '../lib/object.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'
import { defaultsOf, Duration, Options, Type, type Static } from '../lib/schema.ts'
import type { PodLike } from '../clients/kube-print.ts'
import { defineKind, type RunContext } from './kind.ts'
import { describeProblem, POD_PROBLEM_FIELDS, type PodProblem, podProblems } from './kube-pod-problems.ts'
import { rolloutState, type RolloutKind, type RolloutState } from './kube-rollout-status.ts'

/** The workload kinds `kubectl rollout status` knows. */
export const ROLLOUT_WORKLOADS = Object.freeze(['Deployment', 'StatefulSet', 'DaemonSet'] as const)
export type RolloutWorkload = (typeof ROLLOUT_WORKLOADS)[number]

export const KubeRolloutOptions = Options({
  name: Type.String({ minLength: 1, description: 'workload name' }),
  workload: Type.Optional(Type.Unsafe<RolloutWorkload>({ type: 'string', enum: [...ROLLOUT_WORKLOADS], default: 'Deployment', description: 'workload kind' })),
  waitFor: Type.Optional(Duration({ description: "how long to wait for the rollout (default: until the check's timeout, less a margin); 0 judges once like kubectl --watch=false" })),
  revision: Type.Optional(Type.Integer({ minimum: 0, description: 'expected deployment.kubernetes.io/revision of a Deployment, like kubectl --revision (default and 0: any)' })),
  failFast: Type.Optional(Type.Boolean({ default: true, description: 'fail as soon as a pod of the new revision is in a fatal state; false waits like kubectl' })),
  ...POD_PROBLEM_FIELDS,
  ...KUBE_CONNECTION_FIELDS,
})

/**
 * rolloutStatus's options: the declared fields (ms, an absolute kubeconfig path) and the run context.
 * Without `waitFor` and without a `deadline` (a library call outside the runner) it waits
 * NO_DEADLINE_WAIT_MS.
 */
export type RolloutStatusOptions = Static<typeof KubeRolloutOptions> & RunContext

export const ROLLOUT_DEFAULTS = defaultsOf(KubeRolloutOptions, 'workload', 'failFast', 'fatalGrace', 'fatalRestarts')
/** How long a rollout is waited for when neither `waitFor` nor a deadline says. */
export const NO_DEADLINE_WAIT_MS = 300_000

/** Options as `observe` uses them: defaults applied, `timeout` the wait in ms (0: look once). */
type ResolvedRollout = RolloutStatusOptions & typeof ROLLOUT_DEFAULTS & { revision: number; timeout: number }

export interface RolloutEvidence {
  kind: RolloutKind
  name: string
  namespace: string
  server: string
  /** kubectl's last status line (or its error). */
  kubectl: string
  /** Distinct status lines in the order seen, as `kubectl rollout status` would print them. */
  progress: string[]
  generation?: number
  observedGeneration?: number
  revision?: string
  replicas?: number
  status?: Record<string, unknown>
  /** Pods of the new revision in a fatal state (failFast). */
  fatalPods?: PodProblem[]
  /** Problems of the new revision's pods at the last look, fatal or still inside the grace period (at most 10). */
  lastPodProblems?: PodProblem[]
  waitedMs: number
  watch?: WatchStats
  serverMessage?: string
}

const KINDS: Record<string, { kind: RolloutKind; resource: string; singular: string }> = {
  deployment: { kind: 'Deployment', resource: 'deployments', singular: 'deployment' },
  deploy: { kind: 'Deployment', resource: 'deployments', singular: 'deployment' },
  deployments: { kind: 'Deployment', resource: 'deployments', singular: 'deployment' },
  statefulset: { kind: 'StatefulSet', resource: 'statefulsets', singular: 'statefulset' },
  sts: { kind: 'StatefulSet', resource: 'statefulsets', singular: 'statefulset' },
  statefulsets: { kind: 'StatefulSet', resource: 'statefulsets', singular: 'statefulset' },
  daemonset: { kind: 'DaemonSet', resource: 'daemonsets', singular: 'daemonset' },
  ds: { kind: 'DaemonSet', resource: 'daemonsets', singular: 'daemonset' },
  daemonsets: { kind: 'DaemonSet', resource: 'daemonsets', singular: 'daemonset' },
}

export function resolveRolloutKind(kind: string): { kind: RolloutKind; resource: string; singular: string } {
  const k = KINDS[kind.toLowerCase()]
  if (!k) throw new InvalidArgumentError(`rollout status supports Deployment, StatefulSet and DaemonSet, not "${kind}"`)
  return k
}

type Workload = { metadata?: any; spec?: any; status?: any }

export const kubeRolloutKind = defineKind({
  kind: 'kube-rollout',
  description: 'waits (a watch that backs off, relists on 410 and resyncs when silent, like client-go) until a Deployment/StatefulSet/DaemonSet has rolled out, judged as `kubectl rollout status`; fails early on crash loops and unpullable images; at the deadline, says the last pod problem',
  options: KubeRolloutOptions,
  preload: kubeLibrary,
  positional: 'name',
  title: (o) => rolloutTitle(o.workload ?? ROLLOUT_DEFAULTS.workload, o.name, o.namespace),
  validate: validateRollout,
  run: (o, rt) => rolloutStatus({ ...o, ...rt }),
})

function rolloutTitle(workload: string, name: string, namespace: string | undefined): string {
  return `${workload} ${name}${namespace ? ` in ${namespace}` : ''} rolled out`
}

/** The cross-field rules, for target files, the command line and library callers alike. */
export function validateRollout(o: Pick<RolloutStatusOptions, 'workload' | 'revision'>): void {
  if (o.revision && resolveRolloutKind(o.workload ?? ROLLOUT_DEFAULTS.workload).kind !== 'Deployment') {
    throw optionProblem('revision', `only a Deployment has a revision to pin (kubectl --revision): leave out {revision}, or set {workload} to Deployment`)
  }
}

/**
 * When the wait for the rollout ends (epoch ms): `waitFor` from now, never past the deadline less a
 * margin (a tenth of the time left, between 200 ms and 1 s, for the verdict); without `waitFor`,
 * that point itself; NO_DEADLINE_WAIT_MS from now without a deadline. Pure.
 */
export function rolloutWaitEnd(waitFor: number | undefined, deadline: number | undefined, now = Date.now()): number {
  const left = timeLeft(deadline, now)
  const byDeadline = left === Infinity ? now + NO_DEADLINE_WAIT_MS : now + left - Math.min(1000, Math.max(200, Math.round(left / 10)))
  return waitFor === undefined ? byDeadline : Math.min(now + waitFor, byDeadline)
}

export async function rolloutStatus(options: RolloutStatusOptions): Promise<CheckResult<RolloutEvidence>> {
  const o = { ...ROLLOUT_DEFAULTS, ...stripUndefined(options) }
  if (!o.name) throw new InvalidArgumentError('rolloutStatus needs a name')
  const k = resolveRolloutKind(o.workload)
  for (const f of ['fatalGrace', 'fatalRestarts', 'revision', 'waitFor'] as const) {
    const v = o[f]
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new InvalidArgumentError(`${f} must be a non-negative number, got ${v}`)
  }
  validateRollout(o)
  const waitEnd = rolloutWaitEnd(o.waitFor, o.deadline)
  // Requests are capped against the end of the wait: one that hangs is reported as such before the wait is over.
  const client = await createKubeClient({ ...o, deadline: o.waitFor === 0 ? o.deadline : waitEnd })
  const timeout = o.waitFor === 0 ? 0 : Math.max(1, waitEnd - Date.now())
  const ns = client.namespace
  const meta = { id: o.id ?? `kube-rollout.${o.name}`, title: o.title ?? rolloutTitle(k.kind, o.name, ns), kind: 'kube-rollout' }
  return timed(meta, () => observe(client, { ...o, revision: o.revision ?? 0, timeout }, k))
}

async function observe(client: KubeClient, o: ResolvedRollout, k: ReturnType<typeof resolveRolloutKind>): Promise<Verdict<RolloutEvidence>> {
  const ns = client.namespace
  const started = Date.now()
  const ev: RolloutEvidence = { kind: k.kind, name: o.name, namespace: ns, server: client.server, kubectl: '', progress: [], waitedMs: 0 }
  const op = { verb: 'get', resource: k.resource, kind: k.singular, name: o.name, namespace: ns }
  const fieldSelector = `metadata.name=${o.name}`
  const list = () =>
    client.request<{ items: Workload[]; metadata?: { resourceVersion?: string } }>((call) => {
      if (k.kind === 'Deployment') return client.apps.listNamespacedDeployment({ namespace: ns, fieldSelector }, call)
      if (k.kind === 'StatefulSet') return client.apps.listNamespacedStatefulSet({ namespace: ns, fieldSelector }, call)
      return client.apps.listNamespacedDaemonSet({ namespace: ns, fieldSelector }, call)
    })
  let latest: Workload | undefined
  let lastState: RolloutState | undefined
  let seen: () => void = () => {}
  const firstSeen = new Promise<void>((resolve) => (seen = resolve))
  const record = (w: Workload) => {
    latest = w
    seen()
    const st = rolloutState(k.kind, w, o.revision)
    lastState = st
    const line = st.error ?? st.message
    ev.kubectl = line
    if (line && ev.progress[ev.progress.length - 1] !== line) ev.progress.push(line)
    if (ev.progress.length > 50) ev.progress.splice(1, ev.progress.length - 50)
    return st
  }
  const fill = () => {
    ev.waitedMs = Date.now() - started
    if (!latest) return
    const m = latest.metadata ?? {}
    if (m.generation !== undefined) ev.generation = m.generation
    if (latest.status?.observedGeneration !== undefined && latest.status.observedGeneration !== null) ev.observedGeneration = latest.status.observedGeneration
    const rev = m.annotations?.['deployment.kubernetes.io/revision']
    if (rev) ev.revision = rev
    if (typeof latest.spec?.replicas === 'number') ev.replicas = latest.spec.replicas
    ev.status = summarizeStatus(latest.status)
  }
  const verdictFor = (st: RolloutState): Verdict<RolloutEvidence> => {
    fill()
    if (st.error) return { status: 'fail', message: st.error, evidence: ev }
    if (st.done) return { status: 'pass', message: st.message, evidence: ev }
    return { status: 'fail', message: `not rolled out: ${st.message}`, evidence: ev }
  }
  const failFrom = (err: unknown): Verdict<RolloutEvidence> => {
    const f = describeKubeError(err, { ...op, verb: 'list' }, client.server)
    fill()
    if (f.serverMessage) ev.serverMessage = f.serverMessage
    const message = f.reason === 'Forbidden' ? `not allowed to get ${k.resource} in namespace ${ns}` : f.message
    return { status: 'fail', message, evidence: ev }
  }

  // kubectl --watch=false: one look.
  if (o.timeout === 0) {
    let items: Workload[]
    try {
      items = (await list()).items as Workload[]
    } catch (err) {
      return failFrom(err)
    }
    const w = items.find((x) => x.metadata?.name === o.name)
    if (!w) return notFound()
    return verdictFor(record(w))
  }

  function notFound(): Verdict<RolloutEvidence> {
    fill()
    return { status: 'fail', message: `${k.singular} ${o.name} not found in namespace ${ns}`, evidence: ev }
  }

  // The pods side: a second watch on the workload's pods, judged against the new revision. With
  // failFast it ends the wait on a fatal problem; either way it remembers the last problem seen, so
  // a timeout can say why the rollout did not finish (kubectl only says it timed out).
  // Each side has its own stop switch: stopping one must never make the other look interrupted.
  const stopPods = new AbortController()
  const stopWorkload = new AbortController()
  const podsSignal = o.signal ? AbortSignal.any([o.signal, stopPods.signal]) : stopPods.signal
  const workloadSignal = o.signal ? AbortSignal.any([o.signal, stopWorkload.signal]) : stopWorkload.signal
  const remaining = () => Math.max(1, o.timeout - (Date.now() - started))
  let lastProblems: PodProblem[] = []
  const newHash = newReplicaSetHash(client, ns)
  const podsWatch = async (): Promise<PodProblem[] | undefined> => {
    // Wait for the workload to be known (its selector names the pods).
    await Promise.race([firstSeen, new Promise<void>((resolve) => podsSignal.addEventListener('abort', () => resolve(), { once: true }))])
    if (!latest || podsSignal.aborted) return undefined
    const sel = selectorString(latest.spec?.selector)
    if (!sel) return undefined
    const res = await watchUntil<PodLike, PodProblem[]>({
      client,
      signal: podsSignal,
      timeoutMs: remaining(),
      path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
      query: { labelSelector: sel },
      list: () => client.core.listNamespacedPod({ namespace: ns, labelSelector: sel }, client.call()),
      evaluate: async (pods) => {
        let candidates = [...pods.values()].filter((p) => isNewRevisionPod(p, latest))
        const problems = () => candidates.flatMap((p) => podProblems(p, { now: Date.now(), graceMs: o.fatalGrace, fatalRestarts: o.fatalRestarts }))
        if (problems().length === 0) {
          lastProblems = []
          return undefined
        }
        // Deployments: blame only pods of the newest ReplicaSet (old pods are going away anyway).
        const hash = k.kind === 'Deployment' ? await newHash(latest) : undefined
        if (hash) candidates = candidates.filter((p) => p.metadata?.labels?.['pod-template-hash'] === hash)
        const found = problems()
        lastProblems = found
        const fatal = found.filter((p) => p.severity !== 'pending')
        // Without knowing the new ReplicaSet, a problem may belong to an old pod: remember it, do not fail on it.
        if (!o.failFast || fatal.length === 0 || (k.kind === 'Deployment' && !hash)) return undefined
        return fatal
      },
      reevaluateEveryMs: 1000,
    })
    return res.outcome === 'done' ? res.value : undefined
  }

  const workloadWatch = watchUntil<Workload, { verdict: Verdict<RolloutEvidence> }>({
    client,
    signal: workloadSignal,
    timeoutMs: o.timeout,
    path: k.kind === 'Deployment' ? `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments` : k.kind === 'StatefulSet' ? `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/statefulsets` : `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/daemonsets`,
    query: { fieldSelector },
    list: list as () => Promise<{ items: Workload[]; metadata?: { resourceVersion?: string } }>,
    evaluate: (objs, event) => {
      if (event.type === 'DELETED') {
        fill()
        return { verdict: { status: 'fail', message: `${k.singular} ${o.name} was deleted while waiting (kubectl: object has been deleted)`, evidence: ev } }
      }
      const w = [...objs.values()].find((x) => x.metadata?.name === o.name)
      if (!w) return event.type === 'SYNC' ? { verdict: notFound() } : undefined
      const st = record(w)
      if (st.error || st.done) return { verdict: verdictFor(st) }
      return undefined
    },
  })

  const pods = podsWatch().catch(() => undefined)
  const first = await Promise.race([workloadWatch.then((r) => ({ side: 'workload' as const, r })), pods.then((p) => ({ side: 'pods' as const, p }))])
  if (first.side === 'pods' && first.p && first.p.length > 0) {
    stopWorkload.abort()
    ev.fatalPods = first.p
    fill()
    const top = first.p[0]!
    const more = first.p.length > 1 ? ` (and ${first.p.length - 1} more)` : ''
    return { status: 'fail', message: `${k.singular} ${o.name} rollout cannot finish: ${describeProblem(top)}${more}`, evidence: ev }
  }
  // The pods side ended without a finding (its own deadline, a refused pod list): the workload side decides.
  const r = first.side === 'workload' ? first.r : await workloadWatch
  stopPods.abort()
  ev.watch = r.stats
  if (lastProblems.length > 0) ev.lastPodProblems = lastProblems.slice(0, 10)
  if (r.outcome === 'done') return r.value.verdict
  if (r.outcome === 'error') return failFrom(r.error)
  fill()
  const lastLine = lastState?.error ?? lastState?.message ?? ev.kubectl
  const problem = lastProblems.length > 0 ? `; last pod problem: ${describeProblem(worst(lastProblems))}${lastProblems.length > 1 ? ` (and ${lastProblems.length - 1} more)` : ''}` : ''
  if (r.outcome === 'aborted') return { status: 'fail', message: `interrupted while waiting: ${lastLine || 'no status seen'}${problem}`, evidence: ev }
  const secs = Math.round(o.timeout / 100) / 10
  // kubectl's own wording on --timeout expiry, then what it would have printed last, then why.
  return { status: 'fail', message: `${KUBECTL_TIMEOUT} after ${secs}s: ${lastLine || 'no status seen'}${problem}${r.stats.lastError ? ` (last error: ${r.stats.lastError})` : ''}`, evidence: ev }
}

/** What `kubectl rollout status --timeout` prints when the time is up (client-go's wait.ErrWaitTimeout). */
export const KUBECTL_TIMEOUT = 'timed out waiting for the condition'

/** The problem to name first: fatal ones before those still inside their grace period. */
function worst(problems: PodProblem[]): PodProblem {
  return problems.find((p) => p.severity === 'now') ?? problems.find((p) => p.severity === 'grace') ?? problems[0]!
}

function summarizeStatus(st: any): Record<string, unknown> {
  if (!st) return {}
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(st)) {
    if (key === 'conditions' && Array.isArray(v)) out.conditions = v.map((c: any) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message }))
    else if (v !== null && v !== undefined && typeof v !== 'object') out[key] = v
  }
  return out
}

/** `app=web,tier=front` from a LabelSelector (matchLabels and simple matchExpressions). */
export function selectorString(sel: any): string {
  if (!sel) return ''
  const parts: string[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => `${key}=${String(v)}`)
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`)
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`)
    else if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
  }
  return parts.join(',')
}

function isNewRevisionPod(p: PodLike, w: Workload | undefined): boolean {
  const labels = p.metadata?.labels ?? {}
  if (!w) return false
  if (w.status?.updateRevision) return labels['controller-revision-hash'] === w.status.updateRevision
  return true
}

/**
 * The pod-template-hash of a Deployment's newest ReplicaSet (highest revision), looked up once per
 * Deployment revision (and at most every 2 s while it cannot be found), so judging pods every second
 * does not list ReplicaSets every second.
 */
function newReplicaSetHash(client: KubeClient, ns: string): (d: Workload | undefined) => Promise<string | undefined> {
  let cached: { revision: string; hash: string } | undefined
  let triedAt = 0
  return async (d) => {
    if (!d) return undefined
    const revision = String(d.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? '')
    if (cached && cached.revision === revision) return cached.hash
    if (Date.now() - triedAt < 2000) return undefined
    triedAt = Date.now()
    let rsList
    try {
      rsList = await client.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: selectorString(d.spec?.selector) }, client.call())
    } catch {
      return undefined
    }
    const rev = (rs: (typeof rsList.items)[number]) => Number(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0)
    const owned = rsList.items.filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === d.metadata?.uid))
    const newest = owned.sort((a, b) => rev(b) - rev(a))[0]
    const hash = newest?.metadata?.labels?.['pod-template-hash']
    if (!newest || !hash) return undefined
    // The controller writes the new ReplicaSet before the Deployment's revision: only trust a match.
    if (!revision || String(rev(newest)) === revision) cached = { revision, hash }
    return hash
  }
}
