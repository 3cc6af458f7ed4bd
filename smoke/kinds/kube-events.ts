import type { NoWarningEventsOptions } from '../../checks/kube-events.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { kubeConnection, type KubeEntryFields, kubeProperties, kubeRun } from './kube-shared.ts'
import type { CheckKind } from './types.ts'

// Loaded on first run: @kubernetes/client-node takes over a second to import, and most runs need no Kubernetes.
const load = () => import('../../checks/kube-events.ts')

/** A `kind: kube-events` entry. */
export interface KubeEventsEntry extends KubeEntryFields {
  since?: string
  within?: number | string
  involvedKind?: string
  namePrefix?: string
  ignoreReasons?: string[]
}

export const kubeEventsKind: CheckKind<KubeEventsEntry> = {
  kind: 'kube-events',
  description: 'no Warning events in the namespace since a time (e.g. the start of the deploy), listed as a table',
  positional: 'namespace',
  properties: {
    ...kubeProperties,
    since: { type: 'string', format: 'date-time', description: 'only events last seen at or after this ISO-8601 time' },
    within: { ...durationSchema, description: 'only events last seen within this long before the check runs (alternative to since)' },
    involvedKind: { type: 'string', minLength: 1, description: 'only events about this kind, e.g. Pod' },
    namePrefix: { type: 'string', minLength: 1, description: 'only events about objects whose name starts with this' },
    ignoreReasons: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Warning reasons to ignore, e.g. FailedScheduling' },
  },
  title: (e) => `no Warning events${e.namespace ? ` in ${e.namespace}` : ''}`,
  build(entry, ctx) {
    const base: NoWarningEventsOptions = { ...kubeConnection(entry, ctx) }
    if (entry.involvedKind !== undefined) base.involvedKind = entry.involvedKind
    if (entry.namePrefix !== undefined) base.namePrefix = entry.namePrefix
    if (entry.ignoreReasons !== undefined) base.ignoreReasons = entry.ignoreReasons
    const withinMs = entry.within !== undefined ? parseDuration(entry.within) : undefined
    return kubeRun(async (signal) => {
      const opts: NoWarningEventsOptions = { ...base, signal }
      if (entry.since !== undefined) opts.since = entry.since
      else if (withinMs !== undefined) opts.since = Date.now() - withinMs
      return (await load()).noWarningEvents(opts)
    })
  },
}
