import { errorMessage, InterruptedError } from '../errors.ts'
import { detectOperator } from '../report/meta.ts'
import type { CommandRecord, StepRecord } from '../report/model.ts'
import { runChecks } from '../runner.ts'
import type { RunCore } from './core.ts'
import { askTyped, askYesNo, type AskOptions } from './prompt.ts'
import { createRecordingShell } from './shell.ts'
import type { StepContext } from './types.ts'
import type { ConfirmationMark } from './view.ts'

/**
 * What a step body (or an undo handler) gets: a recording `$`, recorded actions and checks, the
 * operator's confirmations. Everything it does is recorded into the step's record.
 */

/** Thrown by `ctx.skip()` and caught by the engine. */
export class StepSkipped extends Error {}

/** The operator said no. */
export class DeclinedError extends Error {}

/** Records an answer to a question (a confirmation) in the step and prints it: confirmed, declined or not asked. */
export function addConfirmation(run: RunCore, record: StepRecord, question: string, answer: string, mark: ConfirmationMark): void {
  const by = detectOperator(run.envVars as NodeJS.ProcessEnv)
  ;(record.confirmations ??= []).push({ question, answer, by, at: new Date().toISOString() })
  run.view.emit({ kind: 'confirmation', question, answer, by, mark })
}

/** How a question is asked at the prompt: Ctrl-C there interrupts the run like SIGINT. */
export function askOptions(run: RunCore, signal: AbortSignal): AskOptions {
  return { signal, onInterrupt: () => run.onInterrupt('SIGINT') }
}

/**
 * The context of the step `record`. `signal` is what its commands, actions and checks stop on: the
 * run's (aborted by Ctrl-C), or for an undo handler the hurry signal (aborted only by a second one),
 * so `--undo-on-interrupt` can still act after the run was interrupted.
 */
export function stepContext(run: RunCore, record: StepRecord, data: Record<string, unknown>, signal: AbortSignal = run.interruption.signal): StepContext {
  const onRecord = (r: CommandRecord) => {
    record.commands.push(r)
    run.view.emit({ kind: 'command-end', record: r })
  }
  const $ = createRecordingShell({
    dryRun: run.dryRun,
    signal,
    redactor: run.redactor,
    onStart: (command, dryRun) => run.view.emit({ kind: 'command', command, dryRun }),
    onRecord,
    zx: { cwd: run.cwd, env: { ...process.env, ...run.envVars } as NodeJS.ProcessEnv },
  })
  const ctx: StepContext = {
    $,
    signal,
    dryRun: run.dryRun,
    index: record.index,
    title: record.title,
    data,
    action: async <T>(description: string, fn: () => Promise<T>): Promise<T> => {
      if (signal.aborted) throw new InterruptedError('not starting a new action: the run was interrupted')
      const command = run.redactor.redact(description + (run.dryRun ? ' (server-side dry run)' : ''))
      run.view.emit({ kind: 'command', command, dryRun: run.dryRun })
      const started = Date.now()
      try {
        const value = await fn()
        onRecord({ command, exitCode: 0, durationMs: Date.now() - started, ...(run.dryRun ? { dryRun: true } : {}) })
        return value
      } catch (err) {
        onRecord({ command, exitCode: 1, durationMs: Date.now() - started, stderrTail: run.redactor.redact(errorMessage(err)) })
        throw err
      }
    },
    verify: async (checks, vopts) => {
      const specs = checks.map((ch) => (typeof ch === 'string' ? run.checksById([ch])[0]! : ch))
      const outcome = await runChecks(specs, { signal, concurrency: vopts?.concurrency ?? run.environment?.target.concurrency })
      return outcome.results.map((r) => ctx.record(r))
    },
    record: (result) => {
      const r = run.journal.addResult(record, result)
      run.view.emit({ kind: 'check', result: r })
      return r
    },
    confirm: async (question) => {
      // A dry run changes nothing, so it asks nothing: the plan shows the question instead.
      if (run.dryRun) {
        addConfirmation(run, record, question, 'not asked (dry run)', 'not-asked')
        return
      }
      if (run.flags.yes) {
        addConfirmation(run, record, question, 'confirmed by flag', 'yes')
        return
      }
      const yes = await askYesNo(run.io, question, askOptions(run, signal))
      addConfirmation(run, record, question, yes ? 'yes' : 'no', yes ? 'yes' : 'no')
      if (!yes) throw new DeclinedError(`checklist item not confirmed: ${question}`)
    },
    confirmTyped: async (question, expected) => {
      // The plan goes on as if it were typed: a dry run only prints what would run.
      if (run.dryRun) {
        addConfirmation(run, record, question, 'not asked (dry run)', 'not-asked')
        return true
      }
      if (!run.io.isTTY) {
        addConfirmation(run, record, question, 'not confirmed (no terminal to type the confirmation)', 'no')
        return false
      }
      const ok = await askTyped(run.io, question, expected, askOptions(run, signal))
      addConfirmation(run, record, question, ok ? `typed "${expected}"` : 'not confirmed (typed text did not match)', ok ? 'yes' : 'no')
      return ok
    },
    skip: (reason) => {
      throw new StepSkipped(reason)
    },
    log: (line) => run.view.emit({ kind: 'log', text: line }),
  }
  return ctx
}
