import { formatSeries, matchesLabels, parseLabelSelector, prometheusConnection, prometheusConnectionProblems, PROMETHEUS_CONNECTION_FIELDS, promAlerts, publicUrl, type LabelMatcher, type PromAlert, type PromApiOutcome } from '../clients/prometheus.ts'
import { errorMessage, OptionsError, type OptionProblem } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { defaultsOf, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: prom-alerts` — `noFiringAlerts`: no alert matching a label selector is firing
 * (`/api/v1/alerts`); pending ones are listed, and fail only when asked.
 */

export const PromAlertsOptions = Options({
  selector: Type.Optional(Type.String({ minLength: 1, description: 'label selector on alert labels, e.g. service="ai-agents-api" (default: every alert)' })),
  severities: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'only alerts with one of these severity labels count, e.g. critical,warning (default: every severity)' })),
  ignore: Type.Optional(Type.Array(Type.String(), { default: ['Watchdog'], description: 'alert names that never count (Watchdog fires by design)' })),
  failOnPending: Type.Optional(Type.Boolean({ default: false, description: 'also fail on pending alerts (condition true, for not yet elapsed); otherwise they are only listed' })),
  ...PROMETHEUS_CONNECTION_FIELDS,
})
export type NoFiringAlertsOptions = Static<typeof PromAlertsOptions> & RunContext

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

export const NO_FIRING_ALERTS_DEFAULTS = Object.freeze({ ...defaultsOf(PromAlertsOptions, 'ignore', 'failOnPending'), id: 'prom-alerts' as string })

export const promAlertsKind = defineKind({
  kind: 'prom-alerts',
  description: 'no Prometheus alerts firing that match a label selector (severity shown); pending ones listed',
  options: PromAlertsOptions,
  positional: 'selector',
  title: (o) => noFiringAlertsTitle(o),
  validate: (o) => validatePromAlerts(o),
  run: (o, rt) => noFiringAlerts({ ...o, ...rt }),
})

function noFiringAlertsTitle(o: Pick<NoFiringAlertsOptions, 'selector'>): string {
  return `No alerts firing${o.selector ? ` matching ${o.selector}` : ''}`
}

/** The rules on noFiringAlerts' options, for the kind (at build) and library callers (at run): OptionsError naming each field. */
export function validatePromAlerts(o: Partial<NoFiringAlertsOptions>): void {
  const problems: OptionProblem[] = []
  if (o.selector !== undefined) {
    try {
      parseLabelSelector(o.selector)
    } catch (err) {
      problems.push({ path: ['selector'], message: errorMessage(err) })
    }
  }
  if (o.severities !== undefined && (!Array.isArray(o.severities) || o.severities.length === 0)) problems.push({ path: ['severities'], message: 'must be a non-empty list' })
  problems.push(...prometheusConnectionProblems(o))
  if (problems.length > 0) throw new OptionsError(problems)
}

/** No alert matching the selector is firing (`/api/v1/alerts`). */
export async function noFiringAlerts(options: NoFiringAlertsOptions): Promise<CheckResult<NoFiringAlertsEvidence>> {
  const opts = { ...NO_FIRING_ALERTS_DEFAULTS, ...stripUndefined(options) }
  validatePromAlerts(opts)
  const matchers = opts.selector ? parseLabelSelector(opts.selector) : []
  const prometheus = publicUrl(opts.prometheus)
  const title = opts.title ?? noFiringAlertsTitle(opts)
  return timed({ id: opts.id, title, kind: 'prom-alerts' }, async () =>
    judgeAlerts(await promAlerts(prometheusConnection(opts)), { prometheus, matchers, severities: opts.severities, ignore: opts.ignore, failOnPending: opts.failOnPending }),
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
