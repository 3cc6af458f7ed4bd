import { ConfigError, errorMessage, InvalidArgumentError, UsageError } from '../errors.ts'
import type { StepRecord } from '../report/model.ts'
import { addConfirmation, askOptions, DeclinedError, stepContext, StepSkipped } from './context.ts'
import type { RunCore } from './core.ts'
import { askYesNo } from './prompt.ts'
import type { Selection } from './resume.ts'
import { rollback } from './rollback.ts'
import type { StepContext, StepOptions } from './types.ts'
import { callerLocation } from '../report/location.ts'

/**
 * One step: selected or passed over, confirmed when destructive, its body run and judged (pass,
 * fail, error, skip, interrupted), recorded, and — when it failed — the rollback started.
 */

/** Programming errors (not failures of the target): shown as `error`. */
function isBug(err: unknown): boolean {
  return err instanceof TypeError || err instanceof ReferenceError || err instanceof SyntaxError
}

export async function runStep<T>(run: RunCore, title: string, opts: StepOptions, body: (ctx: StepContext) => Promise<T>): Promise<T | undefined> {
  const { journal, outcome, interruption, view } = run
  // The reports are being written (Ctrl-C): nothing more is run or recorded.
  if (outcome.finishing) return undefined
  // Where the runbook called rb.step() (taken before any await, while the caller is on the stack): for CI annotations.
  const at = callerLocation(new Error().stack, run.cwd)
  const { record, data } = journal.openStep(title, opts, at)
  const { index } = record

  const sel: Selection = interruption.interrupted || outcome.failed ? { run: false } : run.selection.select(index, title)
  if (!sel.run && !(sel.resume && opts.rerunOnResume)) {
    if (sel.resume) {
      await carryOver(run, record, opts, data)
    } else {
      record.message = interruption.interrupted ? 'not run: the run was interrupted' : outcome.failed ? 'not run: an earlier step failed' : sel.reason!
      journal.stateOf.set(index, { status: 'not-run' })
    }
    journal.steps.push(record)
    view.emit({ kind: 'step-end', step: record })
    return undefined
  }

  view.emit({ kind: 'step-start', index, title, estimate: opts.estimate, destructive: opts.destructive, dryRun: run.dryRun })
  const started = Date.now()
  const ctx = stepContext(run, record, data)
  const p = execute(run, record, opts, () => body(ctx)).finally(() => (record.durationMs = Date.now() - started))
  run.current = { what: 'step', promise: p }
  const value = await p
  run.current = undefined
  journal.stateOf.set(index, { status: record.status })
  journal.steps.push(record)
  view.emit({ kind: 'step-end', step: record })
  if ((record.status === 'fail' || record.status === 'error') && !interruption.interrupted) {
    outcome.failed = true
    if (outcome.verdictOverride !== 'config-error') {
      // A Ctrl-C during the rollback lets it finish (a second one stops it): it is restoring the target.
      const undoing = rollback(run, `step ${index} "${title}" failed: ${record.message}`, false)
      run.current = { what: 'rollback', promise: undoing }
      await undoing
      run.current = undefined
    }
  }
  return value
}

/** Confirms (destructive steps), registers the undo, runs the body and judges how it ended. */
async function execute<T>(run: RunCore, record: StepRecord, opts: StepOptions, body: () => Promise<T>): Promise<T | undefined> {
  const { index, title } = record
  const { journal, outcome, interruption } = run
  try {
    if (opts.destructive && !run.dryRun) {
      const question = `Run destructive step "${title}"?`
      if (run.flags.yes) addConfirmation(run, record, question, 'confirmed by flag', 'yes')
      else if (await askYesNo(run.io, `Step ${index} "${title}" changes the target. Proceed?`, askOptions(run, interruption.signal))) addConfirmation(run, record, question, 'yes', 'yes')
      else {
        addConfirmation(run, record, question, 'no', 'no')
        throw new DeclinedError(`operator declined destructive step "${title}"`)
      }
    }
    if (opts.undo) run.undo.register({ stepIndex: index, title, undo: opts.undo, data: journal.data.get(index)! })
    if ((opts.destructive || opts.undo) && !run.dryRun) outcome.changesStarted = true
    const value = await body()
    const failedChecks = journal.failedChecks(record)
    const why = failedChecks.map((r) => `${r.id}: ${r.message}`).join('; ')
    if (failedChecks.length > 0 && interruption.interrupted) {
      record.status = 'error'
      record.interrupted = true
      record.message = `interrupted: ${why}`
    } else if (failedChecks.length > 0) {
      record.status = 'fail'
      record.message = why
    } else {
      record.status = run.dryRun ? 'dry-run' : 'pass'
      record.message = run.dryRun ? 'dry run: commands printed, API calls server-side dry run' : 'done'
    }
    return value
  } catch (err) {
    if (err instanceof StepSkipped) {
      record.status = 'skip'
      record.message = err.message
    } else if (interruption.interrupted) {
      record.status = 'error'
      record.interrupted = true
      record.message = `interrupted: ${errorMessage(err)}`
    } else if (err instanceof ConfigError) {
      record.status = 'error'
      record.message = `configuration error: ${errorMessage(err)}`
      // Found before this run changed anything: a configuration error (exit 2), nothing to roll back.
      if (!outcome.changesStarted) {
        outcome.verdictOverride = 'config-error'
        outcome.fatal = record.message
      }
    } else if (err instanceof InvalidArgumentError || (!(err instanceof DeclinedError) && isBug(err))) {
      record.status = 'error'
      record.message = `step crashed: ${errorMessage(err)}`
    } else {
      record.status = 'fail'
      record.message = errorMessage(err)
    }
    return undefined
  }
}

/**
 * A step before the `--from` step: carried over from the saved run when it passed there (or was
 * skipped by configuration), keeping its data and its undo; otherwise the resume is refused (exit 2).
 */
async function carryOver(run: RunCore, record: StepRecord, opts: StepOptions, data: Record<string, unknown>): Promise<void> {
  const { index, title } = record
  const c = run.selection.carryOver(index, title)
  if ('blocker' in c) {
    record.message = 'not run: the resume was refused'
    run.journal.stateOf.set(index, { status: 'not-run' })
    run.journal.steps.push(record)
    return refuse(run, c.blocker)
  }
  record.message = c.message
  run.journal.stateOf.set(index, { status: c.status, doneIn: c.doneIn })
  Object.assign(data, c.data)
  // Its changes are in place: a failure after resuming must still undo them.
  if (c.status === 'pass' && opts.undo) run.undo.register({ stepIndex: index, title, undo: opts.undo, data })
}

/** Ends the run before any (further) step: report with verdict config-error, exit 2. */
export async function refuse(run: RunCore, reason: string): Promise<never> {
  run.outcome.fatal = reason
  run.outcome.verdictOverride = 'config-error'
  run.view.emit({ kind: 'error', message: `${run.name}: ${reason}` })
  const code = await run.finish()
  run.exit(code)
  throw new UsageError(reason)
}
