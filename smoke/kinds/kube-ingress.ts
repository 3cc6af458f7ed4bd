import type { IngressReadyOptions } from '../../checks/kube-resources.ts'
import { kubeConnection, type KubeEntryFields, kubeProperties, kubeRun } from './kube-shared.ts'
import type { CheckKind } from './types.ts'

// Loaded on first run: @kubernetes/client-node takes over a second to import, and most runs need no Kubernetes.
const load = () => import('../../checks/kube-resources.ts')

/** A `kind: kube-ingress` entry. */
export interface KubeIngressEntry extends KubeEntryFields {
  name: string
  tlsSecret?: string
  host?: string
}

export const kubeIngressKind: CheckKind<KubeIngressEntry> = {
  kind: 'kube-ingress',
  description: 'an Ingress has a load-balancer IP or hostname and its TLS block names the expected secret',
  positional: 'name',
  properties: {
    ...kubeProperties,
    name: { type: 'string', minLength: 1, description: 'Ingress name' },
    tlsSecret: { type: 'string', minLength: 1, description: 'the TLS block must use this Secret (default: not checked)' },
    host: { type: 'string', minLength: 1, description: 'a rule (and the TLS block, with tlsSecret) must cover this host (default: not checked)' },
  },
  required: ['name'],
  title: (e) => `ingress ${e.name} is ready`,
  build(entry, ctx) {
    const opts: IngressReadyOptions = { ...kubeConnection(entry, ctx), name: entry.name }
    if (entry.tlsSecret !== undefined) opts.tlsSecret = entry.tlsSecret
    if (entry.host !== undefined) opts.host = entry.host
    return kubeRun(async (signal) => (await load()).ingressReady({ ...opts, signal }))
  },
}
