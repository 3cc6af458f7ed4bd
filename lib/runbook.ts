import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Chalk } from 'chalk'
import { ConfigError, errorMessage, InterruptedError, InvalidArgumentError, UsageError } from './errors.ts'
import { redactor as globalRedactor, type Redactor } from './redact.ts'
import { countTestCases } from './report/counts.ts'
import { buildMeta, writeReports, type WrittenReports } from './report/index.ts'
import { callerLocation } from './report/location.ts'
import type { CommandRecord, RunReport, RunVerdict, StepRecord } from './report/model.ts'
import { summarize, type CheckResult } from './result.ts'
import { matchesStep, parseRunbookArgs, runbookUsage, scriptArgv, type RunbookFlags, type RunbookOptionSpec } from './runbook-args.ts'
import { notify, type NotifyEvent } from './runbook-notify.ts'
import { judgePreflight, observeTools, type PreflightRequirements } from './runbook-preflight.ts'
import { askTyped, askYesNo, processIo, type PromptIo } from './runbook-prompt.ts'
import { createRecordingShell, type RecordingShell } from './runbook-shell.ts'
import { findLatestState, readState, STATE_SCHEMA_VERSION, writeState, type RunbookState, type StateStep, type StateStepStatus } from './runbook-state.ts'
import { runChecks, type CheckSpec } from './runner.ts'
import { chalkFor, closingLine } from './terminal.ts'
import { timed } from './result.ts'
import { detectOperator } from './report/meta.ts'

/**
 * The runbook engine. Runbooks stay plain zx scripts with top-level await; the engine gives them
 * numbered, timed, recorded steps, verification through the runner, confirmations, rollback,
 * resume, interruption and the same reports as the smoke suite.
 *
 *   const rb = await runbook({ title: 'Deploy', name: 'deploy', openEnvironment })   // from smoke/environment.ts
 *   await rb.step('Apply manifests', { estimate: '1m', destructive: true, undo: async (ctx) => ... }, async (ctx) => {
 *     await ctx.$`kubectl apply -f ${file}`
 *   })
 *   await rb.verify('Smoke suite', ['health', 'tls'])
 *   await rb.finish()
 */

/**
 * What the engine needs of an opened target. `openEnvironment` in smoke/environment.ts returns one
 * (with more: the resolved target file, sandbox variables); runbooks pass that function in, so that
 * lib/ does not import smoke/ (DESIGN.md: imports point runbooks/, smoke/ → checks/ → lib/).
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
}

export interface RunbookOptions<E extends RunbookEnvironment = RunbookEnvironment> {
  /** Human title, printed and used as the report heading. */
  title: string
  /** Short name for reports and run ids (`deploy`). Default: slug of the title. */
  name?: string
  /**
   * Opens the target named by `--target` (loads and validates it, starts the sandbox for sandbox
   * targets, builds its checks). Required: runbooks pass `openEnvironment` from smoke/environment.ts,
   * optionally wrapped to start extra sandbox pieces.
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
  /** Colours: `false` never, `true` always (`--no-color` still wins). Default: `colorLevel` (NO_COLOR, FORCE_COLOR, a TTY). */
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

export type RunbookEvent =
  | { kind: 'begin'; title: string; target: string; dryRun: boolean; reportDir: string; faults: string[] }
  | { kind: 'step-start'; index: number; label?: string; title: string; estimate?: string; destructive?: boolean; dryRun: boolean }
  | { kind: 'command'; command: string; dryRun: boolean }
  | { kind: 'command-end'; record: CommandRecord }
  | { kind: 'check'; result: CheckResult }
  | { kind: 'confirmation'; question: string; answer: string; by: string }
  | { kind: 'log'; text: string }
  | { kind: 'step-end'; step: StepRecord }
  | { kind: 'rollback'; reason: string; count: number }
  | { kind: 'warning'; message: string }
  | { kind: 'end'; verdict: RunVerdict; exitCode: number; line: string; reports?: WrittenReports }

/** Thrown by `ctx.skip()` and caught by the engine. */
class StepSkipped extends Error {}

const EXIT: Record<RunVerdict, number> = { passed: 0, failed: 1, 'config-error': 2, interrupted: 130 }

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
  /** The target's checks by id (throws ConfigError for unknown ids). */
  checks(ids?: readonly string[]): CheckSpec[]
  /** Writes reports and state.json, notifies, sets the exit code; returns it. Idempotent. */
  finish(): Promise<number>
}

interface UndoEntry {
  stepIndex: number
  title: string
  undo: (ctx: StepContext) => Promise<void>
  data: Record<string, unknown>
}

