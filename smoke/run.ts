import { join, resolve } from 'node:path'
import { ConfigError, errorMessage, InterruptedError, UsageError } from '../lib/errors.ts'
import { explainWriteError, fallbackReportDir, prepareReportDir } from '../lib/report/folder.ts'
import { Redactor, redactor as globalRedactor } from '../lib/redact.ts'
import { buildMeta, writeReports, type WrittenReports } from '../lib/report/index.ts'
import { relativeFile } from '../lib/report/location.ts'
import type { ResultRecord, RunReport, RunVerdict } from '../lib/report/model.ts'
import { summarize, type CheckResult } from '../lib/result.ts'
import { runChecks, type CheckSpec, type RunnerEvent } from '../lib/runner.ts'
import { openEnvironment, type TargetEnvironment } from './environment.ts'
import type { LoadedTarget } from './target-file.ts'
// Scale-out (DESIGN.md): sharding and metrics live in their own files.
import { checkMetricsTargets, publishMetrics, type MetricsTargets, type PublishOutcome } from './publish-metrics.ts'
import type { ResolvedShard } from './shard-env.ts'
import { emptyShardEnvironment, planShard, type ShardPlan } from './shard-plan.ts'

export interface SmokeOptions {
  /** Target name (`smoke/targets/<name>.yaml`) or path to a target file. */
  target: string
  cwd?: string
  /** Default `reports/<target>-<UTC timestamp>/` under cwd. */
  reportDir?: string
  only?: string[]
  /** Overrides the target's `concurrency` (default 50). */
  concurrency?: number
  /** Sandbox faults to switch on (sandbox targets only). */
  faults?: string[]
  env?: Record<string, string | undefined>
  redactor?: Redactor
  signal?: AbortSignal
  onEvent?: (event: RunnerEvent) => void
  /** Called once the checks are built, before any runs (the terminal prints its header here). */
  onStart?: (info: { target: LoadedTarget; checks: CheckSpec[]; reportDir: string; sandbox?: SandboxInfo; shard?: ShardPlan['info'] }) => void
  /** Command line for the report's metadata. */
  command?: string
  /** Run only this shard's share of the checks (smoke/shard.ts); report.json records it as `meta.shard`. */
  shard?: ResolvedShard
  /** Also publish the results as Prometheus series (smoke/publish-metrics.ts). */
  metrics?: MetricsTargets
}

export interface SandboxInfo {
  httpsUrl: string
  faults: string[]
}

export interface SmokeOutcome {
  exitCode: 0 | 1 | 2 | 130
  report: RunReport
  /** Where the reports are: the report folder, or the fallback folder when it could not be written (`writeError`). */
  reports?: WrittenReports
  /** Why the reports could not be written to the report folder (the run then fails). */
  writeError?: string
  /** What `metrics` published, and the warnings when it could not. */
  metrics?: PublishOutcome
  /** The folder under the OS temp folder that holds the record instead, when `writeError` is set. */
  fallbackDir?: string
}

/** `reports/<name>-20261121T233000Z` */
export function defaultReportDir(targetArg: string, cwd: string, at = new Date()): string {
  const name = targetArg.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/i, '') || 'target'
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  return join(cwd, 'reports', `${name}-${stamp}`)
}

/**
 * Runs a target's smoke suite and writes its reports. Configuration problems, failures and
 * interruptions all end with reports on disk; the exit code says which happened.
 */
