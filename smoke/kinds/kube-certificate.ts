import type { CertificateReadyOptions } from '../../checks/kube-certificate.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { kubeConnection, type KubeEntryFields, kubeProperties, kubeRun } from './kube-shared.ts'
import type { CheckKind } from './types.ts'

// Loaded on first run: @kubernetes/client-node takes over a second to import, and most runs need no Kubernetes.
const load = () => import('../../checks/kube-certificate.ts')

/** A `kind: kube-certificate` entry. */
export interface KubeCertificateEntry extends KubeEntryFields {
  name: string
  minValidity?: number | string
}

export const kubeCertificateKind: CheckKind<KubeCertificateEntry> = {
  kind: 'kube-certificate',
  description: 'a cert-manager Certificate is Ready for its current generation, not failing issuance, and valid long enough',
  positional: 'name',
  properties: {
    ...kubeProperties,
    name: { type: 'string', minLength: 1, description: 'Certificate name' },
    minValidity: { ...durationSchema, description: 'fail when notAfter is closer than this (default 14 days = 336h)' },
  },
  required: ['name'],
  title: (e) => `certificate ${e.name} is ready`,
  build(entry, ctx) {
    const opts: CertificateReadyOptions = { ...kubeConnection(entry, ctx), name: entry.name }
    if (entry.minValidity !== undefined) opts.minValidity = parseDuration(entry.minValidity)
    return kubeRun(async (signal) => (await load()).certificateReady({ ...opts, signal }))
  },
}
