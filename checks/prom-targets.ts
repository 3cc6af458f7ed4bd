import { InvalidArgumentError } from '../lib/errors.ts'
import { matchesLabels, parseLabelSelector, promActiveTargets, publicUrl, type LabelMatcher, type PromApiOutcome, type PrometheusConnection, type PromTarget } from '../clients/prometheus.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'

export interface PromTargetsUpOptions extends Omit<PrometheusConnection, 'url'> {
  /** Check id. Default `prom-targets`. */
  id?: string
  /** Check title. Default "Prometheus targets of job <job> are up". */
  title?: string
  /** Prometheus base URL. Required. */
  url: string
  /** Only targets of this job (`job` label). At least one of `job` and `selector` is required. */
  job?: string
  /** Label selector on target labels, e.g. `env="prod", instance=~"api-.*"`. */
  selector?: string
  /** Fewer matching active targets than this is a failure (a job with no targets is not "all up"). Default 1. */
  minTargets?: number
}

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

export const PROM_TARGETS_DEFAULTS = Object.freeze({ id: 'prom-targets', minTargets: 1 })

/** Every active target matching the job/selector is `up` (`/api/v1/targets?state=active`). */
export async function promTargetsUp(options: PromTargetsUpOptions): Promise<CheckResult<PromTargetsEvidence>> {
  const opts = { ...PROM_TARGETS_DEFAULTS, ...stripUndefined(options) }
  if (!opts.job && !opts.selector) throw new InvalidArgumentError('promTargetsUp: give job or selector')
  if (!Number.isInteger(opts.minTargets) || opts.minTargets < 0) throw new InvalidArgumentError(`promTargetsUp: minTargets must be a non-negative integer, got ${String(opts.minTargets)}`)
  const matchers: LabelMatcher[] = [...(opts.job ? [{ name: 'job', op: '=' as const, value: opts.job }] : []), ...(opts.selector ? parseLabelSelector(opts.selector) : [])]
  const prometheus = publicUrl(opts.url)
  const title = opts.title ?? `Prometheus targets ${opts.job ? `of job ${opts.job}` : `matching ${opts.selector}`} are up`
  return timed({ id: opts.id, title, kind: 'prom-targets' }, async () => judgeTargets(await promActiveTargets(opts), { prometheus, matchers, minTargets: opts.minTargets }))
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
