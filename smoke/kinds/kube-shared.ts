import { durationSchema, parseDuration } from '../../lib/duration.ts'
import type { KubeConnectionOptions } from '../../clients/kube.ts'
import type { CheckResult } from '../../lib/result.ts'
import type { CheckSpec } from '../../lib/runner.ts'
import { entryPath, requireReadableFile } from '../../lib/files.ts'
import type { BuildContext, CommonCheckFields } from './types.ts'

/** Fields every Kubernetes kind shares. */
export interface KubeEntryFields extends CommonCheckFields {
  kubeconfig?: string
  context?: string
  namespace?: string
  requestTimeout?: number | string
}

export const kubeProperties = {
  kubeconfig: { type: 'string', minLength: 1, description: 'kubeconfig file (relative to the target file); default: the default chain (KUBECONFIG, ~/.kube/config, in-cluster service account)' },
  context: { type: 'string', minLength: 1, description: "kubeconfig context (default: the kubeconfig's current-context)" },
  namespace: { type: 'string', minLength: 1, description: "namespace (default: the context's namespace, else default)" },
  requestTimeout: { ...durationSchema, description: 'timeout of each Kubernetes API request (default 10s)' },
} as const

export function kubeConnection(entry: KubeEntryFields, ctx: BuildContext): KubeConnectionOptions {
  const o: KubeConnectionOptions = {}
  if (entry.kubeconfig !== undefined) o.kubeconfig = requireReadableFile(entryPath('kubeconfig', entry.kubeconfig, ctx), 'kubeconfig')
  if (entry.context !== undefined) o.context = entry.context
  if (entry.namespace !== undefined) o.namespace = entry.namespace
  if (entry.requestTimeout !== undefined) o.requestTimeout = parseDuration(entry.requestTimeout)
  return o
}

/** A typed check as the runner's untyped one (evidence interfaces have no index signature). */
export function kubeRun<E>(run: (signal: AbortSignal) => Promise<CheckResult<E>>): Pick<CheckSpec, 'run'> {
  return { run: run as unknown as CheckSpec['run'] }
}
