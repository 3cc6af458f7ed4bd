import type { Status } from '../result.ts'
import type { RunReport } from './model.ts'

/**
 * A run as Prometheus series, in the text exposition format 0.0.4 (what node-exporter's textfile
 * collector reads and what the Pushgateway accepts). Pure: `(report) => string`, same report, same bytes.
 *
 * The series follow the blackbox exporter's shape (`probe_success`, `probe_duration_seconds`), one per
 * check, so existing alerting treats a synthetic check like a probe:
 *   runbook_check_success{target,id,kind}           1 passed, 0 failed or errored
 *   runbook_check_duration_seconds{target,id,kind}  the check's duration, retries included
 *   runbook_checks{target,status}                   checks per status (all four statuses, zeros included)
 *   runbook_run_success{target}                     1 when the run's verdict is "passed"
 *   runbook_run_duration_seconds{target}
 *   runbook_run_timestamp_seconds{target}           when the run finished (alert on its age: a run that
 *                                                   stopped reporting is not a passing one)
 * A skipped check has no success or duration series: it was not checked, and 0 would page someone. It
 * is counted in `runbook_checks{status="skip"}`. Every series is a gauge: each run replaces the last.
 */

export interface MetricsOptions {
  /** Value of the `target` label. Default: the report's `meta.target`. */
  target?: string
}

const STATUSES: readonly Status[] = ['pass', 'fail', 'error', 'skip']

export function renderMetrics(report: RunReport, opts: MetricsOptions = {}): string {
  const target = opts.target ?? report.meta.target
  const out: string[] = []
  const family = (name: string, help: string, samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} gauge`)
    for (const [labels, value] of samples) out.push(`${name}${labelSet(labels)} ${formatValue(value)}`)
  }
  const checked = report.results.filter((r) => r.status !== 'skip')
  const checkLabels = (r: (typeof checked)[number]) => ({ target, id: r.id, kind: r.kind ?? 'unknown' })
  family(
    'runbook_check_success',
    'Whether the check passed (1) or failed or could not check (0); skipped checks have no series.',
    checked.map((r) => [checkLabels(r), r.status === 'pass' ? 1 : 0]),
  )
  family(
    'runbook_check_duration_seconds',
    'How long the check took, every attempt included, in seconds.',
    checked.map((r) => [checkLabels(r), r.durationMs / 1000]),
  )
  const counts = report.summary
  family(
    'runbook_checks',
    'Checks of the run by status (pass, fail, error, skip).',
    STATUSES.map((status) => [{ target, status }, counts[status] ?? 0]),
  )
  family('runbook_run_success', 'Whether the whole run passed (1) or not (0: a check failed or errored, a configuration error, an interruption).', [
    [{ target }, report.meta.verdict === 'passed' ? 1 : 0],
  ])
  family('runbook_run_duration_seconds', 'Wall time of the run, in seconds.', [[{ target }, report.meta.durationMs / 1000]])
  const finished = Date.parse(report.meta.finishedAt)
  family('runbook_run_timestamp_seconds', 'When the run finished, in seconds since the Unix epoch.', [[{ target }, Number.isNaN(finished) ? Number.NaN : finished / 1000]])
  return out.join('\n') + '\n'
}

/** `{a="x",b="y"}` with values escaped as the format requires: backslash, double quote, line feed. */
export function labelSet(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
  return parts.length ? `{${parts.join(',')}}` : ''
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** HELP text escapes only backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** Go's float formatting as the format expects it: `NaN`, `+Inf`, `-Inf`, otherwise a plain number. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}
