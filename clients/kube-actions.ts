/**
 * Kubernetes actions for runbooks, with kubectl's semantics: server-side apply of manifests in
 * dependency order (created / configured / unchanged per object), a Secret from environment
 * variables (values never logged), set image, rollout restart, rollout undo. Every action has a
 * dry-run mode that asks the API server for `dryRun=All` and changes nothing.
 *
 * Actions throw KubeActionError when the API refuses or cannot be reached (a runbook step fails);
 * bad arguments throw InvalidArgumentError.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { InvalidArgumentError, RunbookKitError } from '../lib/errors.ts'
import { createKubeClient, describeKubeError, type KubeClient, type KubeConnectionOptions, type KubeFailure, type KubeOperation, kubeStatusCode } from './kube.ts'
import { redactor as defaultRedactor, type Redactor } from '../lib/redact.ts'

/** An API call of an action failed; `failure` says why, `results` holds what was done before. */
export class KubeActionError extends RunbookKitError {
  readonly failure: KubeFailure
  readonly results: ActionResult[]
  constructor(message: string, failure: KubeFailure, results: ActionResult[] = [], options?: { cause?: unknown }) {
    super(message, 'RBK_KUBE_ACTION', options)
    this.failure = failure
    this.results = results
  }
}

export type ActionOutcome = 'created' | 'configured' | 'unchanged' | 'image updated' | 'restarted' | 'rolled back' | 'skipped rollback'

/** One object an action touched, with the line kubectl would print. */
export interface ActionResult {
  apiVersion: string
  kind: string
  name: string
  namespace?: string
  outcome: ActionOutcome
  dryRun: boolean
  /** e.g. `deployment.apps/web configured (server dry run)`. */
  line: string
  /** rolloutUndo: the revision rolled back to. */
  revision?: number
}

interface CommonActionOptions extends KubeConnectionOptions {
  /** Ask the API server to validate and compute the change without persisting it (dryRun=All). Default false. */
  dryRun?: boolean
  /** Field manager recorded for the change. Default `runbook-kit`. */
  fieldManager?: string
}

type Obj = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown }

const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass', 'IngressClass', 'PriorityClass', 'ClusterIssuer', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'APIService'])

/** Apply order: what other objects depend on goes first (kubectl/Helm install order, shortened). */
const APPLY_ORDER = ['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ConfigMap', 'Secret', 'PersistentVolumeClaim', 'Service', 'Deployment', 'StatefulSet', 'DaemonSet', 'HorizontalPodAutoscaler', 'Ingress']

export function applyRank(kind: string): number {
  const i = APPLY_ORDER.indexOf(kind)
  if (i >= 0) return i
  return APPLY_ORDER.length
}