/** Starts a runbook: parses flags, opens the target (sandbox included) and begins the report. */
export async function runbook<E extends RunbookEnvironment>(options: RunbookOptions<E>): Promise<Runbook<E>> {
  if (!options || typeof options.title !== 'string' || options.title.trim() === '') throw new InvalidArgumentError('runbook(): title is required')
  if (typeof options.openEnvironment !== 'function') throw new InvalidArgumentError('runbook(): openEnvironment is required (pass openEnvironment from smoke/environment.ts)')
  const name = options.name ?? options.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  const cwd = options.cwd ?? process.cwd()
  const out = options.stdout ?? process.stdout
  const redactor = options.redactor ?? globalRedactor
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const script = options.script ?? `runbooks/${name}.mts`
  const print = (text: string) => out.write(redactor.redact(text) + '\n')

  let flags: RunbookFlags
  try {
    flags = parseRunbookArgs(options.argv ?? scriptArgv(), options.options)
  } catch (err) {
    print(`${name}: ${errorMessage(err)}\n\n${runbookUsage(script, options.title, options.options, options.faults)}`)
    exit(2)
    throw err
  }
  if (flags.help) {
    print(runbookUsage(script, options.title, options.options, options.faults))
    exit(0)
    throw new UsageError('help shown')
  }
  // One colour rule for every command (lib/terminal.ts): --no-color > NO_COLOR > FORCE_COLOR > a TTY.
  const c = chalkFor({ color: flags.noColor ? false : options.color, env: options.env ?? process.env, stream: out })
  const engine = new Engine(options as unknown as RunbookOptions, name, flags, cwd, redactor, print, c, exit)
  await engine.open()
  return engine.api() as Runbook<E>
}

/** The engine state behind the `Runbook` handle. */
class Engine {
  readonly opts: RunbookOptions
  readonly name: string
  readonly flags: RunbookFlags
  readonly cwd: string
  readonly redactor: Redactor
  readonly print: (text: string) => void
  readonly c: InstanceType<typeof Chalk>
  readonly exit: (code: number) => void
  readonly io: PromptIo
  readonly envVars: Record<string, string | undefined>
  readonly startedAt = new Date()
  readonly controller = new AbortController()
  reportDir = ''
  environment: RunbookEnvironment | undefined
  steps: StepRecord[] = []
  stepData = new Map<number, Record<string, unknown>>()
  results: CheckResult[] = []
  undos: UndoEntry[] = []
  warnings: string[] = []
  rollbackChecks: (() => readonly (CheckSpec<any> | string)[]) | undefined
  failed = false
  interrupted = false
  fatal: string | undefined
  verdictOverride: RunVerdict | undefined
  previous: RunbookState | undefined
  /** Procedure step numbers; rollback steps are labelled R1, R2… and do not consume them. */
  stepCounter = 0
  rollbackCounter = 0
  /** What each procedure step's changes are, for state.json (see StateStepStatus). */
  stateOf = new Map<number, { status: StateStepStatus; doneIn?: string }>()
  /** `--from`: the step to resume from has been reached (steps before it are carried over). */
  fromReached = false
  /** A step that changes the target has started in this run (not a dry run). */
  changesStarted = false
  current: Promise<unknown> | undefined
  finishing: Promise<number> | undefined
  notifyUrl: string | undefined
  targetLabel: string

  constructor(opts: RunbookOptions, name: string, flags: RunbookFlags, cwd: string, redactor: Redactor, print: (t: string) => void, c: InstanceType<typeof Chalk>, exit: (code: number) => void) {
    this.opts = opts
    this.name = name
    this.flags = flags
    this.cwd = cwd
    this.redactor = redactor
    this.print = print
    this.c = c
    this.exit = exit
    this.io = opts.io ?? processIo()
    this.envVars = opts.env ?? process.env
    this.targetLabel = (flags.target ?? opts.target ?? '').replace(/^.*[\\/]/, '').replace(/\.ya?ml$/i, '')
  }

  get dryRun(): boolean {
    return this.flags.dryRun
  }

  emit(e: RunbookEvent): void {
    const text = FORMAT[e.kind](e as never, this)
    if (text !== undefined) this.print(text)
  }

  /** Ends the run before any step: report with verdict config-error, exit 2. */
  async refuse(reason: string): Promise<never> {
    this.fatal = reason
    this.verdictOverride = 'config-error'
    this.print(this.c.red(`${this.name}: ${reason}`))
    const code = await this.finish()
    this.exit(code)
    throw new UsageError(reason)
  }

