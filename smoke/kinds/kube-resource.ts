import type { ResourceExistsOptions } from '../../checks/kube-resources.ts'
import { kubeConnection, type KubeEntryFields, kubeProperties, kubeRun } from './kube-shared.ts'
import type { CheckKind } from './types.ts'

// Loaded on first run: @kubernetes/client-node takes over a second to import, and most runs need no Kubernetes.
const load = () => import('../../checks/kube-resources.ts')

/** A `kind: kube-resource` entry. */
export interface KubeResourceEntry extends KubeEntryFields {
  resourceKind: string
  apiVersion?: string
  name?: string
  selector?: string
  minCount?: number
}

export const kubeResourceKind: CheckKind<KubeResourceEntry> = {
  kind: 'kube-resource',
  description: 'a Kubernetes object exists (namespace, service account, ClusterIssuer...), or at least N objects of a kind (network policies)',
  positional: 'name',
  properties: {
    ...kubeProperties,
    resourceKind: { type: 'string', minLength: 1, description: 'object kind, e.g. ServiceAccount, NetworkPolicy, ClusterIssuer, Namespace' },
    apiVersion: { type: 'string', minLength: 1, description: 'apiVersion of the kind (default: known for core and common kinds, e.g. cert-manager.io/v1 for ClusterIssuer)' },
    name: { type: 'string', minLength: 1, description: 'object name; without it objects are listed and minCount applies' },
    selector: { type: 'string', description: 'label selector when listing' },
    minCount: { type: 'integer', minimum: 0, description: 'fewest objects when listing (default 1)' },
  },
  required: ['resourceKind'],
  title: (e) => (e.name ? `${e.resourceKind} ${e.name} exists` : `${e.resourceKind} objects exist`),
  build(entry, ctx) {
    const opts: ResourceExistsOptions = { ...kubeConnection(entry, ctx), kind: entry.resourceKind }
    if (entry.apiVersion !== undefined) opts.apiVersion = entry.apiVersion
    if (entry.name !== undefined) opts.name = entry.name
    if (entry.selector !== undefined) opts.selector = entry.selector
    if (entry.minCount !== undefined) opts.minCount = entry.minCount
    return kubeRun(async (signal) => (await load()).resourceExists({ ...opts, signal }))
  },
}