export async function runSmoke(opts: SmokeOptions): Promise<SmokeOutcome> {
  const cwd = opts.cwd ?? process.cwd()
  const redactor = opts.redactor ?? globalRedactor
  const env = opts.env ?? process.env
  const startedAt = new Date()
  const reportDir = resolve(cwd, opts.reportDir ?? defaultReportDir(opts.target, cwd, startedAt))
  const targetName = opts.target.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/i, '')
  // A bad --report-dir is a usage error before anything runs (UsageError, exit 2).
  await prepareReportDir(reportDir)
  const metricsTargets = opts.metrics ? await checkMetricsTargets(opts.metrics, cwd) : undefined
  let plan: ShardPlan | undefined
  let loaded: LoadedTarget | undefined
  let environment: TargetEnvironment | undefined
  let results: ResultRecord[] = []
  let interrupted = false
  let fatal: string | undefined
  let verdict: RunVerdict = 'passed'
  let faults: string[] = opts.faults ?? []
  try {
    if (opts.shard) plan = await planShard(opts.target, { cwd, shard: opts.shard, only: opts.only })
    environment = plan?.emptyTarget ? emptyShardEnvironment(plan.emptyTarget, opts.faults) : await openEnvironment({
      target: opts.target,
      cwd,
      reportDir,
      faults: opts.faults,
      env,
      redactor,
      only: plan?.info.ids ?? opts.only,
      onLoaded: (l) => (loaded = l),
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
    loaded = environment.loaded
    faults = environment.faults
    const { checks } = environment
    opts.onStart?.({ target: loaded, checks, reportDir, sandbox: environment.sandboxUrl ? { httpsUrl: environment.sandboxUrl, faults } : undefined, shard: plan?.info })
    const outcome = await runChecks(checks, {
      concurrency: opts.concurrency ?? loaded.target.concurrency,
      signal: opts.signal,
      onEvent: opts.onEvent,
    })
    results = withLocations(outcome.results, loaded, cwd)
    interrupted = outcome.interrupted
  } catch (err) {
    if (opts.signal?.aborted && (err instanceof InterruptedError || (err as Error)?.name === 'AbortError')) {
      // Interrupted while the sandbox was starting: nothing was checked.
      interrupted = true
    } else if (err instanceof ConfigError || err instanceof UsageError) {
      verdict = 'config-error'
      fatal = errorMessage(err)
    } else {
      // A bug or an unexpected failure: still leave reports behind, marked failed with the reason.
      verdict = 'failed'
      fatal = `internal error: ${errorMessage(err)}`
    }
  }
  const summary = summarize(results)
  if (!fatal) verdict = interrupted ? 'interrupted' : summary.fail + summary.error > 0 ? 'failed' : 'passed'
  const exitCode = ({ passed: 0, failed: 1, 'config-error': 2, interrupted: 130 } as const)[verdict]
  const finishedAt = new Date()
  const meta = buildMeta({
    kind: 'smoke',
    suite: loaded?.name ?? targetName,
    target: loaded?.target.name ?? loaded?.name ?? targetName,
    targetFile: loaded?.file,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    command: redactor.redact(opts.command ?? `runbook-kit smoke --target ${opts.target}`),
    verdict,
    exitCode,
    ...(fatal ? { error: fatal } : {}),
    ...(faults.length ? { faults } : {}),
  })
  // A shard that failed before its plan was made still says which shard it was (merge names it).
  if (opts.shard) meta.shard = plan?.info ?? { index: opts.shard.index, total: opts.shard.total, ids: [], source: opts.shard.source }
  const report: RunReport = { schemaVersion: 1, meta, summary, results, steps: [] }
  const metrics = metricsTargets ? await publishMetrics(redactor.redactDeep(report), metricsTargets) : undefined
  if (metrics?.warnings.length) meta.warnings = [...(meta.warnings ?? []), ...metrics.warnings.map((w) => redactor.redact(w))]
  // The reports first, then the sandbox is stopped: a second Ctrl-C while it stops finds them written.
  try {
    return { ...(await writeSmokeReports(reportDir, report, redactor, cwd)), ...(metrics ? { metrics } : {}) }
  } finally {
    await environment?.close().catch(() => undefined)
  }
}

/** Each result with the file and line of its entry in the target file, for CI annotations. */
function withLocations(results: readonly CheckResult[], loaded: LoadedTarget, cwd: string): ResultRecord[] {
  const file = relativeFile(loaded.file, cwd)
  const position = new Map(loaded.target.checks.map((c, i) => [c.id, i] as const))
  return results.map((r) => {
    const line = loaded.yaml.lineOf(['checks', position.get(r.id) ?? -1])
    return { ...r, file, ...(line ? { line } : {}) }
  })
}

/** Writes the reports; when the folder fails, the run fails and the record goes to a folder under the OS temp folder. */
async function writeSmokeReports(reportDir: string, report: RunReport, redactor: Redactor, cwd: string): Promise<SmokeOutcome> {
  const exitCode = report.meta.exitCode as SmokeOutcome['exitCode']
  try {
    return { exitCode, report, reports: await writeReports(reportDir, report, redactor, process.env, { cwd }) }
  } catch (err) {
    // The run happened: say so, and fail the run (CI would otherwise lose its JUnit file silently).
    const writeError = `could not write the reports to ${reportDir}: ${await explainWriteError(err, reportDir)}`
    const failed = { ...report, meta: { ...report.meta, ...(report.meta.verdict === 'passed' ? { verdict: 'failed' as const } : {}), exitCode: exitCode === 0 ? 1 : exitCode, error: report.meta.error ? `${report.meta.error}; ${writeError}` : writeError } }
    try {
      const fallbackDir = await fallbackReportDir(report.meta.suite)
      return { exitCode: failed.meta.exitCode as SmokeOutcome['exitCode'], report: failed, reports: await writeReports(fallbackDir, failed, redactor, process.env, { cwd }), writeError, fallbackDir }
    } catch {
      return { exitCode: failed.meta.exitCode as SmokeOutcome['exitCode'], report: failed, writeError }
    }
  }
}
