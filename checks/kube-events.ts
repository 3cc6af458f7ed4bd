/**
 * noWarningEvents: no Warning events in a namespace since a given time (the start of the deploy).
 * Evidence is the table `kubectl get events --field-selector type=Warning` would show.
 */
import { InvalidArgumentError } from '../lib/errors.ts'
import { createKubeClient, describeKubeError, type KubeConnectionOptions } from '../clients/kube.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'
import { humanAge, type KubeTime, toMs } from '../clients/kube-print.ts'

export interface NoWarningEventsOptions extends KubeConnectionOptions {
  /** Only events last seen at or after this time count: a Date, an ISO timestamp or ms since the epoch. Default: all retained events. */
  since?: Date | string | number
  /** Only events about objects of this kind (e.g. Pod, Deployment). Default: any. */
  involvedKind?: string
  /** Only events about objects whose name starts with this prefix (e.g. `web-` for a deployment's pods). Default: any. */
  namePrefix?: string
  /** Warning reasons to ignore (e.g. `FailedScheduling` during autoscaling). Default none. */
  ignoreReasons?: string[]
  /** Most rows kept in the evidence table. Default 50. */
  maxRows?: number
  id?: string
  title?: string
}

export const EVENTS_DEFAULTS = Object.freeze({ maxRows: 50 })

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

export async function noWarningEvents(opts: NoWarningEventsOptions = {}): Promise<CheckResult<EventsEvidence>> {
  const o = { ...EVENTS_DEFAULTS, ...opts }
  let since: number | undefined
  if (o.since !== undefined) {
    since = o.since instanceof Date ? o.since.getTime() : typeof o.since === 'number' ? o.since : Date.parse(o.since)
    if (!Number.isFinite(since)) throw new InvalidArgumentError(`since must be a time (ISO timestamp, Date or ms), got ${String(o.since)}`)
  }
  if (!Number.isInteger(o.maxRows) || o.maxRows < 1) throw new InvalidArgumentError(`maxRows must be a positive integer, got ${o.maxRows}`)
  const client = createKubeClient(o)
  const ns = client.namespace
  return timed({ id: o.id ?? `kube-events.${ns}`, title: o.title ?? `no Warning events in ${ns}`, kind: 'kube-events' }, async () => {
    let items: EventLike[]
    try {
      items = (await client.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'type=Warning' }, client.call())).items as EventLike[]
    } catch (err) {
      const f = describeKubeError(err, { verb: 'list', resource: 'events', kind: 'event', namespace: ns }, client.server)
      const ev: EventsEvidence = { namespace: ns, warnings: [], total: 0 }
      if (f.serverMessage) ev.serverMessage = f.serverMessage
      return { status: 'fail', message: f.message, evidence: ev }
    }
    const judgeOpts: Parameters<typeof judgeEvents>[1] = { now: Date.now(), ignoreReasons: o.ignoreReasons ?? [], maxRows: o.maxRows }
    if (since !== undefined) judgeOpts.since = since
    if (o.involvedKind) judgeOpts.involvedKind = o.involvedKind
    if (o.namePrefix) judgeOpts.namePrefix = o.namePrefix
    return judgeEvents(items, judgeOpts, ns)
  })
}
