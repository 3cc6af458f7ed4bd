import { errorMessage } from '../errors.ts'
import type { StepRecord } from '../report/model.ts'
import type { CheckSpec } from '../runner.ts'
import { stepContext } from './context.ts'
import type { RunCore } from './core.ts'
import type { StepContext } from './types.ts'

/**
 * Rollback: the undo handlers registered by the steps that changed the target, run in reverse order
 * (as steps R1, R2, …), then the after-rollback checks (to show the state the rollback left).
 */

export interface UndoEntry {
  stepIndex: number
  title: string
  undo: (ctx: StepContext) => Promise<void>
  /** The step's data (what its undo needs: recorded revisions, touched objects). */
  data: Record<string, unknown>
}

export class UndoRegistry {
  entries: UndoEntry[] = []
  /** Checks run again after a rollback (`rb.afterRollback`). */
  afterChecks: (() => readonly (CheckSpec<any> | string)[]) | undefined

  register(entry: UndoEntry): void {
    this.entries.push(entry)
  }
}

/** Runs the undo handlers in reverse order, then the after-rollback checks. `force`: even with `--no-rollback`. */
export async function rollback(run: RunCore, reason: string, force: boolean): Promise<void> {
  const { undo, journal, view, outcome } = run
  if (run.flags.noRollback && !force) {
    view.emit({ kind: 'warning', message: `--no-rollback: leaving the target as it is (${undo.entries.length} undo handler(s) not run)` })
    return
  }
  // Taken now, so a rollback started while this one runs (Ctrl-C with --undo-on-interrupt) finds nothing left to undo.
  const entries = undo.entries
  undo.entries = []
  if (entries.length === 0) return
  view.emit({ kind: 'rollback', reason, count: entries.length })
  await run.notify('rollback', `${run.opts.title} on ${run.targetLabel}: rolling back (${reason})`)
  // Undo must run even after Ctrl-C: its commands, actions and checks stop only on a second one.
  const signal = run.interruption.hurry
  const savedFailed = outcome.failed
  for (const u of [...entries].reverse()) {
    // An undo points at the step it undoes (CI annotations land on the runbook line of that step).
    const undone = journal.procedureStep(u.stepIndex)
    const record = journal.openRollbackStep(`Undo: ${u.title}`, undone?.file ? { file: undone.file, ...(undone.line ? { line: undone.line } : {}) } : {})
    const started = begin(run, record)
    const ctx = stepContext(run, record, u.data, signal)
    try {
      await u.undo(ctx)
      record.status = run.dryRun ? 'dry-run' : 'pass'
      record.message = `undid step ${u.stepIndex}`
      const orig = journal.procedureStep(u.stepIndex)
      const carried = journal.stateOf.get(u.stepIndex)?.doneIn
      if (orig && !run.dryRun && (orig.status === 'pass' || carried)) {
        orig.status = 'rolled-back'
        orig.message = carried ? `done in run ${carried}, then rolled back by this run (${reason})` : `done, then rolled back (${reason})`
      }
      // Its changes are gone: a resume must run it again.
      if (!run.dryRun && journal.stateOf.get(u.stepIndex)?.status !== 'fail') journal.stateOf.set(u.stepIndex, { status: 'rolled-back' })
    } catch (err) {
      record.status = 'fail'
      record.message = `undo failed: ${errorMessage(err)}`
      if (!run.dryRun) journal.stateOf.set(u.stepIndex, { status: 'undo-failed' })
    }
    end(run, record, started)
  }
  // After an interruption too (with --undo-on-interrupt): the operator asked for the target back, and this shows whether it is.
  if (undo.afterChecks && !signal.aborted) {
    const record = journal.openRollbackStep('Verify the state after rollback')
    const started = begin(run, record)
    const ctx = stepContext(run, record, {}, signal)
    try {
      const checks = undo.afterChecks().map((ch) => (typeof ch === 'string' ? run.checksById([ch])[0]! : ch))
      const results = await ctx.verify(checks.map((s) => ({ ...s, id: `after-rollback.${s.id}` })))
      const bad = results.filter((r) => r.status === 'fail' || r.status === 'error')
      record.status = bad.length ? 'fail' : 'pass'
      record.message = bad.length ? `after rollback: ${bad.map((r) => `${r.id}: ${r.message}`).join('; ')}` : 'the rolled-back state is healthy'
    } catch (err) {
      record.status = 'error'
      record.message = errorMessage(err)
    }
    end(run, record, started)
  }
  outcome.failed = savedFailed
}

function begin(run: RunCore, record: StepRecord): number {
  run.view.emit({ kind: 'step-start', index: 0, label: record.label, title: record.title, dryRun: run.dryRun })
  return Date.now()
}

function end(run: RunCore, record: StepRecord, started: number): void {
  record.durationMs = Date.now() - started
  run.journal.steps.push(record)
  run.view.emit({ kind: 'step-end', step: record })
}
