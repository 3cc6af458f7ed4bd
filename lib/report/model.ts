import type { CheckResult, Status } from '../result.ts'

/** Overall verdict of a run. */
export type RunVerdict = 'passed' | 'failed' | 'interrupted' | 'config-error'

export interface RunMeta {
  /** Unique id of this run, e.g. `smoke-sandbox-20261121T233000Z-ab12`. */
  runId: string
  /** What ran: `smoke`, `runbook`, `check`. */
  kind: 'smoke' | 'runbook' | 'check'
  /** Suite or runbook name, e.g. `sandbox` or `deploy`. */
  suite: string
  /** Target name, e.g. `staging`. */
  target: string
  /** Target file path as given or resolved. */
  targetFile?: string
  startedAt: string
  finishedAt: string
  durationMs: number
  /** Who ran it: `$USER`, or the CI actor. */
  operator: string
  host: string
  gitCommit?: string
  /** runbook-kit version. */
  version: string
  /** Link to the CI job when run in CI (the same as `ci.url`; kept for readers of earlier reports). */
  ciJobUrl?: string
  /** The CI system the run ran in, when one is recognised (ci-info's 50-odd providers). */
  ci?: CiInfo
  /** Command line, redacted. */
  command: string
  verdict: RunVerdict
  exitCode: number
  /** For `config-error` (or a fatal error): what went wrong, already redacted. */
  error?: string
  /** Sandbox faults in force, when the target is the built-in sandbox. */
  faults?: string[]
  /** Problems of the run itself that did not change its verdict, e.g. a notification that could not be sent; redacted. */
  warnings?: string[]
  /** Run ids of the shard reports this report was merged from (see `mergeReports`); absent for a single run. */
  mergedFrom?: string[]
}

/** The CI system and job a run ran in (lib/report/meta.ts `detectCi`). */
export interface CiInfo {
  /** ci-info's constant for the provider: `GITHUB_ACTIONS`, `GITLAB`, `BUILDKITE`, `JENKINS`, `CIRCLE`… */
  id: string
  /** The provider's name: `GitHub Actions`, `GitLab CI`… */
  name: string
  /** The job's name, where the provider says it (`GITHUB_JOB`, `CI_JOB_NAME`, `BUILDKITE_LABEL`, `JOB_NAME`…). */
  job?: string
  /** Which attempt of the job or run this is (1 = first), where the provider says it. */
  attempt?: number
  /** Link to the job (or to the run attempt, for GitHub Actions, whose job ids are not in the environment). */
  url?: string
  /** True for a pull/merge request build; absent where the provider does not say. */
  pullRequest?: boolean
}

/** One command a runbook step ran (or would have run in a dry run). */
export interface CommandRecord {
  /** Command line, redacted. */
  command: string
  exitCode: number | null
  durationMs: number
  /** Last lines of stderr, redacted. */
  stderrTail?: string
  dryRun?: boolean
}

/**
 * Where a check or a step is written, so CI can annotate that line (JUnit `file`/`line`, GitHub
 * `::error file=…,line=…`). Kept in report.json, so a report rendered elsewhere (a merge) still knows.
 */
export interface SourceLocation {
  /** The target file (checks) or the runbook script (steps), relative to the run's working directory, `/`-separated. */
  file?: string
  /** 1-based line in `file`: the check's entry (`- id: …`) or the line that called `rb.step()`. */
  line?: number
}

/** A check result as a report holds it: the result model plus where the check is declared. */
export type ResultRecord = CheckResult & SourceLocation

/** One runbook step. The smoke suite has none. */
export interface StepRecord extends SourceLocation {
  /** Procedure step number (1-based); 0 for steps outside the procedure's numbering, which carry a `label`. */
  index: number
  /** Shown instead of `index` when set: `R1`, `R2`… for the rollback's undo and after-rollback steps. */
  label?: string
  title: string
  status: Status | 'rolled-back' | 'dry-run'
  message: string
  startedAt: string
  durationMs: number
  estimate?: string
  destructive?: boolean
  commands: CommandRecord[]
  /** Ids of the check results recorded inside this step. */
  checks: string[]
  /** True when Ctrl-C stopped this step (its status is then `error`). */
  interrupted?: boolean
  /** Manual confirmations: who confirmed what, when. */
  confirmations?: { question: string; answer: string; by: string; at: string }[]
}

export interface RunReport {
  schemaVersion: 1
  meta: RunMeta
  summary: Record<Status, number> & { total: number }
  results: ResultRecord[]
  steps: StepRecord[]
}
