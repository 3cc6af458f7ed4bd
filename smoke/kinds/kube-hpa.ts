import { kubeConnection, type KubeEntryFields, kubeProperties, kubeRun } from './kube-shared.ts'
import type { CheckKind } from './types.ts'

// Loaded on first run: @kubernetes/client-node takes over a second to import, and most runs need no Kubernetes.
const load = () => import('../../checks/kube-resources.ts')

/** A `kind: kube-hpa` entry. */
export interface KubeHpaEntry extends KubeEntryFields {
  name: string
}

export const kubeHpaKind: CheckKind<KubeHpaEntry> = {
  kind: 'kube-hpa',
  description: "a HorizontalPodAutoscaler's current replicas are within min/max and AbleToScale/ScalingActive are True",
  positional: 'name',
  properties: {
    ...kubeProperties,
    name: { type: 'string', minLength: 1, description: 'HorizontalPodAutoscaler name' },
  },
  required: ['name'],
  title: (e) => `hpa ${e.name} is healthy`,
  build(entry, ctx) {
    const opts = { ...kubeConnection(entry, ctx), name: entry.name }
    return kubeRun(async (signal) => (await load()).hpaHealthy({ ...opts, signal }))
  },
}
