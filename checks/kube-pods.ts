/**
 * `kind: kube-pods` — podsHealthy: every pod matching a label selector is Running and Ready with all
 * containers ready (the seed's `2/2 Running`), restarts within a budget, and no fatal waiting reason.
 * Evidence is a table like `kubectl get pods` (STATUS computed with kubectl's algorithm).
 */
import { InvalidArgumentError } from '../lib/errors.ts'
import { createKubeClient, KUBE_CONNECTION_FIELDS, kubeLibrary } from '../clients/kube.ts'
import { stripUndefined } from '../lib/object.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'
import { defaultsOf, Options, Type, type Static } from '../lib/schema.ts'
import { humanAge, lastTerminationReason, type PodLike, printPod, toMs } from '../clients/kube-print.ts'
import { defineKind, type RunContext } from './kind.ts'
import { kubeApiFailure } from './kube-api-failure.ts'
import { describeProblem, POD_PROBLEM_FIELDS, type PodProblem, podProblems } from './kube-pod-problems.ts'

export const KubePodsOptions = Options({
  selector: Type.String({ description: 'label selector, e.g. app=web (an empty string: every pod of the namespace)' }),
  minPods: Type.Optional(Type.Integer({ minimum: 0, default: 1, description: 'fewest pods that must match' })),
  maxRestarts: Type.Optional(Type.Integer({ minimum: 0, description: 'most restarts per pod, summed over its containers (default: no limit)' })),
  ...POD_PROBLEM_FIELDS,
  ...KUBE_CONNECTION_FIELDS,
})
export type PodsHealthyOptions = Static<typeof KubePodsOptions> & RunContext

export const PODS_DEFAULTS = defaultsOf(KubePodsOptions, 'minPods', 'fatalGrace', 'fatalRestarts')

export const kubePodsKind = defineKind({
  kind: 'kube-pods',
  description: 'pods matching a label selector are Running and Ready with all containers ready, within a restart budget, with no fatal waiting reason (STATUS as kubectl get pods)',
  options: KubePodsOptions,
  preload: kubeLibrary,
  positional: 'selector',
  title: (o) => podsTitle(o.selector, o.namespace),
  run: (o, rt) => podsHealthy({ ...o, ...rt }),
})

function podsTitle(selector: string, namespace: string | undefined): string {
  return `pods ${selector || '(all)'}${namespace ? ` in ${namespace}` : ''} are healthy`
}

/** One row of `kubectl get pods -o wide`, plus the last termination reason. */
export interface PodRow {
  name: string
  ready: string
  status: string
  restarts: number
  age: string
  node: string
  lastTerminationReason?: string
}

export interface PodsEvidence {
  namespace: string
  selector: string
  pods: PodRow[]
  problems: PodProblem[]
  server?: string
  serverMessage?: string
}

export interface PodsJudgeOptions {
  now: number
  minPods: number
  maxRestarts?: number | undefined
  fatalGrace: number
  fatalRestarts: number
}

export function podRow(p: PodLike, now: number): PodRow {
  const pr = printPod(p)
  const row: PodRow = { name: p.metadata?.name ?? '', ready: pr.ready, status: pr.status, restarts: pr.restarts, age: humanAge(now - (toMs(p.metadata?.creationTimestamp) ?? now)), node: p.spec?.nodeName || '<none>' }
  const last = lastTerminationReason(p)
  if (last) row.lastTerminationReason = last
  return row
}

/** Pure judgement over the listed pods. */
export function judgePods(pods: PodLike[], opts: PodsJudgeOptions, ctx: { namespace: string; selector: string }): Verdict<PodsEvidence> {
  const rows = pods.map((p) => podRow(p, opts.now))
  const problems = pods.flatMap((p) => podProblems(p, { now: opts.now, graceMs: opts.fatalGrace, fatalRestarts: opts.fatalRestarts }))
  const ev: PodsEvidence = { namespace: ctx.namespace, selector: ctx.selector, pods: rows, problems }
  const where = `${ctx.selector ? `pods with ${ctx.selector}` : 'pods'} in ${ctx.namespace}`
  if (pods.length < opts.minPods) return { status: 'fail', message: `${pods.length} ${where}, expected at least ${opts.minPods}`, evidence: ev }
  const fatal = problems.filter((x) => x.severity !== 'pending')
  if (fatal.length > 0) {
    return { status: 'fail', message: `${describeProblem(fatal[0]!)}${fatal.length > 1 ? ` (and ${fatal.length - 1} more problems)` : ''}`, evidence: ev }
  }
  if (opts.maxRestarts !== undefined) {
    const over = rows.filter((r) => r.restarts > opts.maxRestarts!)
    if (over.length > 0) {
      const r = over[0]!
      return { status: 'fail', message: `pod ${r.name} restarted ${r.restarts} times (at most ${opts.maxRestarts} allowed)${r.lastTerminationReason ? `, last terminated: ${r.lastTerminationReason}` : ''}`, evidence: ev }
    }
  }
  const unhealthy = pods.filter((p) => {
    const pr = printPod(p)
    const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
    return !(pr.status === 'Running' && ready && pr.totalContainers > 0 && pr.readyContainers === pr.totalContainers)
  })
  if (unhealthy.length > 0) {
    const list = unhealthy.slice(0, 5).map((p) => {
      const r = rows[pods.indexOf(p)]!
      return `${r.name} ${r.ready} ${r.status}`
    })
    return { status: 'fail', message: `${unhealthy.length} of ${pods.length} ${where} not ready: ${list.join(', ')}${unhealthy.length > 5 ? ', ...' : ''}`, evidence: ev }
  }
  return { status: 'pass', message: `${pods.length} ${where} Running and Ready (${rows.map((r) => r.ready).join(', ')})`, evidence: ev }
}

export async function podsHealthy(options: PodsHealthyOptions): Promise<CheckResult<PodsEvidence>> {
  const o = { ...PODS_DEFAULTS, ...stripUndefined(options) }
  if (typeof o.selector !== 'string') throw new InvalidArgumentError('podsHealthy needs a label selector (selector: app=web)')
  for (const f of ['minPods', 'fatalGrace', 'fatalRestarts'] as const) if (!Number.isFinite(o[f]) || o[f] < 0) throw new InvalidArgumentError(`${f} must be a non-negative number, got ${o[f]}`)
  if (o.maxRestarts !== undefined && (!Number.isInteger(o.maxRestarts) || o.maxRestarts < 0)) throw new InvalidArgumentError(`maxRestarts must be a non-negative integer, got ${o.maxRestarts}`)
  const client = await createKubeClient(o)
  const ns = client.namespace
  return timed({ id: o.id ?? `kube-pods.${o.selector || 'all'}`, title: o.title ?? podsTitle(o.selector, ns), kind: 'kube-pods' }, async () => {
    let pods: PodLike[]
    try {
      pods = (await client.request((call) => client.core.listNamespacedPod({ namespace: ns, labelSelector: o.selector || undefined }, call))).items as PodLike[]
    } catch (err) {
      return kubeApiFailure<PodsEvidence>(err, { verb: 'list', resource: 'pods', kind: 'pod', namespace: ns }, client, { namespace: ns, selector: o.selector, pods: [], problems: [], server: client.server })
    }
    return judgePods(pods, { now: Date.now(), minPods: o.minPods, maxRestarts: o.maxRestarts, fatalGrace: o.fatalGrace, fatalRestarts: o.fatalRestarts }, { namespace: ns, selector: o.selector })
  })
}