  async open(): Promise<void> {
    const target = this.flags.target ?? this.opts.target
    const stamp = this.startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
    this.reportDir = resolve(this.cwd, this.flags.reportDir ?? join('reports', `${this.name}-${this.targetLabel || 'target'}-${stamp}`))
    if (!target) return this.refuse('--target is required (a name from smoke/targets/ or a path to a target file)')
    // Refuse before anything is started or changed when nobody can answer the questions.
    if (!this.dryRun && !this.flags.yes && !this.io.isTTY && this.opts.needsConfirmation !== false) {
      return this.refuse('refusing to start: this runbook has destructive steps and checklist confirmations, and stdin is not a terminal. Re-run with --yes to confirm them by flag, or with --dry-run to see the plan.')
    }
    try {
      if (this.flags.from) {
        const dir = this.flags.state ? resolve(this.cwd, this.flags.state) : await findLatestState(resolve(this.cwd, 'reports'), this.name, this.targetLabel)
        if (!dir) throw new ConfigError(`--from ${this.flags.from}: no earlier run of ${this.name} for target ${this.targetLabel} with a state.json under reports/ (give --state DIR)`)
        this.previous = await readState(dir)
        // When the saved run lists the step, every earlier one can be judged now, before anything starts;
        // otherwise (a run cut short) each earlier step is judged as the runbook reaches it.
        const at = this.previous.steps.find((s) => matchesStep(this.flags.from!, s.index, s.title))
        if (at) {
          for (let i = 1; i < at.index; i++) {
            const prev = this.previous.steps.find((s) => s.index === i)
            const blocker = resumeBlocker(this.flags.from, this.previous.runId, i, prev?.title, prev)
            if (blocker) throw new ConfigError(blocker)
          }
        }
      }
      this.environment = await this.opts.openEnvironment({
        target,
        cwd: this.cwd,
        reportDir: this.reportDir,
        faults: this.flags.faults,
        env: this.envVars,
        redactor: this.redactor,
      })
      this.targetLabel = this.environment.loaded.name
      this.notifyUrl = this.opts.notifyUrl?.(this.environment)
      if (this.notifyUrl) this.redactor.add(this.notifyUrl)
    } catch (err) {
      return this.refuse(errorMessage(err))
    }
    if (this.opts.installHandlers !== false) this.installHandlers()
    this.emit({ kind: 'begin', title: this.opts.title, target: this.targetLabel, dryRun: this.dryRun, reportDir: this.reportDir, faults: this.environment.faults })
    await this.sendNotification('start', `${this.opts.title} started on ${this.targetLabel} by ${detectOperator(this.envVars as NodeJS.ProcessEnv)}${this.dryRun ? ' (dry run)' : ''}`)
  }

  installHandlers(): void {
    const onSignal = (sig: NodeJS.Signals) => {
      if (this.interrupted) {
        // Second Ctrl-C: stop waiting.
        this.exit(130)
        return
      }
      this.interrupted = true
      this.print(this.c.yellow(`\n${sig}: stopping the current command${this.flags.undoOnInterrupt ? '; undo handlers will run' : '; no undo (use --undo-on-interrupt to run them)'}`))
      this.controller.abort(new InterruptedError(`interrupted by ${sig}`))
      void (async () => {
        // Let the current step record its interrupted command (bounded), then report and leave.
        if (this.current) await Promise.race([this.current.catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())])
        if (this.flags.undoOnInterrupt && !this.dryRun) await this.rollback(`interrupted by ${sig}`, true)
        const code = await this.finish()
        this.exit(code)
      })()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    process.once('beforeExit', () => {
      if (!this.finishing) void this.finish()
    })
  }

  api(): Runbook {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this
    return {
      title: this.opts.title,
      name: this.name,
      flags: this.flags,
      dryRun: this.dryRun,
      get env() {
        return self.environment!
      },
      reportDir: this.reportDir,
      signal: this.controller.signal,
      get failed() {
        return self.failed
      },
      step: ((title: string, a: StepOptions | ((ctx: StepContext) => Promise<unknown>), b?: (ctx: StepContext) => Promise<unknown>) =>
        typeof a === 'function' ? this.step(title, {}, a) : this.step(title, a, b!)) as Runbook['step'],
      verify: (title, checks, opts) => this.step(title, opts ?? {}, (ctx) => ctx.verify(checks)),
      confirm: async (question, title) => {
        const qs = Array.isArray(question) ? question : [question]
        await this.step(title ?? (qs.length === 1 ? `Confirm: ${qs[0]}` : 'Checklist'), {}, async (ctx) => {
          for (const q of qs) await ctx.confirm(q)
        })
      },
      preflight: async (title, req) => {
        await this.step(title, {}, async (ctx) => {
          const result = await timed({ id: `preflight.${ctx.index}`, title, kind: 'preflight' }, async () => {
            // The sandbox provides its own secrets (e.g. WEBHOOK_SECRET) as variables; the environment wins.
            const vars = { ...this.environment?.vars, ...this.envVars }
            for (const n of req.env ?? []) this.redactor.add(vars[n])
            const tools = await observeTools(req.tools ?? [], { signal: ctx.signal, env: this.envVars as NodeJS.ProcessEnv })
            return judgePreflight(req, tools, vars)
          })
          ctx.record(result)
        })
      },
      afterRollback: (f) => {
        this.rollbackChecks = f
      },
      secret: (name) => {
        const v = this.envVars[name] || this.environment?.vars[name]
        if (v) {
          this.redactor.add(v)
          this.redactor.addUrlCredentials(v)
        }
        return v || undefined
      },
      checks: (ids) => this.checksById(ids),
      finish: () => this.finish(),
    }
  }

