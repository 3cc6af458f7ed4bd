import { join, resolve } from 'node:path'
import { ConfigError, errorMessage, InterruptedError, InvalidArgumentError, UsageError } from '../errors.ts'
import { redactor as globalRedactor, type Redactor } from '../redact.ts'
import { prepareReportDir } from '../report/folder.ts'
import { detectOperator } from '../report/meta.ts'
import { timed } from '../result.ts'
import type { CheckSpec } from '../runner.ts'
import { parseRunbookArgs, runbookUsage, scriptArgv, type RunbookFlags } from './args.ts'
import type { Outcome, RunCore } from './core.ts'
import { finishRun } from './finish.ts'
import { Journal } from './journal.ts'
import { notify, type NotifyEvent } from './notify.ts'
import { judgePreflight, observeTools } from './preflight.ts'
import { processIo, type PromptIo } from './prompt.ts'
import { StepSelection } from './resume.ts'
import { UndoRegistry } from './rollback.ts'
import { installInterruptHandlers, interruptHandler, Interruption, type InFlight } from './signals.ts'
import { refuse, runStep } from './steps.ts'
import type { Runbook, RunbookEnvironment, RunbookOptions, StepContext, StepOptions } from './types.ts'
import { RunbookView } from './view.ts'
import { colorLevel } from '../terminal.ts'

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

/** Starts a runbook: parses flags, opens the target (sandbox included) and begins the report. */
export async function runbook<E extends RunbookEnvironment>(options: RunbookOptions<E>): Promise<Runbook<E>> {
  if (!options || typeof options.title !== 'string' || options.title.trim() === '') throw new InvalidArgumentError('runbook(): title is required')
  if (typeof options.openEnvironment !== 'function') throw new InvalidArgumentError('runbook(): openEnvironment is required (pass openEnvironment from smoke/environment.ts)')
  const opts = options as unknown as RunbookOptions
  const name = opts.name ?? opts.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  const out = opts.stdout ?? process.stdout
  const redactor = opts.redactor ?? globalRedactor
  const exit = opts.exit ?? ((code: number) => process.exit(code))
  const script = opts.script ?? `runbooks/${name}.mts`
  // One colour rule for every command (lib/terminal.ts): --no-color > NO_COLOR > FORCE_COLOR > a TTY.
  const view = new RunbookView(out, redactor, colorLevel({ ...(opts.color !== undefined ? { color: opts.color } : {}), env: opts.env ?? process.env, stream: out }))

  let flags: RunbookFlags
  try {
    flags = parseRunbookArgs(opts.argv ?? scriptArgv(), opts.options)
  } catch (err) {
    view.print(`${name}: ${errorMessage(err)}\n\n${runbookUsage(script, opts.title, opts.options, opts.faults)}`)
    exit(2)
    throw err
  }
  if (flags.noColor) view.useColor(0)
  if (flags.help) {
    view.print(runbookUsage(script, opts.title, opts.options, opts.faults))
    exit(0)
    throw new UsageError('help shown')
  }
  const engine = new Engine(opts, name, flags, redactor, view, exit)
  await engine.open()
  return engine.api() as Runbook<E>
}

/** The run behind the `Runbook` handle: the settings, and one object per concern (see RunCore). */
class Engine implements RunCore {
  readonly opts: RunbookOptions
  readonly name: string
  readonly flags: RunbookFlags
  readonly dryRun: boolean
  readonly cwd: string
  readonly envVars: Record<string, string | undefined>
  readonly redactor: Redactor
  readonly io: PromptIo
  readonly startedAt = new Date()
  readonly exit: (code: number) => void
  readonly view: RunbookView
  readonly journal = new Journal()
  readonly selection: StepSelection
  readonly undo = new UndoRegistry()
  readonly interruption = new Interruption()
  readonly outcome: Outcome = { failed: false, changesStarted: false, fatal: undefined, verdictOverride: undefined, warnings: [], finishing: undefined, stopping: undefined }
  reportDir = ''
  targetLabel: string
  environment: RunbookEnvironment | undefined
  current: InFlight | undefined
  readonly onInterrupt: (sig: NodeJS.Signals) => void
  #notifyUrl: string | undefined

  constructor(opts: RunbookOptions, name: string, flags: RunbookFlags, redactor: Redactor, view: RunbookView, exit: (code: number) => void) {
    this.opts = opts
    this.name = name
    this.flags = flags
    this.dryRun = flags.dryRun
    this.cwd = opts.cwd ?? process.cwd()
    this.envVars = opts.env ?? process.env
    this.redactor = redactor
    this.io = opts.io ?? processIo()
    this.exit = exit
    this.view = view
    this.selection = new StepSelection(flags)
    this.targetLabel = (flags.target ?? opts.target ?? '').replace(/^.*[\\/]/, '').replace(/\.ya?ml$/i, '')
    this.onInterrupt = interruptHandler(this)
  }

