/**
 * `kind: kube-hpa` — hpaHealthy: a HorizontalPodAutoscaler's current replicas are within its
 * min/max and its AbleToScale and ScalingActive conditions are True.
 */
import { InvalidArgumentError } from '../lib/errors.ts'
import { createKubeClient, KUBE_CONNECTION_FIELDS, kubeLibrary } from '../clients/kube.ts'
import { stripUndefined } from '../lib/object.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'
import { Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'
import { kubeApiFailure } from './kube-api-failure.ts'

export const KubeHpaOptions = Options({
  name: Type.String({ minLength: 1, description: 'HorizontalPodAutoscaler name' }),
  ...KUBE_CONNECTION_FIELDS,
})
export type HpaHealthyOptions = Static<typeof KubeHpaOptions> & RunContext

export const kubeHpaKind = defineKind({
  kind: 'kube-hpa',
  description: "a HorizontalPodAutoscaler's current replicas are within min/max and AbleToScale/ScalingActive are True",
  options: KubeHpaOptions,
  preload: kubeLibrary,
  positional: 'name',
  title: (o) => hpaTitle(o.name, o.namespace),
  run: (o, rt) => hpaHealthy({ ...o, ...rt }),
})

function hpaTitle(name: string, namespace: string | undefined): string {
  return `hpa ${name}${namespace ? ` in ${namespace}` : ''} is healthy`
}

export interface HpaEvidence {
  name: string
  namespace: string
  target?: string
  minReplicas?: number
  maxReplicas?: number
  currentReplicas?: number
  desiredReplicas?: number
  conditions: { type: string; status: string; reason?: string; message?: string }[]
  serverMessage?: string
}

export interface HpaLike {
  spec?: { minReplicas?: number; maxReplicas?: number; scaleTargetRef?: { kind?: string; name?: string } }
  status?: { currentReplicas?: number; desiredReplicas?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] }
}

export function judgeHpa(h: HpaLike, ctx: { name: string; namespace: string }): Verdict<HpaEvidence> {
  const min = h.spec?.minReplicas ?? 1
  const max = h.spec?.maxReplicas
  const cur = h.status?.currentReplicas
  const conds = (h.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) }))
  const ev: HpaEvidence = { name: ctx.name, namespace: ctx.namespace, minReplicas: min, conditions: conds }
  if (max !== undefined) ev.maxReplicas = max
  if (cur !== undefined) ev.currentReplicas = cur
  if (h.status?.desiredReplicas !== undefined) ev.desiredReplicas = h.status.desiredReplicas
  if (h.spec?.scaleTargetRef) ev.target = `${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}`
  const label = `hpa ${ctx.name}`
  for (const type of ['AbleToScale', 'ScalingActive']) {
    const c = conds.find((x) => x.type === type)
    if (!c) return { status: 'fail', message: `${label} has no ${type} condition yet`, evidence: ev }
    if (c.status !== 'True') return { status: 'fail', message: `${label} ${type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`, evidence: ev }
  }
  if (cur === undefined) return { status: 'fail', message: `${label} reports no current replicas`, evidence: ev }
  if (cur < min || (max !== undefined && cur > max)) return { status: 'fail', message: `${label} has ${cur} replicas, outside ${min}..${max ?? '∞'}`, evidence: ev }
  return { status: 'pass', message: `${label} has ${cur} replicas within ${min}..${max ?? '∞'}, able to scale and active`, evidence: ev }
}

export async function hpaHealthy(options: HpaHealthyOptions): Promise<CheckResult<HpaEvidence>> {
  const opts = stripUndefined(options)
  if (!opts.name) throw new InvalidArgumentError('hpaHealthy needs a name')
  const client = await createKubeClient(opts)
  const ns = client.namespace
  return timed({ id: opts.id ?? `kube-hpa.${opts.name}`, title: opts.title ?? hpaTitle(opts.name, ns), kind: 'kube-hpa' }, async () => {
    try {
      const h = await client.request((call) => client.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: opts.name, namespace: ns }, call))
      return judgeHpa(h as HpaLike, { name: opts.name, namespace: ns })
    } catch (err) {
      return kubeApiFailure<HpaEvidence>(err, { verb: 'get', resource: 'horizontalpodautoscalers', kind: 'hpa', name: opts.name, namespace: ns }, client, { name: opts.name, namespace: ns, conditions: [] })
    }
  })
}