  checksById(ids?: readonly string[]): CheckSpec[] {
    const all = this.environment?.checks ?? []
    if (!ids) return [...all]
    const unknown = ids.filter((id) => !all.some((c) => c.id === id))
    if (unknown.length > 0) throw new ConfigError(`unknown check id(s) ${unknown.join(', ')} (the target has: ${all.map((c) => c.id).join(', ')})`, { file: this.environment?.loaded.file })
    return ids.map((id) => all.find((c) => c.id === id)!)
  }

  /** Is this step selected by --from/--only? `resume`: it comes before the `--from` step. */
  selected(index: number, title: string): { run: boolean; reason?: string; resume?: boolean } {
    if (this.flags.only.length > 0) {
      return this.flags.only.some((s) => matchesStep(s, index, title)) ? { run: true } : { run: false, reason: `not selected (--only ${this.flags.only.join(',')})` }
    }
    if (this.flags.from && this.previous && !this.fromReached) {
      if (!matchesStep(this.flags.from, index, title)) return { run: false, resume: true }
      this.fromReached = true
    }
    return { run: true }
  }

  /**
   * A step before the `--from` step: carried over from the saved run when it passed there (or was
   * skipped by configuration), keeping its data and its undo; otherwise the resume is refused (exit 2).
   */
  async carryOver(record: StepRecord, opts: StepOptions, data: Record<string, unknown>): Promise<void> {
    const previous = this.previous!
    const { index, title } = record
    const prev = previous.steps.find((s) => s.index === index && s.title === title)
    const blocker = resumeBlocker(this.flags.from!, previous.runId, index, title, prev ?? previous.steps.find((s) => s.index === index))
    if (blocker) {
      record.message = 'not run: the resume was refused'
      this.stateOf.set(index, { status: 'not-run' })
      this.steps.push(record)
      await this.refuse(blocker)
    }
    const doneIn = prev!.doneIn ?? previous.runId
    record.message = prev!.status === 'pass' ? `done in run ${doneIn} (resuming --from ${this.flags.from})` : `skipped in run ${doneIn} (resuming --from ${this.flags.from})`
    this.stateOf.set(index, { status: prev!.status, doneIn })
    Object.assign(data, prev!.data)
    // Its changes are in place: a failure after resuming must still undo them.
    if (prev!.status === 'pass' && opts.undo) this.undos.push({ stepIndex: index, title, undo: opts.undo, data })
  }