/** `deployment.apps/web`, `secret/app`: kubectl's resource/name. */
export function kubectlRef(apiVersion: string, kind: string, name: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : ''
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}/${name}`
}

const suffix = (dry: boolean) => (dry ? ' (server dry run)' : '')

/** Reads manifests from files and folders (*.yaml, *.yml, *.json; multi-document; `kind: List`), in dependency order. */
export function loadManifests(paths: string | string[]): Obj[] {
  const files: string[] = []
  for (const p of Array.isArray(paths) ? paths : [paths]) {
    let st
    try {
      st = statSync(p)
    } catch {
      throw new InvalidArgumentError(`manifest path not found: ${p}`)
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) if (['.yaml', '.yml', '.json'].includes(extname(f))) files.push(join(p, f))
    } else files.push(p)
  }
  const objs: Obj[] = []
  for (const f of files) {
    for (const doc of parseAllDocuments(readFileSync(f, 'utf8'))) {
      if (doc.errors.length > 0) throw new InvalidArgumentError(`${f}: invalid YAML: ${doc.errors[0]!.message}`)
      const v = doc.toJS() as Obj | null
      if (!v) continue
      const items = v.kind === 'List' && Array.isArray(v.items) ? (v.items as Obj[]) : [v]
      for (const o of items) {
        if (!o.apiVersion || !o.kind || !o.metadata?.name) throw new InvalidArgumentError(`${f}: every manifest needs apiVersion, kind and metadata.name`)
        objs.push(o)
      }
    }
  }
  return objs
    .map((o, i) => ({ o, i }))
    .sort((a, b) => applyRank(a.o.kind!) - applyRank(b.o.kind!) || a.i - b.i)
    .map((x) => x.o)
}

export interface ApplyManifestsOptions extends CommonActionOptions {
  /** Manifest files and/or folders. */
  paths: string | string[]
  /** Take over fields owned by other managers (kubectl apply --server-side --force-conflicts). Default true. */
  forceConflicts?: boolean
}

/** Server-side apply of every manifest, in dependency order; one result per object like `kubectl apply`. */
export async function applyManifests(opts: ApplyManifestsOptions): Promise<ActionResult[]> {
  const objs = loadManifests(opts.paths)
  const client = await createKubeClient(opts)
  const results: ActionResult[] = []
  for (const o of objs) results.push(await applyOne(client, o, opts, results))
  return results
}

async function applyOne(client: KubeClient, input: Obj, opts: CommonActionOptions & { forceConflicts?: boolean }, done: ActionResult[]): Promise<ActionResult> {
  const o: Obj = structuredClone(input)
  const kind = o.kind!
  const apiVersion = o.apiVersion!
  const name = o.metadata!.name!
  if (!CLUSTER_SCOPED.has(kind)) o.metadata!.namespace ??= client.namespace
  const namespace = o.metadata!.namespace
  const api = client.objects()
  const dry = Boolean(opts.dryRun)
  const op: KubeOperation = { verb: 'patch', resource: kind.toLowerCase(), kind: kind.toLowerCase(), name, ...(namespace ? { namespace } : {}) }
  let before: Obj | undefined
  try {
    before = (await api.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } })) as Obj
  } catch (err) {
    if (kubeStatusCode(err) !== 404) throw actionError(err, { ...op, verb: 'get' }, client, done)
  }
  let after: Obj
  try {
    after = (await api.patch(o as never, undefined, dry ? 'All' : undefined, opts.fieldManager ?? 'runbook-kit', opts.forceConflicts ?? true, client.lib.PatchStrategy.ServerSideApply)) as Obj
  } catch (err) {
    throw actionError(err, op, client, done)
  }
  const outcome: ActionOutcome = !before ? 'created' : sameContent(before, after) ? 'unchanged' : 'configured'
  const r: ActionResult = { apiVersion, kind, name, outcome, dryRun: dry, line: `${kubectlRef(apiVersion, kind, name)} ${outcome}${suffix(dry)}` }
  if (namespace) r.namespace = namespace
  return r
}

function sameContent(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => {
    const { metadata, status: _s, ...rest } = JSON.parse(JSON.stringify(o)) as Obj
    const { managedFields: _m, resourceVersion: _r, generation: _g, ...meta } = (metadata ?? {}) as Record<string, unknown>
    return stable({ ...rest, metadata: meta })
  }
  return strip(a) === strip(b)
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, val) => (val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort(([x], [y]) => x.localeCompare(y))) : val))
}

function actionError(err: unknown, op: KubeOperation, client: KubeClient, results: ActionResult[]): KubeActionError {
  const f = describeKubeError(err, op, client.server)
  const detail = f.serverMessage && f.reason !== 'NotFound' && !f.message.includes(f.serverMessage) ? `: ${f.serverMessage}` : ''
  return new KubeActionError(`${f.message}${detail}`, f, results, { cause: err })
}

// ---- upsertSecretFromEnv -------------------------------------------------------------------

export interface UpsertSecretFromEnvOptions extends CommonActionOptions {
  /** Secret name. */
  name: string
  /** Secret keys and the environment variables holding their values: `{ DATABASE_URL: 'PROD_DATABASE_URL' }`, or a list when the names are the same. */
  keys: Record<string, string> | string[]
  /** Secret type. Default `Opaque`. */
  type?: string
  /** Where values come from. Default process.env. */
  env?: NodeJS.ProcessEnv
  /** Every value is registered here before anything is sent. Default: the process-wide redactor. */
  redactor?: Redactor
}

/** Creates or updates a Secret from environment variables (server-side apply). Values are registered for redaction and never appear in results. */
export async function upsertSecretFromEnv(opts: UpsertSecretFromEnvOptions): Promise<ActionResult> {
  if (!opts.name) throw new InvalidArgumentError('upsertSecretFromEnv needs a name')
  const mapping = Array.isArray(opts.keys) ? Object.fromEntries(opts.keys.map((k) => [k, k])) : opts.keys
  if (Object.keys(mapping).length === 0) throw new InvalidArgumentError('upsertSecretFromEnv needs at least one key')
  const env = opts.env ?? process.env
  const red = opts.redactor ?? defaultRedactor
  const data: Record<string, string> = {}
  for (const [key, variable] of Object.entries(mapping)) {
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new InvalidArgumentError(`invalid Secret key name "${key}"`)
    const value = env[variable]
    if (value === undefined) throw new InvalidArgumentError(`environment variable ${variable} (for key ${key} of secret ${opts.name}) is not set`)
    red.add(value)
    data[key] = Buffer.from(value).toString('base64')
  }
  const client = await createKubeClient(opts)
  return applyOne(client, { apiVersion: 'v1', kind: 'Secret', metadata: { name: opts.name, namespace: client.namespace }, type: opts.type ?? 'Opaque', data }, opts, [])
}

// ---- set image / restart / undo ------------------------------------------------------------

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet'

interface WorkloadTarget extends CommonActionOptions {
  /** Workload kind. Default Deployment. */
  kind?: WorkloadKind
  /** Workload name. */
  name: string
}

const RESOURCES: Record<WorkloadKind, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' }

async function readWorkload(client: KubeClient, kind: WorkloadKind, name: string): Promise<any> {
  const ns = client.namespace
  const op: KubeOperation = { verb: 'get', resource: RESOURCES[kind], kind: kind.toLowerCase(), name, namespace: ns }
  try {
    if (kind === 'Deployment') return await client.apps.readNamespacedDeployment({ name, namespace: ns }, client.call())
    if (kind === 'StatefulSet') return await client.apps.readNamespacedStatefulSet({ name, namespace: ns }, client.call())
    return await client.apps.readNamespacedDaemonSet({ name, namespace: ns }, client.call())
  } catch (err) {
    throw actionError(err, op, client, [])
  }
}

async function patchWorkload(client: KubeClient, kind: WorkloadKind, name: string, body: unknown, contentType: string, opts: CommonActionOptions): Promise<void> {
  const ns = client.namespace
  const param = { name, namespace: ns, body: body as object, fieldManager: opts.fieldManager ?? 'runbook-kit', ...(opts.dryRun ? { dryRun: 'All' } : {}) }
  const call = client.call({ 'Content-Type': contentType })
  try {
    if (kind === 'Deployment') await client.apps.patchNamespacedDeployment(param, call)
    else if (kind === 'StatefulSet') await client.apps.patchNamespacedStatefulSet(param, call)
    else await client.apps.patchNamespacedDaemonSet(param, call)
  } catch (err) {
    throw actionError(err, { verb: 'patch', resource: RESOURCES[kind], kind: kind.toLowerCase(), name, namespace: ns }, client, [])
  }
}

function workloadResult(kind: WorkloadKind, name: string, namespace: string, outcome: ActionOutcome, dry: boolean, text: string = outcome): ActionResult {
  return { apiVersion: 'apps/v1', kind, name, namespace, outcome, dryRun: dry, line: `${kubectlRef('apps/v1', kind, name)} ${text}${suffix(dry)}` }
}

export interface SetImageOptions extends WorkloadTarget {
  /** New images by container name: `{ app: 'registry/app:1.4.2' }`. Init containers are matched too. */
  images: Record<string, string>
}

/** `kubectl set image`: a strategic merge patch of the named containers' images. Unknown container names are an error. */
export async function setImage(opts: SetImageOptions): Promise<ActionResult> {
  const kind = opts.kind ?? 'Deployment'
  if (!opts.name) throw new InvalidArgumentError('setImage needs a name')
  if (!opts.images || Object.keys(opts.images).length === 0) throw new InvalidArgumentError('setImage needs at least one container=image')
  const client = await createKubeClient(opts)
  const w = await readWorkload(client, kind, opts.name)
  const spec = w.spec?.template?.spec ?? {}
  const containers: { name: string; image?: string }[] = spec.containers ?? []
  const inits: { name: string; image?: string }[] = spec.initContainers ?? []
  const patch: { containers?: { name: string; image: string }[]; initContainers?: { name: string; image: string }[] } = {}
  let changed = false
  for (const [container, image] of Object.entries(opts.images)) {
    const c = containers.find((x) => x.name === container)
    const ic = inits.find((x) => x.name === container)
    if (!c && !ic) throw new InvalidArgumentError(`unable to find container named "${container}" in ${kind.toLowerCase()} ${opts.name}`)
    if ((c ?? ic)!.image !== image) changed = true
    ;(c ? (patch.containers ??= []) : (patch.initContainers ??= [])).push({ name: container, image })
  }
  if (changed) await patchWorkload(client, kind, opts.name, { spec: { template: { spec: patch } } }, client.lib.PatchStrategy.StrategicMergePatch, opts)
  return workloadResult(kind, opts.name, client.namespace, changed ? 'image updated' : 'unchanged', Boolean(opts.dryRun))
}

export type RestartRolloutOptions = WorkloadTarget

/** `kubectl rollout restart`: stamps `kubectl.kubernetes.io/restartedAt` on the pod template. Refuses a paused Deployment. */
export async function restartRollout(opts: RestartRolloutOptions): Promise<ActionResult> {
  const kind = opts.kind ?? 'Deployment'
  if (!opts.name) throw new InvalidArgumentError('restartRollout needs a name')
  const client = await createKubeClient(opts)
  const w = await readWorkload(client, kind, opts.name)
  if (kind === 'Deployment' && w.spec?.paused) {
    throw new KubeActionError(`can't restart paused deployment (run rollout resume first)`, { reason: 'Paused', message: 'deployment is paused' })
  }
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  await patchWorkload(client, kind, opts.name, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } }, client.lib.PatchStrategy.StrategicMergePatch, opts)
  return workloadResult(kind, opts.name, client.namespace, 'restarted', Boolean(opts.dryRun))
}

