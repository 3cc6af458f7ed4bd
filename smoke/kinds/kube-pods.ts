import type { PodsHealthyOptions } from '../../checks/kube-pods.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { kubeConnection, type KubeEntryFields, kubeProperties, kubeRun } from './kube-shared.ts'
import type { CheckKind } from './types.ts'

// Loaded on first run: @kubernetes/client-node takes over a second to import, and most runs need no Kubernetes.
const load = () => import('../../checks/kube-pods.ts')

/** A `kind: kube-pods` entry. */
export interface KubePodsEntry extends KubeEntryFields {
  selector: string
  minPods?: number
  maxRestarts?: number
  fatalGrace?: number | string
  fatalRestarts?: number
}

export const kubePodsKind: CheckKind<KubePodsEntry> = {
  kind: 'kube-pods',
  description: 'pods matching a label selector are Running and Ready with all containers ready, within a restart budget, with no fatal waiting reason (STATUS as kubectl get pods)',
  positional: 'selector',
  properties: {
    ...kubeProperties,
    selector: { type: 'string', description: 'label selector, e.g. app=web (empty string: every pod of the namespace)' },
    minPods: { type: 'integer', minimum: 0, description: 'fewest pods that must match (default 1)' },
    maxRestarts: { type: 'integer', minimum: 0, description: 'most restarts per pod (default: no limit)' },
    fatalGrace: { ...durationSchema, description: 'how long ImagePullBackOff/CrashLoopBackOff/Unschedulable may last before they fail the check (default 60s)' },
    fatalRestarts: { type: 'integer', minimum: 0, description: 'restarts at which a crash loop fails inside the grace period (default 3)' },
  },
  required: ['selector'],
  title: (e) => `pods ${e.selector || '(all)'} are healthy`,
  build(entry, ctx) {
    const opts: PodsHealthyOptions = { ...kubeConnection(entry, ctx), selector: entry.selector }
    if (entry.minPods !== undefined) opts.minPods = entry.minPods
    if (entry.maxRestarts !== undefined) opts.maxRestarts = entry.maxRestarts
    if (entry.fatalGrace !== undefined) opts.fatalGrace = parseDuration(entry.fatalGrace)
    if (entry.fatalRestarts !== undefined) opts.fatalRestarts = entry.fatalRestarts
    return kubeRun(async (signal) => (await load()).podsHealthy({ ...opts, signal }))
  },
}