  async step<T>(title: string, opts: StepOptions, body: (ctx: StepContext) => Promise<T>): Promise<T | undefined> {
    // The reports are being written (Ctrl-C): nothing more is run or recorded.
    if (this.finishing) return undefined
    const index = ++this.stepCounter
    // Where the runbook called rb.step() (taken before any await, while the caller is on the stack): for CI annotations.
    const at = callerLocation(new Error().stack, this.cwd)
    const record: StepRecord = { index, title, status: 'skip', message: '', startedAt: new Date().toISOString(), durationMs: 0, commands: [], checks: [], ...at }
    if (opts.estimate) record.estimate = opts.estimate
    if (opts.destructive) record.destructive = true
    const data: Record<string, unknown> = {}
    this.stepData.set(index, data)

    const sel = this.interrupted || this.failed ? { run: false } : this.selected(index, title)
    if (!sel.run && !(sel.resume && opts.rerunOnResume)) {
      if (sel.resume) {
        await this.carryOver(record, opts, data)
      } else {
        record.message = this.interrupted ? 'not run: the run was interrupted' : this.failed ? 'not run: an earlier step failed' : sel.reason!
        this.stateOf.set(index, { status: 'not-run' })
      }
      this.steps.push(record)
      this.emit({ kind: 'step-end', step: record })
      return undefined
    }

    this.emit({ kind: 'step-start', index, title, estimate: opts.estimate, destructive: opts.destructive, dryRun: this.dryRun })
    const started = Date.now()
    const ctx = this.context(record, data)
    const run = async (): Promise<T | undefined> => {
      try {
        if (opts.destructive && !this.dryRun) {
          if (this.flags.yes) this.addConfirmation(record, `Run destructive step "${title}"?`, 'confirmed by flag')
          else if (!(await askYesNo(this.io, `Step ${index} "${title}" changes the target. Proceed?`, this.controller.signal))) throw new DeclinedError(`operator declined destructive step "${title}"`)
          else this.addConfirmation(record, `Run destructive step "${title}"?`, 'yes')
        }
        if (opts.undo) this.undos.push({ stepIndex: index, title, undo: opts.undo, data })
        if ((opts.destructive || opts.undo) && !this.dryRun) this.changesStarted = true
        const value = await body(ctx)
        const failedChecks = record.checks.map((id) => this.results.find((r) => r.id === id)).filter((r) => r && (r.status === 'fail' || r.status === 'error'))
        if (failedChecks.length > 0 && this.interrupted) {
          record.status = 'error'
          record.interrupted = true
          record.message = `interrupted: ${failedChecks.map((r) => `${r!.id}: ${r!.message}`).join('; ')}`
        } else if (failedChecks.length > 0) {
          record.status = 'fail'
          record.message = failedChecks.map((r) => `${r!.id}: ${r!.message}`).join('; ')
        } else {
          record.status = this.dryRun ? 'dry-run' : 'pass'
          record.message = this.dryRun ? 'dry run: commands printed, API calls server-side dry run' : 'done'
        }
        return value
      } catch (err) {
        if (err instanceof StepSkipped) {
          record.status = 'skip'
          record.message = err.message
          return undefined
        }
        if (this.interrupted) {
          record.status = 'error'
          record.interrupted = true
          record.message = `interrupted: ${errorMessage(err)}`
        } else if (err instanceof ConfigError) {
          record.status = 'error'
          record.message = `configuration error: ${errorMessage(err)}`
          // Found before this run changed anything: a configuration error (exit 2), nothing to roll back.
          if (!this.changesStarted) {
            this.verdictOverride = 'config-error'
            this.fatal = record.message
          }
        } else if (err instanceof InvalidArgumentError || (!(err instanceof DeclinedError) && isBug(err))) {
          record.status = 'error'
          record.message = `step crashed: ${errorMessage(err)}`
        } else {
          record.status = 'fail'
          record.message = errorMessage(err)
        }
        return undefined
      } finally {
        record.durationMs = Date.now() - started
      }
    }
    const p = run()
    this.current = p
    const value = await p
    this.current = undefined
    this.stateOf.set(index, { status: record.status })
    this.steps.push(record)
    this.emit({ kind: 'step-end', step: record })
    if ((record.status === 'fail' || record.status === 'error') && !this.interrupted) {
      this.failed = true
      if (this.verdictOverride !== 'config-error') await this.rollback(`step ${index} "${title}" failed: ${record.message}`, false)
    }
    return value
  }

  addConfirmation(record: StepRecord, question: string, answer: string): void {
    const by = detectOperator(this.envVars as NodeJS.ProcessEnv)
    ;(record.confirmations ??= []).push({ question, answer, by, at: new Date().toISOString() })
    this.emit({ kind: 'confirmation', question, answer, by })
  }

  context(record: StepRecord, data: Record<string, unknown>): StepContext {
    const signal = this.controller.signal
    const onRecord = (r: CommandRecord) => {
      record.commands.push(r)
      this.emit({ kind: 'command-end', record: r })
    }
    const $ = createRecordingShell({
      dryRun: this.dryRun,
      signal,
      redactor: this.redactor,
      onStart: (command, dryRun) => this.emit({ kind: 'command', command, dryRun }),
      onRecord,
      zx: { cwd: this.cwd, env: { ...process.env, ...this.envVars } as NodeJS.ProcessEnv },
    })
    const ctx: StepContext = {
      $,
      signal,
      dryRun: this.dryRun,
      index: record.index,
      title: record.title,
      data,
      action: async <T>(description: string, fn: () => Promise<T>): Promise<T> => {
        if (signal.aborted) throw new InterruptedError('not starting a new action: the run was interrupted')
        const command = this.redactor.redact(description + (this.dryRun ? ' (server-side dry run)' : ''))
        this.emit({ kind: 'command', command, dryRun: this.dryRun })
        const started = Date.now()
        try {
          const value = await fn()
          onRecord({ command, exitCode: 0, durationMs: Date.now() - started, ...(this.dryRun ? { dryRun: true } : {}) })
          return value
        } catch (err) {
          onRecord({ command, exitCode: 1, durationMs: Date.now() - started, stderrTail: this.redactor.redact(errorMessage(err)) })
          throw err
        }
      },
      verify: async (checks, vopts) => {
        const specs = checks.map((ch) => (typeof ch === 'string' ? this.checksById([ch])[0]! : ch))
        const outcome = await runChecks(specs, { signal, concurrency: vopts?.concurrency ?? this.environment?.target.concurrency, onEvent: (e) => (e.kind === 'finish' ? undefined : undefined) })
        return outcome.results.map((r) => ctx.record(r))
      },
      record: (result) => {
        const r = { ...result, id: this.uniqueId(result.id) }
        this.results.push(r)
        record.checks.push(r.id)
        this.emit({ kind: 'check', result: r })
        return r
      },
      confirm: async (question) => {
        if (this.dryRun && !this.flags.yes && !this.io.isTTY) {
          this.addConfirmation(record, question, 'not asked (dry run)')
          return
        }
        if (this.flags.yes) {
          this.addConfirmation(record, question, 'confirmed by flag')
          return
        }
        const yes = await askYesNo(this.io, question, signal)
        this.addConfirmation(record, question, yes ? 'yes' : 'no')
        if (!yes) throw new DeclinedError(`checklist item not confirmed: ${question}`)
      },
      confirmTyped: async (question, expected) => {
        if (!this.io.isTTY) {
          this.addConfirmation(record, question, 'not confirmed (no terminal to type the confirmation)')
          return false
        }
        const ok = await askTyped(this.io, question, expected, signal)
        this.addConfirmation(record, question, ok ? `typed "${expected}"` : 'not confirmed (typed text did not match)')
        return ok
      },
      skip: (reason) => {
        throw new StepSkipped(reason)
      },
      log: (line) => this.emit({ kind: 'log', text: line }),
    }
    return ctx
  }