  /**
   * Proves the report folder writable, installs the interruption handlers, refuses what cannot run,
   * reads the state to resume, opens the target (a signal meanwhile stops it) and prints the header.
   */
  async open(): Promise<void> {
    const target = this.flags.target ?? this.opts.target
    const stamp = this.startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
    this.reportDir = resolve(this.cwd, this.flags.reportDir ?? join('reports', `${this.name}-${this.targetLabel || 'target'}-${stamp}`))
    // Before anything runs or starts: a report folder that cannot be written is a usage error (exit 2).
    // No report can be written there, so none is; the message says why.
    try {
      await prepareReportDir(this.reportDir)
    } catch (err) {
      this.view.emit({ kind: 'error', message: `${this.name}: ${errorMessage(err)}; nothing was run` })
      this.exit(2)
      throw err
    }
    // Before the target opens: a signal while the sandbox starts is an interruption like any other.
    if (this.opts.installHandlers !== false) installInterruptHandlers(this, this.onInterrupt)
    if (!target) return refuse(this, '--target is required (a name from smoke/targets/ or a path to a target file)')
    // Refuse before anything is started or changed when nobody can answer the questions.
    if (!this.dryRun && !this.flags.yes && !this.io.isTTY && this.opts.needsConfirmation !== false) {
      return refuse(this, 'refusing to start: this runbook has destructive steps and checklist confirmations, and stdin is not a terminal. Re-run with --yes to confirm them by flag, or with --dry-run to see the plan.')
    }
    try {
      await this.selection.load({ cwd: this.cwd, name: this.name, targetLabel: this.targetLabel })
      const opening = this.opts.openEnvironment({ target, cwd: this.cwd, reportDir: this.reportDir, faults: this.flags.faults, env: this.envVars, redactor: this.redactor, signal: this.interruption.signal })
      this.current = { what: 'start', promise: opening }
      this.environment = await opening
      this.targetLabel = this.environment.loaded.name
      this.#notifyUrl = this.opts.notifyUrl?.(this.environment)
      if (this.#notifyUrl) this.redactor.add(this.#notifyUrl)
    } catch (err) {
      if (this.interruption.interrupted) return this.stopInterrupted()
      return refuse(this, errorMessage(err))
    } finally {
      this.current = undefined
    }
    if (this.interruption.interrupted) return this.stopInterrupted()
    this.view.emit({ kind: 'begin', title: this.opts.title, target: this.targetLabel, dryRun: this.dryRun, reportDir: this.reportDir, faults: this.environment.faults })
    await this.notify('start', `${this.opts.title} started on ${this.targetLabel} by ${detectOperator(this.envVars as NodeJS.ProcessEnv)}${this.dryRun ? ' (dry run)' : ''}`)
  }

  /** Interrupted before the first step: the report (verdict interrupted), the environment closed, exit 130. */
  async stopInterrupted(): Promise<never> {
    const code = await this.finish()
    this.exit(code)
    throw new InterruptedError(`interrupted by ${this.interruption.by ?? 'a signal'} before the first step`)
  }

  checksById(ids?: readonly string[]): CheckSpec[] {
    const all = this.environment?.checks ?? []
    if (!ids) return [...all]
    const unknown = ids.filter((id) => !all.some((c) => c.id === id))
    if (unknown.length > 0) throw new ConfigError(`unknown check id(s) ${unknown.join(', ')} (the target has: ${all.map((c) => c.id).join(', ')})`, { file: this.environment?.loaded.file })
    return ids.map((id) => all.find((c) => c.id === id)!)
  }

  async notify(event: NotifyEvent, text: string): Promise<void> {
    if (!this.#notifyUrl || this.dryRun) return
    // A second Ctrl-C does not wait for the chat server.
    const warning = await notify(event, text, { url: this.#notifyUrl, redactor: this.redactor, signal: this.interruption.hurry })
    if (warning) {
      this.outcome.warnings.push(warning)
      this.view.emit({ kind: 'warning', message: warning })
    }
  }

  finish(): Promise<number> {
    // The runbook's own rb.finish() after an interruption waits for the undo the handler runs.
    return this.outcome.stopping ?? this.finishNow()
  }

  finishNow(): Promise<number> {
    this.outcome.finishing ??= finishRun(this)
    return this.outcome.finishing
  }

  api(): Runbook {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this
    const step = (title: string, opts: StepOptions, body: (ctx: StepContext) => Promise<unknown>) => runStep(this, title, opts, body)
    return {
      title: this.opts.title,
      name: this.name,
      flags: this.flags,
      dryRun: this.dryRun,
      get env() {
        return self.environment!
      },
      reportDir: this.reportDir,
      signal: this.interruption.signal,
      get failed() {
        return self.outcome.failed
      },
      step: ((title: string, a: StepOptions | ((ctx: StepContext) => Promise<unknown>), b?: (ctx: StepContext) => Promise<unknown>) =>
        typeof a === 'function' ? step(title, {}, a) : step(title, a, b!)) as Runbook['step'],
      verify: (title, checks, opts) => runStep(this, title, opts ?? {}, (ctx) => ctx.verify(checks)),
      confirm: async (question, title) => {
        const qs = Array.isArray(question) ? question : [question]
        await step(title ?? (qs.length === 1 ? `Confirm: ${qs[0]}` : 'Checklist'), {}, async (ctx) => {
          for (const q of qs) await ctx.confirm(q)
        })
      },
      preflight: async (title, req) => {
        await step(title, {}, async (ctx) => {
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
        this.undo.afterChecks = f
      },
      secret: (name) => {
        const v = this.envVars[name] || this.environment?.vars[name]
        if (v) {
          this.redactor.add(v)
          this.redactor.addUrlCredentials(v)
        }
        return v || undefined
      },
      registerSecret: (value) => {
        this.redactor.add(value)
        this.redactor.addUrlCredentials(value)
      },
      checks: (ids) => this.checksById(ids),
      finish: () => this.finish(),
    }
  }
}