export interface RolloutUndoOptions extends CommonActionOptions {
  /** Workload kind. Default Deployment. StatefulSets and DaemonSets roll back through their ControllerRevisions. */
  kind?: WorkloadKind
  /** Workload name. */
  name: string
  /** Revision to roll back to. Default 0: the previous revision. */
  toRevision?: number
}

const REVISION = 'deployment.kubernetes.io/revision'
/** Annotations rollback keeps from the Deployment instead of copying from the ReplicaSet (kubectl's annotationsToSkip). */
const ANNOTATIONS_TO_SKIP = new Set(['kubectl.kubernetes.io/last-applied-configuration', REVISION, 'deployment.kubernetes.io/revision-history', 'deployment.kubernetes.io/desired-replicas', 'deployment.kubernetes.io/max-replicas', 'deprecated.deployment.rollback.to'])

/**
 * `kubectl rollout undo deployment/NAME [--to-revision=N]`: finds the ReplicaSet of the previous
 * (or given) revision and JSON-patches only spec.template and the annotations back. Refuses a
 * paused Deployment; skips when the template already matches.
 */
export async function rolloutUndo(opts: RolloutUndoOptions): Promise<ActionResult> {
  if (!opts.name) throw new InvalidArgumentError('rolloutUndo needs a name')
  const toRevision = opts.toRevision ?? 0
  if (!Number.isInteger(toRevision) || toRevision < 0) throw new InvalidArgumentError(`toRevision must be a non-negative integer, got ${toRevision}`)
  const client = await createKubeClient(opts)
  const kind = opts.kind ?? 'Deployment'
  if (kind !== 'Deployment') return undoFromControllerRevision(client, kind, opts, toRevision)
  const ns = client.namespace
  const dry = Boolean(opts.dryRun)
  const d = await readWorkload(client, 'Deployment', opts.name)
  if (d.spec?.paused) {
    throw new KubeActionError(`you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again`, { reason: 'Paused', message: 'deployment is paused' })
  }
  const sel = Object.entries(d.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(',')
  let rsList
  try {
    rsList = await client.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: sel || undefined }, client.call())
  } catch (err) {
    throw actionError(err, { verb: 'list', resource: 'replicasets', kind: 'replicaset', namespace: ns }, client, [])
  }
  const owned = rsList.items.filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === d.metadata?.uid))
  const rev = (rs: (typeof owned)[number]) => Number(rs.metadata?.annotations?.[REVISION] ?? 0)
  let target: (typeof owned)[number] | undefined
  if (toRevision === 0) {
    const max = Math.max(0, ...owned.map(rev))
    const previous = owned.filter((rs) => rev(rs) < max).sort((a, b) => rev(b) - rev(a))[0]
    if (!previous) throw new KubeActionError(`no rollout history found for deployment "${opts.name}"`, { reason: 'NoHistory', message: 'no previous revision' })
    target = previous
  } else {
    target = owned.find((rs) => rev(rs) === toRevision)
    if (!target) throw new KubeActionError(`unable to find specified revision ${toRevision} in history`, { reason: 'NoRevision', message: `revision ${toRevision} not found` })
  }
  const targetRev = rev(target)
  const wireTemplate = (t: unknown) => {
    const w = client.lib.ObjectSerializer.serialize(t, 'V1PodTemplateSpec', '') as { metadata?: { labels?: Record<string, string> } }
    if (w.metadata?.labels) delete w.metadata.labels['pod-template-hash']
    return w
  }
  const rsTemplate = wireTemplate(target.spec?.template)
  if (stable(rsTemplate) === stable(wireTemplate(d.spec?.template))) {
    return { ...workloadResult('Deployment', opts.name, ns, 'skipped rollback', dry, `skipped rollback (current template already matches revision ${targetRev})`), revision: targetRev }
  }
  const annotations: Record<string, string> = {}
  for (const k of ANNOTATIONS_TO_SKIP) {
    const v = d.metadata?.annotations?.[k]
    if (v !== undefined) annotations[k] = v
  }
  for (const [k, v] of Object.entries(target.metadata?.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v
  const patch = [
    { op: 'replace', path: '/spec/template', value: rsTemplate },
    { op: 'replace', path: '/metadata/annotations', value: annotations },
  ]
  await patchWorkload(client, 'Deployment', opts.name, patch, client.lib.PatchStrategy.JsonPatch, opts)
  return { ...workloadResult('Deployment', opts.name, ns, 'rolled back', dry), revision: targetRev }
}

/**
 * `kubectl rollout undo statefulset|daemonset/NAME`: the previous (or given) ControllerRevision's data
 * (a strategic merge patch that replaces spec.template) is patched back onto the workload.
 */
async function undoFromControllerRevision(client: KubeClient, kind: WorkloadKind, opts: RolloutUndoOptions, toRevision: number): Promise<ActionResult> {
  const ns = client.namespace
  const dry = Boolean(opts.dryRun)
  const w = await readWorkload(client, kind, opts.name)
  const sel = Object.entries(w.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(',')
  let list
  try {
    list = await client.apps.listNamespacedControllerRevision({ namespace: ns, labelSelector: sel || undefined }, client.call())
  } catch (err) {
    throw actionError(err, { verb: 'list', resource: 'controllerrevisions', kind: 'controllerrevision', namespace: ns }, client, [])
  }
  const history = list.items.filter((cr) => cr.metadata?.ownerReferences?.some((r) => r.uid === w.metadata?.uid)).sort((a, b) => Number(a.revision) - Number(b.revision))
  let target
  if (toRevision === 0) {
    if (history.length <= 1) throw new KubeActionError('no last revision to roll back to', { reason: 'NoHistory', message: 'fewer than two revisions' })
    target = history[history.length - 2]!
  } else {
    target = history.find((cr) => Number(cr.revision) === toRevision)
    if (!target) throw new KubeActionError(`unable to find specified revision ${toRevision} in history`, { reason: 'NoRevision', message: `revision ${toRevision} not found` })
  }
  const data = (target.data ?? {}) as { spec?: { template?: Record<string, unknown> } }
  const { $patch: _p, ...stored } = (data.spec?.template ?? {}) as Record<string, unknown>
  const current = client.lib.ObjectSerializer.serialize(w.spec?.template, 'V1PodTemplateSpec', '')
  const rev = Number(target.revision)
  if (stable(stored) === stable(current)) {
    return { ...workloadResult(kind, opts.name, ns, 'skipped rollback', dry, `skipped rollback (current template already matches revision ${rev})`), revision: rev }
  }
  await patchWorkload(client, kind, opts.name, data, client.lib.PatchStrategy.StrategicMergePatch, opts)
  return { ...workloadResult(kind, opts.name, ns, 'rolled back', dry), revision: rev }
}