  uniqueId(id: string): string {
    if (!this.results.some((r) => r.id === id)) return id
    for (let n = 2; ; n++) if (!this.results.some((r) => r.id === `${id}.${n}`)) return `${id}.${n}`
  }

  /** Undo handlers in reverse order, then the after-rollback checks. */
  async rollback(reason: string, force: boolean): Promise<void> {
    if (this.flags.noRollback && !force) {
      this.emit({ kind: 'warning', message: `--no-rollback: leaving the target as it is (${this.undos.length} undo handler(s) not run)` })
      return
    }
    if (this.undos.length === 0) return
    this.emit({ kind: 'rollback', reason, count: this.undos.length })
    await this.sendNotification('rollback', `${this.opts.title} on ${this.targetLabel}: rolling back (${reason})`)
    // Undo must run even after Ctrl-C when asked to: it gets a fresh signal of its own.
    const undoController = new AbortController()
    const savedFailed = this.failed
    for (const u of [...this.undos].reverse()) {
      const label = `R${++this.rollbackCounter}`
      const undone = this.steps.find((s) => !s.label && s.index === u.stepIndex)
      const at = undone?.file ? { file: undone.file, ...(undone.line ? { line: undone.line } : {}) } : {}
      const record: StepRecord = { index: 0, label, title: `Undo: ${u.title}`, status: 'pass', message: '', startedAt: new Date().toISOString(), durationMs: 0, commands: [], checks: [], ...at }
      this.emit({ kind: 'step-start', index: 0, label, title: record.title, dryRun: this.dryRun })
      const started = Date.now()
      const ctx = this.context(record, u.data)
      const bound: StepContext = { ...ctx, signal: undoController.signal }
      try {
        await u.undo(bound)
        record.status = this.dryRun ? 'dry-run' : 'pass'
        record.message = `undid step ${u.stepIndex}`
        const orig = this.steps.find((s) => !s.label && s.index === u.stepIndex)
        const carried = this.stateOf.get(u.stepIndex)?.doneIn
        if (orig && !this.dryRun && (orig.status === 'pass' || carried)) {
          orig.status = 'rolled-back'
          orig.message = carried ? `done in run ${carried}, then rolled back by this run (${reason})` : `done, then rolled back (${reason})`
        }
        // Its changes are gone: a resume must run it again.
        if (!this.dryRun && this.stateOf.get(u.stepIndex)?.status !== 'fail') this.stateOf.set(u.stepIndex, { status: 'rolled-back' })
      } catch (err) {
        record.status = 'fail'
        record.message = `undo failed: ${errorMessage(err)}`
        if (!this.dryRun) this.stateOf.set(u.stepIndex, { status: 'undo-failed' })
      }
      record.durationMs = Date.now() - started
      this.steps.push(record)
      this.emit({ kind: 'step-end', step: record })
    }
    this.undos = []
    if (this.rollbackChecks && !this.controller.signal.aborted) {
      const label = `R${++this.rollbackCounter}`
      const record: StepRecord = { index: 0, label, title: 'Verify the state after rollback', status: 'pass', message: '', startedAt: new Date().toISOString(), durationMs: 0, commands: [], checks: [] }
      this.emit({ kind: 'step-start', index: 0, label, title: record.title, dryRun: this.dryRun })
      const started = Date.now()
      const ctx = this.context(record, {})
      try {
        const checks = this.rollbackChecks().map((ch) => (typeof ch === 'string' ? this.checksById([ch])[0]! : ch))
        const results = await ctx.verify(checks.map((s) => ({ ...s, id: `after-rollback.${s.id}` })))
        const bad = results.filter((r) => r.status === 'fail' || r.status === 'error')
        record.status = bad.length ? 'fail' : 'pass'
        record.message = bad.length ? `after rollback: ${bad.map((r) => `${r.id}: ${r.message}`).join('; ')}` : 'the rolled-back state is healthy'
      } catch (err) {
        record.status = 'error'
        record.message = errorMessage(err)
      }
      record.durationMs = Date.now() - started
      this.steps.push(record)
      this.emit({ kind: 'step-end', step: record })
    }
    this.failed = savedFailed
  }

