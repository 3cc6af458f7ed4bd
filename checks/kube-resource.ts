/**
 * `kind: kube-resource` — resourceExists: a Kubernetes object exists (namespace, service account,
 * ClusterIssuer...), or at least N objects of a kind (network policies): prerequisite checks from
 * the seed runbooks.
 */
import { InvalidArgumentError, optionProblem } from '../lib/errors.ts'
import { createKubeClient, KUBE_CONNECTION_FIELDS, type KubeOperation, kubeLibrary } from '../clients/kube.ts'
import { stripUndefined } from '../lib/object.ts'
import { type CheckResult, timed } from '../lib/result.ts'
import { defaultsOf, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'
import { kubeApiFailure } from './kube-api-failure.ts'

/** apiVersion used when only a kind is given. */
export const DEFAULT_API_VERSIONS: Readonly<Record<string, string>> = Object.freeze({
  Namespace: 'v1',
  ServiceAccount: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  Pod: 'v1',
  Node: 'v1',
  PersistentVolumeClaim: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Ingress: 'networking.k8s.io/v1',
  IngressClass: 'networking.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  Certificate: 'cert-manager.io/v1',
  Issuer: 'cert-manager.io/v1',
  ClusterIssuer: 'cert-manager.io/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  PodDisruptionBudget: 'policy/v1',
})

export const KubeResourceOptions = Options({
  resourceKind: Type.String({ minLength: 1, description: 'object kind, e.g. ServiceAccount, NetworkPolicy, ClusterIssuer, Namespace' }),
  apiVersion: Type.Optional(Type.String({ minLength: 1, description: 'apiVersion of the kind (default: known for core and common kinds, e.g. cert-manager.io/v1 for ClusterIssuer)' })),
  name: Type.Optional(Type.String({ minLength: 1, description: 'object name; without it objects are listed and minCount applies' })),
  selector: Type.Optional(Type.String({ description: 'label selector when listing (default: every object of the kind)' })),
  minCount: Type.Optional(Type.Integer({ minimum: 0, default: 1, description: 'fewest objects when listing' })),
  ...KUBE_CONNECTION_FIELDS,
})
export type ResourceExistsOptions = Static<typeof KubeResourceOptions> & RunContext

export const RESOURCE_DEFAULTS = defaultsOf(KubeResourceOptions, 'minCount')

export const kubeResourceKind = defineKind({
  kind: 'kube-resource',
  description: 'a Kubernetes object exists (namespace, service account, ClusterIssuer...), or at least N objects of a kind (network policies)',
  options: KubeResourceOptions,
  preload: kubeLibrary,
  positional: 'name',
  title: resourceTitle,
  validate: validateResource,
  run: (o, rt) => resourceExists({ ...o, ...rt }),
})

function resourceTitle(o: Pick<ResourceExistsOptions, 'resourceKind' | 'name' | 'selector'>): string {
  return o.name ? `${o.resourceKind} ${o.name} exists` : `${o.resourceKind} objects${o.selector ? ` with ${o.selector}` : ''} exist`
}

/** The cross-field rules: an apiVersion must be known, and an object is either named or counted. */
export function validateResource(o: Pick<ResourceExistsOptions, 'resourceKind' | 'apiVersion' | 'name' | 'selector' | 'minCount'>): void {
  if (o.apiVersion === undefined && !DEFAULT_API_VERSIONS[o.resourceKind]) throw optionProblem('apiVersion', `kind ${o.resourceKind} has no default apiVersion: give {apiVersion}`)
  if (o.name !== undefined && o.selector !== undefined) throw optionProblem('selector', 'selects objects to count: give {name} or {selector}, not both')
  if (o.name !== undefined && o.minCount !== undefined) throw optionProblem('minCount', 'counts listed objects: give {name} or {minCount}, not both')
}

export interface ResourceEvidence {
  apiVersion: string
  kind: string
  namespace?: string
  name?: string
  found: string[]
  serverMessage?: string
}

export async function resourceExists(options: ResourceExistsOptions): Promise<CheckResult<ResourceEvidence>> {
  const opts = stripUndefined(options)
  if (!opts.resourceKind) throw new InvalidArgumentError('resourceExists needs a resourceKind')
  validateResource(opts)
  const kind = opts.resourceKind
  const apiVersion = opts.apiVersion ?? DEFAULT_API_VERSIONS[kind]!
  const minCount = opts.minCount ?? RESOURCE_DEFAULTS.minCount
  if (!Number.isInteger(minCount) || minCount < 0) throw new InvalidArgumentError(`minCount must be a non-negative integer, got ${minCount}`)
  const client = await createKubeClient(opts)
  const what = opts.name ? `${kind} ${opts.name}` : `${kind} objects${opts.selector ? ` with ${opts.selector}` : ''}`
  return timed({ id: opts.id ?? `kube-resource.${kind.toLowerCase()}${opts.name ? `.${opts.name}` : ''}`, title: opts.title ?? resourceTitle(opts), kind: 'kube-resource' }, async () => {
    const ev: ResourceEvidence = { apiVersion, kind, found: [] }
    let op: KubeOperation = { verb: 'get', resource: kind, kind: kind.toLowerCase() }
    try {
      // One request phase: discovery (is the kind served, is it namespaced?), then the get or list.
      return await client.request(async (_call, signal) => {
        const api = client.objects(signal)
        // `resource()` is protected in the typings only; the client caches discovery.
        const res = await (api as unknown as { resource(a: string, k: string): Promise<{ namespaced: boolean } | undefined> }).resource(apiVersion, kind)
        if (!res) return { status: 'fail' as const, message: `the API server at ${client.server} does not serve kind ${kind} in ${apiVersion}`, evidence: ev }
        const ns = res.namespaced ? client.namespace : undefined
        if (ns) ev.namespace = ns
        const scope = ns ? ` in namespace ${ns}` : ''
        if (opts.name) {
          ev.name = opts.name
          op = { verb: 'get', resource: plural(kind), kind: kind.toLowerCase(), name: opts.name, ...(ns ? { namespace: ns } : {}) }
          await api.read({ apiVersion, kind, metadata: { name: opts.name, ...(ns ? { namespace: ns } : {}) } })
          ev.found = [opts.name]
          return { status: 'pass' as const, message: `${kind} ${opts.name} exists${scope}`, evidence: ev }
        }
        op = { verb: 'list', resource: plural(kind), kind: kind.toLowerCase(), ...(ns ? { namespace: ns } : {}) }
        const list = await api.list(apiVersion, kind, ns, undefined, undefined, undefined, undefined, opts.selector || undefined)
        ev.found = list.items.map((i) => i.metadata?.name ?? '').slice(0, 100)
        const n = list.items.length
        if (n >= minCount) return { status: 'pass' as const, message: `${n} ${what}${scope} (at least ${minCount} expected)`, evidence: ev }
        return { status: 'fail' as const, message: `${n} ${what}${scope}, expected at least ${minCount}`, evidence: ev }
      })
    } catch (err) {
      return kubeApiFailure(err, op, client, ev)
    }
  })
}

function plural(kind: string): string {
  const k = kind.toLowerCase()
  return k.endsWith('s') ? `${k}es` : k.endsWith('y') ? `${k.slice(0, -1)}ies` : `${k}s`
}
