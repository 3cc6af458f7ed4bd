/**
 * The resource types the Kubernetes API simulator serves, with the discovery data kubectl needs
 * (kind, namespaced, verbs, shortNames, subresources).
 */

export interface ResourceType {
  /** '' for the core group. */
  group: string
  version: string
  /** Plural, e.g. `deployments`. */
  resource: string
  singular: string
  kind: string
  namespaced: boolean
  shortNames?: string[]
  categories?: string[]
  /** Subresources served: `status`, `scale`. */
  subresources: string[]
  /** Custom resources list their items with apiVersion/kind, built-in lists do not. */
  custom?: boolean
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

const r = (group: string, version: string, resource: string, kind: string, namespaced: boolean, shortNames: string[] = [], subresources: string[] = [], extra: Partial<ResourceType> = {}): ResourceType => ({
  group,
  version,
  resource,
  singular: kind.toLowerCase(),
  kind,
  namespaced,
  shortNames,
  subresources,
  ...extra,
})

export const RESOURCE_TYPES: readonly ResourceType[] = Object.freeze([
  r('', 'v1', 'namespaces', 'Namespace', false, ['ns'], ['status']),
  r('', 'v1', 'nodes', 'Node', false, ['no'], ['status']),
  r('', 'v1', 'pods', 'Pod', true, ['po'], ['status'], { categories: ['all'] }),
  r('', 'v1', 'secrets', 'Secret', true),
  r('', 'v1', 'services', 'Service', true, ['svc'], ['status'], { categories: ['all'] }),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa']),
  r('', 'v1', 'configmaps', 'ConfigMap', true, ['cm']),
  r('', 'v1', 'events', 'Event', true, ['ev']),
  r('apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], ['status', 'scale'], { categories: ['all'] }),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs'], ['status', 'scale'], { categories: ['all'] }),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts'], ['status', 'scale'], { categories: ['all'] }),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds'], ['status'], { categories: ['all'] }),
  r('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, ['ing'], ['status']),
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, ['netpol']),
  r('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false),
  r('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['hpa'], ['status'], { categories: ['all'] }),
  // Stored and served only (no controller runs them): enough for `kubectl apply --dry-run=server` of the Job manifests in deploy/kubernetes.
  r('batch', 'v1', 'jobs', 'Job', true, [], ['status']),
  r('batch', 'v1', 'cronjobs', 'CronJob', true, ['cj'], ['status']),
  r('cert-manager.io', 'v1', 'certificates', 'Certificate', true, ['cert', 'certs'], ['status'], { custom: true, categories: ['cert-manager'] }),
  r('cert-manager.io', 'v1', 'certificaterequests', 'CertificateRequest', true, ['cr', 'crs'], ['status'], { custom: true, categories: ['cert-manager'] }),
  r('cert-manager.io', 'v1', 'issuers', 'Issuer', true, [], ['status'], { custom: true, categories: ['cert-manager'] }),
  r('cert-manager.io', 'v1', 'clusterissuers', 'ClusterIssuer', false, [], ['status'], { custom: true, categories: ['cert-manager'] }),
])

export function apiVersionOf(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version
}

/** `deployments.apps`, `pods`: how the API server names a resource in messages. */
export function qualifiedName(t: ResourceType): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource
}

/** `Deployment.apps`: how the API server names a kind in validation messages. */
export function qualifiedKind(t: ResourceType): string {
  return t.group ? `${t.kind}.${t.group}` : t.kind
}

export function findType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.resource === resource)
}

export function typeForKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind)
}

export function typeByResource(resource: string): ResourceType {
  const t = RESOURCE_TYPES.find((x) => x.resource === resource)
  if (!t) throw new Error(`kube-sim: unknown resource ${resource}`)
  return t
}

/** APIResourceList for one group version (discovery). */
export function apiResourceList(group: string, version: string): object | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version)
  if (types.length === 0) return undefined
  const resources: object[] = []
  for (const t of types) {
    const base: Record<string, unknown> = { name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: VERBS }
    if (t.shortNames && t.shortNames.length) base.shortNames = t.shortNames
    if (t.categories) base.categories = t.categories
    resources.push(base)
    for (const sub of t.subresources) {
      const kind = sub === 'scale' ? 'Scale' : t.kind
      const extra = sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}
      resources.push({ name: `${t.resource}/${sub}`, singularName: '', namespaced: t.namespaced, kind, verbs: ['get', 'patch', 'update'], ...extra })
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources }
}

/** APIGroupList for `/apis`. */
export function apiGroupList(): object {
  const groups = new Map<string, Set<string>>()
  for (const t of RESOURCE_TYPES) {
    if (!t.group) continue
    if (!groups.has(t.group)) groups.set(t.group, new Set())
    groups.get(t.group)!.add(t.version)
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      const vs = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }))
      return { name, versions: vs, preferredVersion: vs[0] }
    }),
  }
}