  async sendNotification(event: NotifyEvent, text: string): Promise<void> {
    if (!this.notifyUrl || this.dryRun) return
    const warning = await notify(event, text, { url: this.notifyUrl, redactor: this.redactor })
    if (warning) {
      this.warnings.push(warning)
      this.emit({ kind: 'warning', message: warning })
    }
  }

  finish(): Promise<number> {
    this.finishing ??= this.doFinish()
    return this.finishing
  }

  async doFinish(): Promise<number> {
    // One snapshot for the counts, the reports and state.json (steps reached while finishing are not recorded).
    const steps = [...this.steps]
    const results = [...this.results]
    if (this.flags.from && this.previous && !this.fromReached && !this.failed && !this.interrupted && !this.verdictOverride) {
      // Every step was passed over: the runbook has no such step.
      const list = steps.filter((s) => !s.label).map((s) => `${s.index} ${s.title}`).join('; ')
      this.fatal = `--from ${this.flags.from}: this runbook has no such step (its steps: ${list}); nothing was run`
      this.verdictOverride = 'config-error'
      this.print(this.c.red(`${this.name}: ${this.fatal}`))
    }
    const summary = summarize(results)
    const stepFailed = steps.some((s) => s.status === 'fail' || s.status === 'error')
    const verdict: RunVerdict = this.verdictOverride ?? (this.interrupted ? 'interrupted' : stepFailed || summary.fail + summary.error > 0 ? 'failed' : 'passed')
    const exitCode = EXIT[verdict]
    // Counted like junit.xml and report.md count them: a test case per check and per step.
    const counts = countTestCases({ meta: { verdict }, results, steps })
    if (verdict !== 'config-error') {
      const text = `${this.opts.title} on ${this.targetLabel}: ${verdict}${this.dryRun ? ' (dry run)' : ''} — ${closingLine(counts)}`
      await this.sendNotification(verdict === 'passed' ? 'success' : verdict === 'interrupted' ? 'interrupted' : 'failure', text)
    }
    const finishedAt = new Date()
    const meta = buildMeta({
      kind: 'runbook',
      suite: this.name,
      target: this.environment?.target.name ?? this.targetLabel ?? 'unknown',
      ...(this.environment ? { targetFile: this.environment.loaded.file } : {}),
      startedAt: this.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - this.startedAt.getTime(),
      command: this.redactor.redact(['npx zx', this.opts.script ?? `runbooks/${this.name}.mts`, ...(this.opts.argv ?? scriptArgv())].join(' ')),
      verdict,
      exitCode,
      ...(this.fatal ? { error: this.redactor.redact(this.fatal) } : {}),
      ...(this.environment?.faults.length ? { faults: this.environment.faults } : {}),
    })
    if (this.warnings.length) meta.warnings = this.warnings.map((w) => this.redactor.redact(w))
    const report: RunReport = { schemaVersion: 1, meta, summary, results, steps }
    let reports: WrittenReports | undefined
    try {
      await mkdir(this.reportDir, { recursive: true })
      reports = await writeReports(this.reportDir, report, this.redactor, process.env, { cwd: this.cwd })
      const state: RunbookState = {
        schemaVersion: STATE_SCHEMA_VERSION,
        runbook: this.name,
        target: this.targetLabel,
        runId: meta.runId,
        finishedAt: meta.finishedAt,
        verdict,
        steps: steps.filter((s) => !s.label).map((s): StateStep => {
          const st = this.stateOf.get(s.index) ?? { status: s.status }
          return { index: s.index, title: s.title, status: st.status, ...(st.doneIn ? { doneIn: st.doneIn } : {}), data: this.stepData.get(s.index) ?? {} }
        }),
      }
      if (this.previous) state.resumedFrom = this.previous.runId
      await writeState(this.reportDir, this.redactor.redactDeep(state))
    } catch (err) {
      this.print(this.c.red(`could not write reports to ${this.reportDir}: ${errorMessage(err)}`))
    }
    this.emit({ kind: 'end', verdict, exitCode, line: closingLine(counts), reports })
    await this.environment?.close().catch(() => undefined)
    process.exitCode = exitCode
    return exitCode
  }
}

/** The operator said no. */
class DeclinedError extends Error {}

/** Programming errors (not failures of the target): shown as `error`. */
function isBug(err: unknown): boolean {
  return err instanceof TypeError || err instanceof ReferenceError || err instanceof SyntaxError
}

