import type { Redactor } from '../redact.ts'
import type { CheckResult } from '../result.ts'
import type { CheckSpec } from '../runner.ts'
import type { RunbookFlags, RunbookOptionSpec } from './args.ts'
import type { PreflightRequirements } from './preflight.ts'
import type { PromptIo } from './prompt.ts'
import type { RecordingShell } from './shell.ts'

/**
 * The public shapes of the runbook engine: what a runbook passes to `runbook()`, the handle it gets
 * back, and what a step body sees.
 */

/**
 * What the engine needs of an opened target. `openEnvironment` in smoke/environment.ts returns one
 * (with more: the resolved target file, sandbox variables); runbooks pass that function in, so that
 * lib/ does not import smoke/ (DESIGN.md: imports point runbooks/ → smoke/ → checks/ → clients/ → lib/).
 */
export interface RunbookEnvironment {
  loaded: { name: string; file: string }
  target: { name?: string; concurrency?: number }
  /** Every check of the target, built, in the target's order. */
  checks: CheckSpec[]
  /** Variables the environment provides (e.g. the sandbox's), besides process.env. */
  vars: Record<string, string>
  /** Sandbox faults in force. */
  faults: string[]
  /** Stops whatever opening the environment started. */
  close(): Promise<void>
}

/** What `openEnvironment` gets from the engine (the parsed flags and the run's settings). */
export interface OpenRunbookEnvironmentOptions {
  target: string
  cwd: string
  reportDir: string
  faults: string[]
  env: Record<string, string | undefined>
  redactor: Redactor
  /** Aborted when the run is interrupted while the target opens: stop what was started and reject. */
  signal: AbortSignal
}

export interface RunbookOptions<E extends RunbookEnvironment = RunbookEnvironment> {
  /** Human title, printed and used as the report heading. */
  title: string
  /** Short name for reports and run ids (`deploy`). Default: slug of the title. */
  name?: string
  /**
   * Opens the target named by `--target` (loads and validates it, starts the sandbox for sandbox
   * targets, builds its checks). Required: runbooks pass `openEnvironment` from smoke/environment.ts
   * (the deploy and rollback runbooks `openDeployEnvironment`, which adds the sandbox's deploy cluster).
   */
  openEnvironment: (opts: OpenRunbookEnvironmentOptions) => Promise<E>
  /** Target used when `--target` is not given. Default: none (then `--target` is required). */
  target?: string
  /** Command-line arguments. Default: the script's (after `zx <script>`). */
  argv?: string[]
  /** Script path shown in `--help`. Default `runbooks/<name>.mts`. */
  script?: string
  /** This runbook's own options (e.g. `to-version`). */
  options?: Record<string, RunbookOptionSpec>
  /** The sandbox faults `--fault` accepts (name → what it does), listed in `--help`. Default: none listed. */
  faults?: Readonly<Record<string, string>>
  /**
   * Whether the runbook has destructive steps or checklist questions, so that it must refuse to
   * start without a terminal unless `--yes` is given. Default true.
   */
  needsConfirmation?: boolean
  /** Incoming-webhook URL for notifications, from the opened target. Default: none. */
  notifyUrl?: (env: E) => string | undefined
  cwd?: string
  env?: Record<string, string | undefined>
  redactor?: Redactor
  /** Where output goes. Default process.stdout. */
  stdout?: NodeJS.WritableStream
  /** Questions to the operator. Default: process stdin/stderr. */
  io?: PromptIo
  /** Called to end the process early (help, refusal, usage error, interrupt). Default `process.exit`. */
  exit?: (code: number) => void
  /** Install SIGINT/SIGTERM handlers and finish automatically before exit. Default true. */
  installHandlers?: boolean
  /** Colours. Default: when stdout is a TTY. */
  color?: boolean
}

/** Options of one step. */
export interface StepOptions {
  /** Time estimate shown in the header, e.g. `5-10m`. */
  estimate?: string
  /** Changes production: asks for confirmation on a terminal (or `--yes`). */
  destructive?: boolean
  /**
   * Reverts the step. Registered once the body has started (a half-done step is undone too), run in
   * reverse order when a later step fails. Gets the same context (its `$` records into the rollback step).
   */
  undo?: (ctx: StepContext) => Promise<void>
  /**
   * The step only reads (outputs, rendered files) and later steps need what it produces: `--from` a
   * later step runs it again instead of skipping it as done. Default false.
   */
  rerunOnResume?: boolean
}

/** What a step body gets. */
export interface StepContext {
  /** zx `$` wired for recording, interruption and dry run. */
  $: RecordingShell
  /** Aborted on Ctrl-C: pass it to checks and API calls. */
  signal: AbortSignal
  dryRun: boolean
  index: number
  title: string
  /** Data the step keeps for its undo and for `--from` resumes (saved in state.json; no secrets). */
  data: Record<string, unknown>
  /** Records an API call (or any action) as a command of the step: `description` is what the report shows. */
  action<T>(description: string, fn: () => Promise<T>): Promise<T>
  /** Runs checks (concurrently, with their retries) and records them in the step; fails the step if any fails. */
  verify(checks: readonly (CheckSpec<any> | string)[], opts?: { concurrency?: number }): Promise<CheckResult[]>
  /** Records a result produced by a check called directly; fails the step if it did not pass (or skip). */
  record(result: CheckResult<any>): CheckResult<any>
  /** Asks a checklist question (yes/no); `--yes` records "confirmed by flag". A "no" fails the step. */
  confirm(question: string): Promise<void>
  /** Asks the operator to type `expected`; there is no flag for it. Returns false when they did not. */
  confirmTyped(question: string, expected: string): Promise<boolean>
  /** Ends the step as skipped, with the reason. */
  skip(reason: string): never
  /** Prints a line under the step (redacted). */
  log(line: string): void
}

export interface Runbook<E extends RunbookEnvironment = RunbookEnvironment> {
  readonly title: string
  readonly name: string
  readonly flags: RunbookFlags
  readonly dryRun: boolean
  /** The opened target: resolved target file, built checks, sandbox variables. */
  readonly env: E
  readonly reportDir: string
  /** The run's signal (aborted on Ctrl-C). */
  readonly signal: AbortSignal
  /** True once a step failed (later steps are not run). */
  readonly failed: boolean
  step<T>(title: string, opts: StepOptions, body: (ctx: StepContext) => Promise<T>): Promise<T | undefined>
  step<T>(title: string, body: (ctx: StepContext) => Promise<T>): Promise<T | undefined>
  /** A step that runs checks (objects or target check ids) and fails if any fails. */
  verify(title: string, checks: readonly (CheckSpec<any> | string)[], opts?: { estimate?: string }): Promise<CheckResult[] | undefined>
  /** A checklist step of yes/no questions. */
  confirm(question: string | string[], title?: string): Promise<void>
  /** A step that checks tools, versions and environment variables, failing with one list of what is missing. */
  preflight(title: string, req: PreflightRequirements): Promise<void>
  /** Checks run again after a rollback, to show the state it left. */
  afterRollback(checks: () => readonly (CheckSpec<any> | string)[]): void
  /** Reads an environment variable that holds a secret and registers it for redaction; undefined when unset. */
  secret(name: string): string | undefined
  /** Registers a secret value the runbook obtained itself (e.g. a sensitive terraform output) for redaction. */
  registerSecret(value: string): void
  /** The target's checks by id (throws ConfigError for unknown ids). */
  checks(ids?: readonly string[]): CheckSpec[]
  /** Writes reports and state.json, notifies, sets the exit code; returns it. Idempotent. */
  finish(): Promise<number>
}
