import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node'
import { judgeCertificate, type CertificateLike } from '../checks/kube-certificate-judge.ts'
import { podProblems, describeProblem, type PodLike } from '../checks/kube-pod-status.ts'
import { deploymentRolloutState, type DeploymentLike } from '../checks/kube-rollout-status.ts'
import { errorMessage } from '../lib/errors.ts'
import { timed, type Verdict } from '../lib/result.ts'
import type { CheckSpec } from '../lib/runner.ts'

/**
 * STAND-IN for lib/kube.ts + lib/kube-actions.ts + checks/kube-*.ts, which another engineer is
 * building: the few Kubernetes reads and writes the deploy/rollback runbooks need, over
 * @kubernetes/client-node, judged with the existing pure judges. Replace with the real modules
 * (applyManifests, upsertSecretFromEnv, rolloutUndo, rolloutStatus, podsHealthy, certificateReady,
 * resourceExists, ingressReady) once they land; the runbooks call only the functions below.
 */

type Obj = KubernetesObject & Record<string, any>

export interface Kube {
  api: KubernetesObjectApi
}

export function connect(kubeconfig: string | undefined, context?: string): Kube {
  const kc = new KubeConfig()
  if (kubeconfig) kc.loadFromFile(kubeconfig)
  else kc.loadFromDefault()
  if (context) kc.setCurrentContext(context)
  return { api: KubernetesObjectApi.makeApiClient(kc) }
}

const FIELD_MANAGER = 'runbook-kit'

/** Server-side apply (dryRun=All in a dry run). */
export async function applyObject(kube: Kube, obj: Obj, dryRun: boolean): Promise<Obj> {
  return (await kube.api.patch(obj, undefined, dryRun ? 'All' : undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)) as Obj
}

/** Creates or updates an Opaque Secret from values (the values never leave this call). */
export async function upsertSecret(kube: Kube, namespace: string, name: string, data: Record<string, string>, dryRun: boolean): Promise<void> {
  await applyObject(kube, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', stringData: data }, dryRun)
}

async function read(kube: Kube, apiVersion: string, kind: string, name: string, namespace?: string): Promise<Obj | undefined> {
  try {
    return (await kube.api.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } })) as Obj
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined
    throw err
  }
}

export async function deploymentRevision(kube: Kube, namespace: string, name: string): Promise<number> {
  const d = await read(kube, 'apps/v1', 'Deployment', name, namespace)
  return Number(d?.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0)
}

/** Container images of a deployment's template. */
export async function deploymentImages(kube: Kube, namespace: string, name: string): Promise<string[]> {
  const d = await read(kube, 'apps/v1', 'Deployment', name, namespace)
  return (d?.spec?.template?.spec?.containers ?? []).map((c: { image?: string }) => c.image ?? '')
}

