import { hpaHealthy } from '../../checks/kube-resources.ts'
import { kubeConnection, type KubeEntryFields, kubeProperties, kubeRun } from './kube-shared.ts'
import type { CheckKind } from './types.ts'

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
    return kubeRun((signal) => hpaHealthy({ ...opts, signal }))
  },
}
