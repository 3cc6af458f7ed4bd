import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parsePushgatewayUrl, pushMetrics, PUSH_DEFAULTS } from '../clients/pushgateway.ts'
import { errorMessage, UsageError } from '../lib/errors.ts'
import { renderMetrics } from '../lib/report/metrics.ts'
import type { RunReport } from '../lib/report/model.ts'
import { writeAtomic } from '../lib/report/write.ts'

/**
 * `--metrics-file PATH` and `--pushgateway URL`: a run's results leave as Prometheus series
 * (lib/report/metrics.ts), so the alerting a team already has sees synthetic failures.
 *
 * Decision: publishing is reporting, not checking. A metrics file that cannot be written or a
 * Pushgateway that does not answer is reported loudly (stderr and the report's warnings) and does not
 * change the verdict or the exit code: a monitoring outage must not fail a deploy gate, and the run's
 * result is still in junit.xml and report.json. Staleness is for the alerting to catch
 * (`time() - runbook_run_timestamp_seconds > ...`). Options that can never work (a bad URL, a folder that
 * does not exist) are usage errors before anything runs.
 */

export interface MetricsTargets {
  /** Written atomically (temp file in the same folder, then rename), as node-exporter's textfile collector needs. */
  metricsFile?: string
  /** Pushgateway base URL; the group is `/metrics/job/runbook_kit/target/<target>[/shard/<i>]`. */
  pushgateway?: string
  /** Pushgateway request timeout, ms. Default 10000. */
  pushTimeoutMs?: number
}

export interface PublishOutcome {
  /** Absolute path of the metrics file written. */
  file?: string
  /** Grouping URL pushed to (password masked). */
  pushed?: string
  /** One line per failure; empty when everything was published. */
  warnings: string[]
}

/** The Pushgateway job label of every run. */
export const PUSH_JOB = 'runbook_kit'

/** Fails fast on options that cannot work; resolves the metrics file path against `cwd`. */
export async function checkMetricsTargets(t: MetricsTargets, cwd: string): Promise<MetricsTargets> {
  const out: MetricsTargets = { ...t }
  if (t.pushgateway !== undefined) {
    try {
      parsePushgatewayUrl(t.pushgateway)
    } catch (err) {
      throw new UsageError(errorMessage(err))
    }
  }
  if (t.metricsFile !== undefined) {
    const file = resolve(cwd, t.metricsFile)
    if (!file.endsWith('.prom')) throw new UsageError(`--metrics-file must end in .prom (node-exporter's textfile collector reads only *.prom), got ${t.metricsFile}`)
    try {
      if ((await stat(dirname(file))).isDirectory() === false) throw new Error('not a folder')
      await access(dirname(file), constants.W_OK)
    } catch (err) {
      throw new UsageError(`cannot write --metrics-file ${file}: its folder ${dirname(file)} is not a writable folder (${errorMessage(err)})`)
    }
    out.metricsFile = file
  }
  return out
}

/** Publishes a (redacted) report. Never throws for a write or network failure: see `warnings`. */
export async function publishMetrics(report: RunReport, t: MetricsTargets, signal?: AbortSignal): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { warnings: [] }
  if (!t.metricsFile && !t.pushgateway) return outcome
  const body = renderMetrics(report)
  if (t.metricsFile) {
    try {
      await writeAtomic(t.metricsFile, body)
      outcome.file = t.metricsFile
    } catch (err) {
      outcome.warnings.push(`could not write the metrics file ${t.metricsFile}: ${errorMessage(err)}`)
    }
  }
  if (t.pushgateway) {
    const grouping: [string, string][] = [['target', report.meta.target]]
    if (report.meta.shard) grouping.push(['shard', String(report.meta.shard.index)])
    const res = await pushMetrics({ url: t.pushgateway, job: PUSH_JOB, grouping, body, timeoutMs: t.pushTimeoutMs ?? PUSH_DEFAULTS.timeoutMs, signal })
    if (res.ok) outcome.pushed = res.url
    else outcome.warnings.push(`could not push the metrics to ${res.url}: ${res.reason} (the verdict stands; the reports are written)`)
  }
  return outcome
}