type Formatters = { [K in RunbookEvent['kind']]: (e: Extract<RunbookEvent, { kind: K }>, engine: Engine) => string | undefined }

const STEP_SYMBOL: Record<StepRecord['status'], string> = { pass: '✓', fail: '✗', error: '!', skip: '-', 'rolled-back': '↩', 'dry-run': '○' }

const FORMAT: Formatters = {
  begin: (e, { c }) =>
    c.bold(`${e.title} — target ${e.target}${e.dryRun ? ' — DRY RUN (nothing will be changed)' : ''}`) + (e.faults.length ? c.yellow(`\nsandbox faults: ${e.faults.join(', ')}`) : '') + c.gray(`\nreports: ${e.reportDir}`),
  'step-start': (e, { c }) => '\n' + c.bold.cyan(`[${e.label ?? e.index}] ${e.title}`) + c.gray(`${e.estimate ? ` (estimate ${e.estimate})` : ''}${e.destructive ? ' [destructive]' : ''}`),
  command: (e, { c }) => c.gray(`    ${e.dryRun ? 'would run' : '$'} ${e.command}`),
  'command-end': (e, { c }) => (e.record.dryRun ? undefined : e.record.exitCode === 0 ? undefined : c.red(`    exit ${e.record.exitCode ?? 'killed'} after ${e.record.durationMs} ms${e.record.stderrTail ? `\n      ${e.record.stderrTail.split('\n').join('\n      ')}` : ''}`)),
  check: (e, { c }) => {
    const col = { pass: c.green, fail: c.red, error: c.magenta, skip: c.gray }[e.result.status]
    return `    ${col(e.result.status.toUpperCase().padEnd(5))} ${e.result.id}: ${e.result.title}${e.result.status === 'pass' ? '' : `\n          ${col(e.result.message)}`}`
  },
  confirmation: (e, { c }) => c.gray(`    ☑ ${e.question} — ${e.answer} (${e.by})`),
  log: (e) => `    ${e.text}`,
  'step-end': (e, { c }) => {
    const s = e.step
    const n = s.label ?? s.index
    if (s.interrupted) return c.yellow(`  ⚠ ${n}. ${s.title}: interrupted (${s.durationMs} ms)${s.message ? ` — ${s.message}` : ''}`)
    const col = s.status === 'pass' || s.status === 'dry-run' ? c.green : s.status === 'skip' ? c.gray : s.status === 'rolled-back' ? c.yellow : c.red
    return col(`  ${STEP_SYMBOL[s.status]} ${n}. ${s.title}: ${s.status} (${s.durationMs} ms)${s.message && s.status !== 'pass' ? ` — ${s.message}` : ''}`)
  },
  rollback: (e, { c }) => c.yellow.bold(`\n↩ Rolling back ${e.count} step(s): ${e.reason}`),
  warning: (e, { c }) => c.yellow(`warning: ${e.message}`),
  end: (e, { c }) => {
    const col = e.exitCode === 0 ? c.green : e.exitCode === 130 ? c.yellow : c.red
    const paths = e.reports ? `\nreports: ${e.reports.markdown}\n         ${e.reports.junit}\n         ${e.reports.json}` : ''
    return '\n' + col(`${e.verdict.toUpperCase()}: ${e.line}`) + paths
  },
}

/**
 * Why `--from` cannot pass over step `index` of the saved run `runId` (undefined when it can): only a
 * step that passed there, or was skipped by configuration, is done. A failed, rolled-back, dry-run or
 * never-run step must run again.
 */
export function resumeBlocker(from: string, runId: string, index: number, title: string | undefined, prev: Pick<StateStep, 'title' | 'status'> | undefined): string | undefined {
  const head = `cannot resume --from ${from}: step ${index}${title ? ` "${title}"` : ''}`
  const again = `so it must run again: resume from step ${index} or earlier`
  if (!prev) return `${head} did not run in run ${runId}, ${again}`
  if (title !== undefined && prev.title !== title) return `${head} was "${prev.title}" in run ${runId}: the procedure changed since, so resume from step ${index} or earlier`
  switch (prev.status) {
    case 'pass':
    case 'skip':
      return undefined
    case 'rolled-back':
      return `${head} was rolled back in run ${runId} (its changes were undone), ${again}`
    case 'undo-failed':
      return `${head} was being rolled back in run ${runId} and its undo failed, so its state is unknown: check it by hand, then resume from step ${index} or earlier`
    case 'dry-run':
      return `${head} was only a dry run in run ${runId}, ${again}`
    case 'not-run':
      return `${head} did not run in run ${runId}, ${again}`
    case 'fail':
      return `${head} failed in run ${runId}, ${again}`
    case 'error':
      return `${head} ended with an error in run ${runId}, ${again}`
    default: {
      const never: never = prev.status
      return `${head} has status ${String(never)} in run ${runId}, ${again}`
    }
  }
}
