/**
 * `kind: kube-events` — noWarningEvents: no Warning events in a namespace since a given time (the
 * start of the deploy), or within a window before the check runs. Evidence is the table
 * `kubectl get events --field-selector type=Warning` would show.
 */
import { InvalidArgumentError, optionProblem } from '../lib/errors.ts'
import { createKubeClient, KUBE_CONNECTION_FIELDS, kubeLibrary } from '../clients/kube.ts'
import { stripUndefined } from '../lib/object.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'
import { defaultsOf, Duration, Options, Type, type Static } from '../lib/schema.ts'
import { humanAge, type KubeTime, toMs } from '../clients/kube-print.ts'
import { defineKind, type RunContext } from './kind.ts'
import { kubeApiFailure } from './kube-api-failure.ts'

export const KubeEventsOptions = Options({
  since: Type.Optional(Type.String({ format: 'date-time', description: 'only events last seen at or after this ISO-8601 time (default: every retained event)' })),
  within: Type.Optional(Duration({ description: 'only events last seen within this long before the check runs (instead of since)' })),
  involvedKind: Type.Optional(Type.String({ minLength: 1, description: 'only events about this kind, e.g. Pod (default: any)' })),
  namePrefix: Type.Optional(Type.String({ minLength: 1, description: 'only events about objects whose name starts with this, e.g. web- for a deployment\'s pods (default: any)' })),
  ignoreReasons: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Warning reasons to ignore, e.g. FailedScheduling during autoscaling' })),
  maxRows: Type.Optional(Type.Integer({ minimum: 1, default: 50, description: 'most Warning events kept in the evidence table' })),
  ...KUBE_CONNECTION_FIELDS,
})

/**
 * noWarningEvents's options: the declared fields and the run context. Library callers may also
 * give `since` as a Date or as ms since the epoch.
 */
export type NoWarningEventsOptions = Omit<Static<typeof KubeEventsOptions>, 'since'> & { since?: Date | string | number } & RunContext

export const EVENTS_DEFAULTS = defaultsOf(KubeEventsOptions, 'maxRows')

export const kubeEventsKind = defineKind({
  kind: 'kube-events',
  description: 'no Warning events in the namespace since a time (e.g. the start of the deploy), listed as a table',
  options: KubeEventsOptions,
  preload: kubeLibrary,
  positional: 'namespace',
  title: (o) => eventsTitle(o.namespace),
  validate: validateEvents,
  run: (o, rt) => noWarningEvents({ ...o, ...rt }),
})

function eventsTitle(namespace: string | undefined): string {
  return `no Warning events${namespace ? ` in ${namespace}` : ''}`
}

/** The cross-field rule: one way to say since when. */
export function validateEvents(o: Pick<NoWarningEventsOptions, 'since' | 'within'>): void {
  if (o.since !== undefined && o.within !== undefined) throw optionProblem('within', 'give {since} or {within}, not both')
}

export interface EventRow {
  lastSeen: string
  /** ISO time the event was last seen. */
  at: string
  reason: string
  object: string
  message: string
  count: number
}

export interface EventsEvidence {
  namespace: string
  since?: string
  warnings: EventRow[]
  total: number
  serverMessage?: string
}

export interface EventLike {
  type?: string
  reason?: string
  message?: string
  count?: number
  lastTimestamp?: KubeTime
  eventTime?: KubeTime
  firstTimestamp?: KubeTime
  series?: { lastObservedTime?: KubeTime } | null
  metadata?: { creationTimestamp?: KubeTime }
  involvedObject?: { kind?: string; name?: string }
}

function lastSeen(e: EventLike): number | undefined {
  return toMs(e.series?.lastObservedTime) ?? toMs(e.lastTimestamp) ?? toMs(e.eventTime) ?? toMs(e.firstTimestamp) ?? toMs(e.metadata?.creationTimestamp)
}

