import { matchesLabels, parseLabelSelector, prometheusConnection, prometheusConnectionProblems, PROMETHEUS_CONNECTION_FIELDS, promActiveTargets, publicUrl, type LabelMatcher, type PromApiOutcome, type PromTarget } from '../clients/prometheus.ts'
import { errorMessage, OptionsError, type OptionProblem } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { defaultsOf, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: prom-targets` — `promTargetsUp`: every active scrape target of a job (or label selector)
 * is up (`/api/v1/targets?state=active`).
 */

export const PromTargetsOptions = Options({
  job: Type.Optional(Type.String({ minLength: 1, description: 'job label of the targets (give job, selector or both)' })),
  selector: Type.Optional(Type.String({ minLength: 1, description: 'label selector on target labels, e.g. env="prod", instance=~"api-.*"' })),
  minTargets: Type.Optional(Type.Integer({ minimum: 0, default: 1, description: 'fewer matching active targets than this fails (a job with no targets is not "all up")' })),
  ...PROMETHEUS_CONNECTION_FIELDS,
})
export type PromTargetsUpOptions = Static<typeof PromTargetsOptions> & RunContext

export interface PromTargetEvidence {
  job: string
  instance: string
  scrapeUrl: string
  health: string
  /** Empty when the last scrape worked. */
  lastError: string
  lastScrape: string
  /** ms. */
  lastScrapeDurationMs: number
}

export type PromTargetsEvidence = {
  prometheus: string
  /** The filter as given: `job="x", ...`. */
  selector: string
  matched?: number
  up?: number
  /** At most 100, unhealthy first. */
  targets?: PromTargetEvidence[]
  errorType?: string
  error?: string
}

export const PROM_TARGETS_DEFAULTS = Object.freeze({ ...defaultsOf(PromTargetsOptions, 'minTargets'), id: 'prom-targets' as string })

export const promTargetsKind = defineKind({
  kind: 'prom-targets',
  description: 'every active Prometheus scrape target of a job (or label selector) is up; evidence lists each with its last error',
  options: PromTargetsOptions,
  positional: 'job',
  title: (o) => promTargetsTitle(o),
  validate: (o) => validatePromTargets(o),
  run: (o, rt) => promTargetsUp({ ...o, ...rt }),
})

function promTargetsTitle(o: Pick<PromTargetsUpOptions, 'job' | 'selector'>): string {
  return `Prometheus targets ${o.job ? `of job ${o.job}` : `matching ${o.selector ?? '?'}`} are up`
}

/** The rules on promTargetsUp's options, for the kind (at build) and library callers (at run): OptionsError naming each field. */
export function validatePromTargets(o: Partial<PromTargetsUpOptions>): void {
  const problems: OptionProblem[] = []
  if (!o.job && !o.selector) problems.push({ path: [], message: 'give {job}, {selector} or both' })
  if (o.selector) {
    try {
      parseLabelSelector(o.selector)
    } catch (err) {
      problems.push({ path: ['selector'], message: errorMessage(err) })
    }
  }
  if (o.minTargets !== undefined && (!Number.isInteger(o.minTargets) || o.minTargets < 0)) problems.push({ path: ['minTargets'], message: `must be a non-negative integer, got ${String(o.minTargets)}` })
  problems.push(...prometheusConnectionProblems(o))
  if (problems.length > 0) throw new OptionsError(problems)
}

/** Every active target matching the job/selector is `up` (`/api/v1/targets?state=active`). */
export async function promTargetsUp(options: PromTargetsUpOptions): Promise<CheckResult<PromTargetsEvidence>> {
  const opts = { ...PROM_TARGETS_DEFAULTS, ...stripUndefined(options) }
  validatePromTargets(opts)
  const matchers: LabelMatcher[] = [...(opts.job ? [{ name: 'job', op: '=' as const, value: opts.job }] : []), ...(opts.selector ? parseLabelSelector(opts.selector) : [])]
  const prometheus = publicUrl(opts.prometheus)
  const title = opts.title ?? promTargetsTitle(opts)
  return timed({ id: opts.id, title, kind: 'prom-targets' }, async () =>
    judgeTargets(await promActiveTargets(prometheusConnection(opts)), { prometheus, matchers, minTargets: opts.minTargets }),
  )
}

/** Pure: judges the targets API outcome. */
export function judgeTargets(outcome: PromApiOutcome<{ activeTargets: PromTarget[] }>, x: { prometheus: string; matchers: LabelMatcher[]; minTargets: number }): Verdict<PromTargetsEvidence> {
  const evidence: PromTargetsEvidence = { prometheus: x.prometheus, selector: x.matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ') }
  if (!outcome.ok) {
    if (outcome.errorType) evidence.errorType = outcome.errorType
    evidence.error = outcome.error
    return { status: 'fail', message: outcome.kind === 'network' ? `Prometheus unreachable: ${outcome.error}` : `Prometheus targets API: ${outcome.errorType ?? outcome.kind} ${outcome.error}`, evidence }
  }
  const matched = (outcome.data.activeTargets ?? []).filter((t) => matchesLabels(t.labels ?? {}, x.matchers))
  const targets = matched.map(
    (t): PromTargetEvidence => ({
      job: t.labels?.job ?? t.scrapePool,
      instance: t.labels?.instance ?? '',
      scrapeUrl: t.scrapeUrl,
      health: t.health,
      lastError: t.lastError ?? '',
      lastScrape: t.lastScrape,
      lastScrapeDurationMs: Math.round((t.lastScrapeDuration ?? 0) * 1000),
    }),
  )
  const bad = targets.filter((t) => t.health !== 'up')
  evidence.matched = targets.length
  evidence.up = targets.length - bad.length
  evidence.targets = [...bad, ...targets.filter((t) => t.health === 'up')].slice(0, 100)
  if (targets.length < x.minTargets) {
    return { status: 'fail', message: `${targets.length} active target(s) match ${evidence.selector}, expected at least ${x.minTargets}`, evidence }
  }
  if (bad.length === 0) return { status: 'pass', message: `all ${targets.length} target(s) up`, evidence }
  const shown = bad
    .slice(0, 3)
    .map((t) => `${t.instance} ${t.health}${t.health === 'unknown' ? ' (not scraped yet)' : t.lastError ? `: ${t.lastError}` : ''}`)
    .join('; ')
  return { status: 'fail', message: `${bad.length} of ${targets.length} target(s) not up: ${shown}${bad.length > 3 ? `; and ${bad.length - 3} more` : ''}`, evidence }
}
