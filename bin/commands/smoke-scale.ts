import { readFile } from 'node:fs/promises'
import { redactor as processRedactor, type Redactor } from '../../lib/redact.ts'
import type { RunReport, ShardInfo } from '../../lib/report/model.ts'
import type { PublishOutcome } from '../../smoke/publish-metrics.ts'
import { resolveShard } from '../../smoke/shard-env.ts'
import { shardBanner } from '../../smoke/shard-plan.ts'
import type { SmokeOptions } from '../../smoke/run.ts'

/**
 * The scale-out options of `runbook-kit smoke` (DESIGN.md "Scale-out"): --shard, --shard-total,
 * --json-last-line, --metrics-file, --pushgateway. Kept apart from smoke.ts so that file stays about the run.
 */

export const SCALE_HELP = `      --shard <i/n>         run shard i of n (1-based): a stable share of the checks, by a hash of
                            each id (default: the CI's parallel-job index when present: GitLab
                            CI_NODE_INDEX/CI_NODE_TOTAL, Buildkite BUILDKITE_PARALLEL_JOB/_COUNT;
                            --shard 1/1 runs everything). A shard with no checks passes with 0.
      --shard-total <n>     shard count when the index comes from the environment: Kubernetes
                            Indexed Jobs' JOB_COMPLETION_INDEX (0-based) (also RUNBOOK_KIT_SHARD_TOTAL)
      --json-last-line      end stdout with report.json on one line (for \`kubectl logs\` + merge)
      --metrics-file <path> also write the results as Prometheus text (*.prom, atomically) for
                            node-exporter's textfile collector
      --pushgateway <url>   also PUT them to a Pushgateway (group job/runbook_kit/target/<t>[/shard/<i>]);
                            a failure is a warning and does not change the exit code`

export const scaleOptions = {
  parseArgs: {
    shard: { type: 'string' },
    'shard-total': { type: 'string' },
    'json-last-line': { type: 'boolean', default: false },
    'metrics-file': { type: 'string' },
    pushgateway: { type: 'string' },
  },
  /** Turns the parsed flags (and the CI's variables) into runSmoke options; usage errors throw. */
  resolve(
    values: { shard?: string; 'shard-total'?: string; 'json-last-line'?: boolean; 'metrics-file'?: string; pushgateway?: string },
    env: Record<string, string | undefined>,
  ): { smoke: Pick<SmokeOptions, 'shard' | 'metrics'>; jsonLastLine: boolean } {
    const smoke: Pick<SmokeOptions, 'shard' | 'metrics'> = {}
    const shard = resolveShard({ shard: values.shard, shardTotal: values['shard-total'] }, env)
    if (shard) smoke.shard = shard
    if (values['metrics-file'] !== undefined || values.pushgateway !== undefined) {
      smoke.metrics = {}
      if (values['metrics-file'] !== undefined) smoke.metrics.metricsFile = values['metrics-file']
      if (values.pushgateway !== undefined) {
        // A password in the URL is masked in the recorded command line and every message.
        processRedactor.addUrlCredentials(values.pushgateway)
        smoke.metrics.pushgateway = values.pushgateway
      }
    }
    return { smoke, jsonLastLine: Boolean(values['json-last-line']) }
  },
} as const

export const scaleOutcomeLines = {
  shard: (info: ShardInfo): string => `Sharded: ${shardBanner(info)}`,
  /** Success on the run's stream; a failure loudly on stderr (it does not change the exit code). */
  metrics(outcome: PublishOutcome | undefined, term: { line(text: string): void }, redactor: Redactor): void {
    if (!outcome) return
    if (outcome.file) term.line(`Metrics: ${outcome.file}`)
    if (outcome.pushed) term.line(`Metrics pushed: ${outcome.pushed}`)
    for (const w of outcome.warnings) process.stderr.write(redactor.redact(`runbook-kit: WARNING: ${w}\n`))
  },
}

/**
 * report.json as one line: the same redacted bytes as the file, compacted. When the file could not be
 * written, the in-memory report, redacted.
 */
export async function compactReportLine(jsonPath: string | undefined, report: RunReport, redactor: Redactor): Promise<string> {
  const value: unknown = jsonPath ? JSON.parse(await readFile(jsonPath, 'utf8')) : redactor.redactDeep(report)
  return JSON.stringify(value) + '\n'
}
