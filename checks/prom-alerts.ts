import { InvalidArgumentError } from '../lib/errors.ts'
import { formatSeries, matchesLabels, parseLabelSelector, promAlerts, publicUrl, type LabelMatcher, type PromAlert, type PromApiOutcome, type PrometheusConnection } from '../clients/prometheus.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'

export interface NoFiringAlertsOptions extends Omit<PrometheusConnection, 'url'> {
  /** Check id. Default `prom-alerts`. */
  id?: string
  /** Check title. Default "No alerts firing matching <selector>". */
  title?: string
  /** Prometheus base URL. Required. */
  url: string
  /** Label selector on alert labels, e.g. `service="ai-agents-api"`. Default: every alert. */
  selector?: string
  /** Only alerts with one of these `severity` labels count, e.g. `[critical, warning]`. Default: all severities. */
  severities?: string[]
  /** Alert names that never count (e.g. `Watchdog`, which fires by design). Default `[Watchdog]`. */
  ignore?: string[]
  /** Also fail on `pending` alerts (condition true, `for` not yet elapsed). Default false: listed in evidence only. */
  failOnPending?: boolean
}

export interface AlertEvidence {
  alertname: string
  severity: string
  state: string
  activeAt: string
  /** All labels as `{a="b", ...}`. */
  labels: string
  summary?: string
}

export type NoFiringAlertsEvidence = {
  prometheus: string
  selector: string
  firing?: AlertEvidence[]
  pending?: AlertEvidence[]
  errorType?: string
  error?: string
}

export const NO_FIRING_ALERTS_DEFAULTS = Object.freeze({ id: 'prom-alerts', ignore: ['Watchdog'] as string[], failOnPending: false })

/** No alert matching the selector is firing (`/api/v1/alerts`). */
export async function noFiringAlerts(options: NoFiringAlertsOptions): Promise<CheckResult<NoFiringAlertsEvidence>> {
  const opts = { ...NO_FIRING_ALERTS_DEFAULTS, ...stripUndefined(options) }
  const matchers = opts.selector ? parseLabelSelector(opts.selector) : []
  if (opts.severities !== undefined && (!Array.isArray(opts.severities) || opts.severities.length === 0)) throw new InvalidArgumentError('noFiringAlerts: severities must be a non-empty list')
  const prometheus = publicUrl(opts.url)
  const title = opts.title ?? `No alerts firing${opts.selector ? ` matching ${opts.selector}` : ''}`
  return timed({ id: opts.id, title, kind: 'prom-alerts' }, async () =>
    judgeAlerts(await promAlerts(opts), { prometheus, matchers, severities: opts.severities, ignore: opts.ignore, failOnPending: opts.failOnPending }),
  )
}

/** Pure: judges the alerts API outcome. */
export function judgeAlerts(
  outcome: PromApiOutcome<{ alerts: PromAlert[] }>,
  x: { prometheus: string; matchers: LabelMatcher[]; severities?: string[]; ignore: string[]; failOnPending: boolean },
): Verdict<NoFiringAlertsEvidence> {
  const selector = [...x.matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`), ...(x.severities ? [`severity in (${x.severities.join(', ')})`] : [])].join(', ')
  const evidence: NoFiringAlertsEvidence = { prometheus: x.prometheus, selector: selector || '(all alerts)' }
  if (!outcome.ok) {
    if (outcome.errorType) evidence.errorType = outcome.errorType
    evidence.error = outcome.error
    return { status: 'fail', message: outcome.kind === 'network' ? `Prometheus unreachable: ${outcome.error}` : `Prometheus alerts API: ${outcome.errorType ?? outcome.kind} ${outcome.error}`, evidence }
  }
  const relevant = (outcome.data.alerts ?? []).filter(
    (a) => matchesLabels(a.labels ?? {}, x.matchers) && !x.ignore.includes(a.labels?.alertname ?? '') && (!x.severities || x.severities.includes(a.labels?.severity ?? '')),
  )
  const toEvidence = (a: PromAlert): AlertEvidence => {
    const e: AlertEvidence = {
      alertname: a.labels?.alertname ?? '',
      severity: a.labels?.severity ?? '(none)',
      state: a.state,
      activeAt: a.activeAt ?? '',
      labels: formatSeries(a.labels ?? {}),
    }
    const summary = a.annotations?.summary ?? a.annotations?.description
    if (summary) e.summary = summary
    return e
  }
  const firing = relevant.filter((a) => a.state === 'firing').map(toEvidence).slice(0, 100)
  const pending = relevant.filter((a) => a.state === 'pending').map(toEvidence).slice(0, 100)
  evidence.firing = firing
  evidence.pending = pending
  const counted = x.failOnPending ? [...firing, ...pending] : firing
  if (counted.length === 0) {
    const note = pending.length > 0 ? ` (${pending.length} pending)` : ''
    return { status: 'pass', message: `no alerts firing${note}`, evidence }
  }
  const shown = counted
    .slice(0, 3)
    .map((a) => `${a.alertname} [${a.severity}]${a.state === 'pending' ? ' (pending)' : ''}`)
    .join(', ')
  return { status: 'fail', message: `${counted.length} alert(s) ${x.failOnPending ? 'firing or pending' : 'firing'}: ${shown}${counted.length > 3 ? `, and ${counted.length - 3} more` : ''}`, evidence }
}
