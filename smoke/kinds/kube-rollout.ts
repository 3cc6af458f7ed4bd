import type { RolloutStatusOptions } from '../../checks/kube-rollout.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { kubeConnection, type KubeEntryFields, kubeProperties, kubeRun } from './kube-shared.ts'
import type { CheckKind } from './types.ts'

// Loaded on first run: @kubernetes/client-node takes over a second to import, and most runs need no Kubernetes.
const load = () => import('../../checks/kube-rollout.ts')

/** A `kind: kube-rollout` entry. */
export interface KubeRolloutEntry extends KubeEntryFields {
  name: string
  workload?: 'Deployment' | 'StatefulSet' | 'DaemonSet'
  waitFor?: number | string
  revision?: number
  failFast?: boolean
  fatalGrace?: number | string
  fatalRestarts?: number
}

export const kubeRolloutKind: CheckKind<KubeRolloutEntry> = {
  kind: 'kube-rollout',
  description: 'waits (watch) until a Deployment/StatefulSet/DaemonSet has rolled out, judged as `kubectl rollout status`; fails early on crash loops and unpullable images',
  positional: 'name',
  properties: {
    ...kubeProperties,
    name: { type: 'string', minLength: 1, description: 'workload name' },
    workload: { type: 'string', enum: ['Deployment', 'StatefulSet', 'DaemonSet'], description: 'workload kind (default Deployment)' },
    waitFor: { ...durationSchema, description: "how long to wait for the rollout (default: the check's timeout minus 1s, else 29s); 0 judges once like kubectl --watch=false" },
    revision: { type: 'integer', minimum: 0, description: 'expected deployment.kubernetes.io/revision, like kubectl --revision (default: any)' },
    failFast: { type: 'boolean', description: 'fail as soon as a new pod is in a fatal state (default true); false waits like kubectl' },
    fatalGrace: { ...durationSchema, description: 'how long ImagePullBackOff/CrashLoopBackOff/Unschedulable may last before failFast fails (default 60s)' },
    fatalRestarts: { type: 'integer', minimum: 0, description: 'restarts at which a crash loop is fatal inside the grace period (default 3)' },
  },
  required: ['name'],
  title: (e) => `${e.workload ?? 'Deployment'} ${e.name} rolled out`,
  build(entry, ctx) {
    const opts: RolloutStatusOptions = { ...kubeConnection(entry, ctx), name: entry.name }
    if (entry.workload !== undefined) opts.kind = entry.workload
    opts.timeout = entry.waitFor !== undefined ? parseDuration(entry.waitFor) : entry.timeout !== undefined ? Math.max(0, parseDuration(entry.timeout) - 1000) : 29_000
    if (entry.revision !== undefined) opts.revision = entry.revision
    if (entry.failFast !== undefined) opts.failFast = entry.failFast
    if (entry.fatalGrace !== undefined) opts.fatalGrace = parseDuration(entry.fatalGrace)
    if (entry.fatalRestarts !== undefined) opts.fatalRestarts = entry.fatalRestarts
    return kubeRun(async (signal) => (await load()).rolloutStatus({ ...opts, signal }))
  },
}