/** `kubectl rollout undo`: the template of the previous revision's ReplicaSet becomes the deployment's. */
export async function rolloutUndo(kube: Kube, namespace: string, name: string, dryRun: boolean): Promise<{ from: number; to: number }> {
  const d = await read(kube, 'apps/v1', 'Deployment', name, namespace)
  if (!d) throw new Error(`deployment ${namespace}/${name} not found`)
  const selector = Object.entries((d.spec?.selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',')
  const rsList = await kube.api.list<Obj>('apps/v1', 'ReplicaSet', namespace, undefined, undefined, undefined, undefined, selector)
  const rev = (o: Obj) => Number(o.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0)
  const owned = rsList.items.filter((rs) => (rs.metadata?.ownerReferences ?? []).some((o: { uid?: string }) => o.uid === d.metadata?.uid)).sort((a, b) => rev(b) - rev(a))
  const current = rev(d)
  const previous = owned.find((rs) => rev(rs) < current)
  if (!previous) throw new Error(`deployment ${namespace}/${name} has no previous revision to roll back to`)
  const template = structuredClone(previous.spec.template)
  delete template.metadata?.labels?.['pod-template-hash']
  d.spec.template = template
  await kube.api.replace(d, undefined, dryRun ? 'All' : undefined, FIELD_MANAGER)
  return { from: current, to: rev(previous) }
}

/** A check from a read + pure judge. */
function kubeCheck(id: string, title: string, kind: string, observe: () => Promise<Verdict>, extra: Partial<CheckSpec> = {}): CheckSpec {
  return { id, title, kind, run: () => timed({ id, title, kind }, async () => {
    try {
      return await observe()
    } catch (err) {
      return { status: 'fail', message: `cannot read from the cluster: ${errorMessage(err)}`, evidence: {} }
    }
  }), ...extra }
}

export function resourceExistsCheck(kube: Kube, id: string, apiVersion: string, kind: string, name: string, namespace?: string): CheckSpec {
  const where = namespace ? `${namespace}/${name}` : name
  return kubeCheck(id, `${kind} ${where} exists`, 'kube-resource', async () => {
    const o = await read(kube, apiVersion, kind, name, namespace)
    return o ? { status: 'pass', message: `${kind} ${where} exists`, evidence: { uid: o.metadata?.uid } } : { status: 'fail', message: `${kind} ${where} not found`, evidence: {} }
  })
}

export function anyExistsCheck(kube: Kube, id: string, apiVersion: string, kind: string, namespace: string): CheckSpec {
  return kubeCheck(id, `at least one ${kind} in ${namespace}`, 'kube-resource', async () => {
    const list = await kube.api.list<Obj>(apiVersion, kind, namespace)
    const names = list.items.map((o) => o.metadata?.name)
    return names.length ? { status: 'pass', message: `${names.length} ${kind}(s)`, evidence: { names } } : { status: 'fail', message: `no ${kind} in namespace ${namespace}`, evidence: {} }
  })
}

/** Every pod of the namespace (or selector) Running and ready, no fatal waiting reasons. */
export function podsHealthyCheck(kube: Kube, id: string, namespace: string, labelSelector?: string, eventuallyMs = 10_000): CheckSpec {
  return kubeCheck(id, `pods in ${namespace}${labelSelector ? ` (${labelSelector})` : ''} are running and ready`, 'kube-pods', async () => {
    const list = await kube.api.list<Obj>('v1', 'Pod', namespace, undefined, undefined, undefined, undefined, labelSelector)
    const pods = list.items
    const rows = pods.map((p) => ({ name: p.metadata?.name, phase: p.status?.phase, ready: (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') }))
    const problems = pods.flatMap((p) => podProblems(p as PodLike, { now: Date.now(), graceMs: 0, fatalRestarts: 1 }))
    if (pods.length === 0) return { status: 'fail', message: 'no pods', evidence: { pods: rows } }
    if (problems.length) return { status: 'fail', message: problems.map(describeProblem).join('; '), evidence: { pods: rows } }
    const notReady = rows.filter((r) => r.phase !== 'Running' || !r.ready)
    return notReady.length ? { status: 'fail', message: `${notReady.length} of ${rows.length} pod(s) not running and ready`, evidence: { pods: rows } } : { status: 'pass', message: `${rows.length} pod(s) running and ready`, evidence: { pods: rows } }
  }, { eventually: { timeoutMs: eventuallyMs, intervalMs: 200 } })
}

/** `kubectl rollout status`, failing early when the new pods crash-loop or cannot pull their image. */
export function rolloutCheck(kube: Kube, id: string, namespace: string, name: string, timeoutMs: number): CheckSpec {
  return kubeCheck(id, `deployment ${namespace}/${name} rolled out`, 'kube-rollout', async () => {
    const d = await read(kube, 'apps/v1', 'Deployment', name, namespace)
    if (!d) return { status: 'fail', message: `deployment ${namespace}/${name} not found`, evidence: {} }
    const state = deploymentRolloutState(d as DeploymentLike)
    const evidence = { revision: d.metadata?.annotations?.['deployment.kubernetes.io/revision'], images: (d.spec?.template?.spec?.containers ?? []).map((c: { image?: string }) => c.image), message: state.error ?? state.message }
    if (state.error) return { status: 'fail', message: state.error, evidence }
    if (state.done) return { status: 'pass', message: state.message, evidence }
    const selector = Object.entries((d.spec?.selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',')
    const pods = (await kube.api.list<Obj>('v1', 'Pod', namespace, undefined, undefined, undefined, undefined, selector)).items
    const fatal = pods.flatMap((p) => podProblems(p as PodLike, { now: Date.now(), graceMs: 2000, fatalRestarts: 2 })).filter((p) => p.severity !== 'pending')
    // A fatal pod state will not fix itself: say so (the retries stop at the deadline either way).
    return { status: 'fail', message: fatal.length ? `rollout cannot finish: ${fatal.map(describeProblem).join('; ')}` : state.message, evidence: { ...evidence, fatal: fatal.map(describeProblem) } }
  }, { eventually: { timeoutMs, intervalMs: 250 }, timeoutMs: Math.max(5000, timeoutMs) })
}

export function certificateCheck(kube: Kube, id: string, namespace: string, name: string, eventuallyMs = 10_000): CheckSpec {
  return kubeCheck(id, `certificate ${namespace}/${name} is Ready`, 'kube-certificate', async () => {
    const c = await read(kube, 'cert-manager.io/v1', 'Certificate', name, namespace)
    if (!c) return { status: 'fail', message: `certificate ${namespace}/${name} not found`, evidence: {} }
    return judgeCertificate(c as CertificateLike, { now: Date.now(), minValidityMs: 7 * 86_400_000 }) as unknown as Verdict
  }, { eventually: { timeoutMs: eventuallyMs, intervalMs: 200 } })
}

export function ingressAddressCheck(kube: Kube, id: string, namespace: string, name: string, eventuallyMs = 10_000): CheckSpec {
  return kubeCheck(id, `ingress ${namespace}/${name} has a load-balancer address`, 'kube-ingress', async () => {
    const i = await read(kube, 'networking.k8s.io/v1', 'Ingress', name, namespace)
    const lb = i?.status?.loadBalancer?.ingress?.[0]
    const address = lb?.ip ?? lb?.hostname
    return address ? { status: 'pass', message: `address ${address}`, evidence: { address } } : { status: 'fail', message: i ? 'no load-balancer address yet' : 'ingress not found', evidence: {} }
  }, { eventually: { timeoutMs: eventuallyMs, intervalMs: 200 } })
}