export function judgeEvents(events: EventLike[], opts: { now: number; since?: number; involvedKind?: string; namePrefix?: string; ignoreReasons: string[]; maxRows: number }, namespace: string): Verdict<EventsEvidence> {
  const warnings = events
    .filter((e) => e.type === 'Warning')
    .filter((e) => opts.since === undefined || (lastSeen(e) ?? 0) >= opts.since)
    .filter((e) => !opts.involvedKind || e.involvedObject?.kind?.toLowerCase() === opts.involvedKind.toLowerCase())
    .filter((e) => !opts.namePrefix || (e.involvedObject?.name ?? '').startsWith(opts.namePrefix))
    .filter((e) => !opts.ignoreReasons.includes(e.reason ?? ''))
    .sort((a, b) => (lastSeen(b) ?? 0) - (lastSeen(a) ?? 0))
  const rows: EventRow[] = warnings.slice(0, opts.maxRows).map((e) => {
    const at = lastSeen(e) ?? opts.now
    return { lastSeen: humanAge(opts.now - at), at: new Date(at).toISOString(), reason: e.reason ?? '', object: `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`, message: e.message ?? '', count: e.count ?? 1 }
  })
  const ev: EventsEvidence = { namespace, warnings: rows, total: warnings.length }
  if (opts.since !== undefined) ev.since = new Date(opts.since).toISOString()
  const window = opts.since !== undefined ? ` since ${ev.since}` : ''
  if (warnings.length === 0) return { status: 'pass', message: `no Warning events in ${namespace}${window}`, evidence: ev }
  const first = rows[0]!
  return { status: 'fail', message: `${warnings.length} Warning event${warnings.length === 1 ? '' : 's'} in ${namespace}${window}, latest: ${first.reason} ${first.object}: ${first.message}`, evidence: ev }
}

export async function noWarningEvents(options: NoWarningEventsOptions = {}): Promise<CheckResult<EventsEvidence>> {
  const o = { ...EVENTS_DEFAULTS, ...stripUndefined(options) }
  validateEvents(o)
  let since: number | undefined
  if (o.since !== undefined) {
    since = o.since instanceof Date ? o.since.getTime() : typeof o.since === 'number' ? o.since : Date.parse(o.since)
    if (!Number.isFinite(since)) throw new InvalidArgumentError(`since must be a time (ISO timestamp, Date or ms), got ${String(o.since)}`)
  }
  if (o.within !== undefined && (!Number.isFinite(o.within) || o.within < 0)) throw new InvalidArgumentError(`within must be a non-negative number of ms, got ${o.within}`)
  if (!Number.isInteger(o.maxRows) || o.maxRows < 1) throw new InvalidArgumentError(`maxRows must be a positive integer, got ${o.maxRows}`)
  const client = await createKubeClient(o)
  const ns = client.namespace
  // `within` counts back from when the check runs (after a retry, from that attempt).
  if (o.within !== undefined) since = Date.now() - o.within
  return timed({ id: o.id ?? `kube-events.${ns}`, title: o.title ?? eventsTitle(ns), kind: 'kube-events' }, async () => {
    let items: EventLike[]
    try {
      items = (await client.request((call) => client.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'type=Warning' }, call))).items as EventLike[]
    } catch (err) {
      return kubeApiFailure<EventsEvidence>(err, { verb: 'list', resource: 'events', kind: 'event', namespace: ns }, client, { namespace: ns, warnings: [], total: 0 })
    }
    const judgeOpts: Parameters<typeof judgeEvents>[1] = { now: Date.now(), ignoreReasons: o.ignoreReasons ?? [], maxRows: o.maxRows }
    if (since !== undefined) judgeOpts.since = since
    if (o.involvedKind) judgeOpts.involvedKind = o.involvedKind
    if (o.namePrefix) judgeOpts.namePrefix = o.namePrefix
    return judgeEvents(items, judgeOpts, ns)
  })
}
