import type { SecretHasKeysOptions } from '../../checks/kube-resources.ts'
import { kubeConnection, type KubeEntryFields, kubeProperties, kubeRun } from './kube-shared.ts'
import type { CheckKind } from './types.ts'

// Loaded on first run: @kubernetes/client-node takes over a second to import, and most runs need no Kubernetes.
const load = () => import('../../checks/kube-resources.ts')

/** A `kind: kube-secret-keys` entry. */
export interface KubeSecretKeysEntry extends KubeEntryFields {
  name: string
  keys: string[]
  allowEmpty?: boolean
  type?: string
}

export const kubeSecretKeysKind: CheckKind<KubeSecretKeysEntry> = {
  kind: 'kube-secret-keys',
  description: 'a Secret has the required keys (key names only: values are never read into evidence or reports)',
  positional: 'name',
  properties: {
    ...kubeProperties,
    name: { type: 'string', minLength: 1, description: 'Secret name' },
    keys: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: 'key names that must be present' },
    allowEmpty: { type: 'boolean', description: 'accept keys with an empty value (default false)' },
    type: { type: 'string', minLength: 1, description: 'expected Secret type, e.g. kubernetes.io/tls (default: any)' },
  },
  required: ['name', 'keys'],
  title: (e) => `secret ${e.name} has ${e.keys.join(', ')}`,
  build(entry, ctx) {
    const opts: SecretHasKeysOptions = { ...kubeConnection(entry, ctx), name: entry.name, keys: entry.keys }
    if (entry.allowEmpty !== undefined) opts.allowEmpty = entry.allowEmpty
    if (entry.type !== undefined) opts.type = entry.type
    return kubeRun(async (signal) => (await load()).secretHasKeys({ ...opts, signal }))
  },
}
