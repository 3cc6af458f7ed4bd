import { resolve } from 'node:path'
import { ConfigError } from '../errors.ts'
import { matchesStep, type RunbookFlags } from './args.ts'
import { findLatestState, readState, type RunbookState, type StateStep } from './state.ts'

/**
 * Which steps this run runs: all of them, `--only` some, or `--from` one on (the steps before it are
 * carried over from the saved run it resumes, when they are done there).
 */

/** Whether a step runs. `resume`: it comes before the `--from` step (carry it over, or run it again). */
export type Selection = { run: true } | { run: false; reason?: string; resume?: boolean }

/** A step before the `--from` step, carried over from the saved run; or why it cannot be. */
export type CarryOver = { blocker: string } | { status: 'pass' | 'skip'; doneIn: string; message: string; data: Record<string, unknown> }

export class StepSelection {
  readonly #flags: RunbookFlags
  /** The saved run `--from` resumes (loaded by `load()`). */
  previous: RunbookState | undefined
  /** `--from`: the step to resume from has been reached (steps before it are carried over). */
  #fromReached = false

  constructor(flags: RunbookFlags) {
    this.#flags = flags
  }

  /**
   * With `--from`: reads the saved run's state.json, and judges every earlier step it lists now,
   * before anything starts. Throws ConfigError when the resume is refused.
   */
  async load(opts: { cwd: string; name: string; targetLabel: string }): Promise<void> {
    const { from, state } = this.#flags
    if (!from) return
    const dir = state ? resolve(opts.cwd, state) : await findLatestState(resolve(opts.cwd, 'reports'), opts.name, opts.targetLabel)
    if (!dir) throw new ConfigError(`--from ${from}: no earlier run of ${opts.name} for target ${opts.targetLabel} with a state.json under reports/ (give --state DIR)`)
    const previous = (this.previous = await readState(dir))
    // A run that ended normally (passed or failed) recorded every step of the runbook, run or not; an
    // interrupted or refused one may have been cut short, and lists only the steps it reached.
    const complete = previous.verdict === 'passed' || previous.verdict === 'failed'
    const at = previous.steps.find((s) => matchesStep(from, s.index, s.title))
    if (!at && complete) {
      const list = previous.steps.map((s) => `${s.index} ${s.title}`).join('; ')
      throw new ConfigError(`--from ${from}: this runbook has no such step (run ${previous.runId} had ${previous.steps.length}: ${list}); nothing was run`)
    }
    // Every step before it must be done in the saved run: judged now, before anything starts. A step
    // number names them all; a title the saved run never reached leaves them to be judged as reached.
    const before = at ? at.index : /^\d+$/.test(from.trim()) ? Number(from.trim()) : 0
    for (let i = 1; i < before; i++) {
      const prev = previous.steps.find((s) => s.index === i)
      const blocker = resumeBlocker(from, previous.runId, i, prev?.title, prev)
      if (blocker) throw new ConfigError(blocker)
    }
  }

  /** Is this step selected by `--from`/`--only`? */
  select(index: number, title: string): Selection {
    const { only, from } = this.#flags
    if (only.length > 0) {
      return only.some((s) => matchesStep(s, index, title)) ? { run: true } : { run: false, reason: `not selected (--only ${only.join(',')})` }
    }
    if (from && this.previous && !this.#fromReached) {
      if (!matchesStep(from, index, title)) return { run: false, resume: true }
      this.#fromReached = true
    }
    return { run: true }
  }

  /**
   * A step before the `--from` step: carried over from the saved run when it passed there (or was
   * skipped by configuration), with its data; otherwise the reason the resume is refused.
   */
  carryOver(index: number, title: string): CarryOver {
    const from = this.#flags.from!
    const previous = this.previous!
    const prev = previous.steps.find((s) => s.index === index && s.title === title)
    const blocker = resumeBlocker(from, previous.runId, index, title, prev ?? previous.steps.find((s) => s.index === index))
    if (blocker || !prev || (prev.status !== 'pass' && prev.status !== 'skip')) return { blocker: blocker ?? `cannot resume --from ${from}: step ${index} "${title}"` }
    const doneIn = prev.doneIn ?? previous.runId
    const message = prev.status === 'pass' ? `done in run ${doneIn} (resuming --from ${from})` : `skipped in run ${doneIn} (resuming --from ${from})`
    return { status: prev.status, doneIn, message, data: prev.data }
  }

  /** `--only` selectors that name no step of `steps` (the runbook's, as recorded): the configuration error to report. */
  unknownOnly(steps: readonly { index: number; title: string; label?: string; status: string; message: string }[]): string | undefined {
    const procedure = steps.filter((s) => !s.label)
    const unknown = this.#flags.only.filter((sel) => !procedure.some((s) => matchesStep(sel, s.index, s.title)))
    if (unknown.length === 0) return undefined
    const ran = procedure.filter((s) => !/^not (selected|run)\b/.test(s.message)).map((s) => s.index)
    const list = procedure.map((s) => `${s.index} ${s.title}`).join('; ')
    return `--only ${unknown.join(',')}: this runbook has no such step (its steps: ${list}); ${ran.length ? `only step(s) ${ran.join(', ')} ran` : 'nothing was run'}`
  }

  /** When every step was passed over without reaching `--from`: the configuration error to report. */
  unreached(steps: readonly { index: number; title: string; label?: string }[]): string | undefined {
    if (!this.#flags.from || !this.previous || this.#fromReached) return undefined
    const list = steps.filter((s) => !s.label).map((s) => `${s.index} ${s.title}`).join('; ')
    return `--from ${this.#flags.from}: this runbook has no such step (its steps: ${list}); nothing was run`
  }
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
