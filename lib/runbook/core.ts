import type { Redactor } from '../redact.ts'
import type { RunVerdict } from '../report/model.ts'
import type { CheckSpec } from '../runner.ts'
import type { RunbookFlags } from './args.ts'
import type { Journal } from './journal.ts'
import type { NotifyEvent } from './notify.ts'
import type { PromptIo } from './prompt.ts'
import type { StepSelection } from './resume.ts'
import type { UndoRegistry } from './rollback.ts'
import type { InFlight, Interruption } from './signals.ts'
import type { RunbookEnvironment, RunbookOptions } from './types.ts'
import type { RunbookView } from './view.ts'

/**
 * The state of one run, as the engine's parts share it: the settings fixed at start, and one object
 * per concern — what was recorded (journal), which steps run (selection), what to undo (undo), the
 * interruption, and how the run is going (outcome). engine.ts builds it; steps.ts, rollback.ts,
 * signals.ts and finish.ts work on it.
 */
export interface RunCore {
  readonly opts: RunbookOptions
  readonly name: string
  readonly flags: RunbookFlags
  readonly dryRun: boolean
  readonly cwd: string
  /** The environment the run reads variables (and secrets) from: process.env unless given. */
  readonly envVars: Record<string, string | undefined>
  readonly redactor: Redactor
  readonly io: PromptIo
  readonly startedAt: Date
  readonly exit: (code: number) => void
  readonly view: RunbookView
  readonly journal: Journal
  readonly selection: StepSelection
  readonly undo: UndoRegistry
  readonly interruption: Interruption
  readonly outcome: Outcome
  /** Where this run's reports go (absolute). */
  reportDir: string
  /** The target's name, for messages and run ids (the file name until the target is loaded). */
  targetLabel: string
  /** The opened target; undefined until it is open (and when opening it failed). */
  environment: RunbookEnvironment | undefined
  /** What runs now (the start-up, a step body, a rollback), so an interruption can wait for it to record itself. */
  current: InFlight | undefined
  /** The interruption handler (SIGINT, SIGTERM, and Ctrl-C at a prompt call it). */
  readonly onInterrupt: (sig: NodeJS.Signals) => void
  /** The target's checks by id (ConfigError for unknown ids). */
  checksById(ids?: readonly string[]): CheckSpec[]
  /** Sends a notification (not in a dry run); a failure becomes a warning of the run. */
  notify(event: NotifyEvent, text: string): Promise<void>
  /** Ends the run: after an interruption, once its handling (waiting, undo) is done; otherwise now. Once. */
  finish(): Promise<number>
  /** Writes the reports and state.json and closes the environment, now; once. */
  finishNow(): Promise<number>
}

/** How the run is going: what decides its verdict. */
export interface Outcome {
  /** A step failed: later steps are not run. */
  failed: boolean
  /** A step that changes the target has started in this run (not a dry run). */
  changesStarted: boolean
  /** Why the run stopped before it could check anything (recorded in the report's meta.error). */
  fatal: string | undefined
  /** A verdict decided before the end (`config-error`). */
  verdictOverride: RunVerdict | undefined
  /** The run's own warnings (e.g. a notification that was not sent), for the report. */
  warnings: string[]
  /** Set once finishing has started: nothing more is run or recorded. */
  finishing: Promise<number> | undefined
  /** Set while an interruption is handled (waiting for the step, the undo): ends with the run's exit code. */
  stopping: Promise<number> | undefined
}
