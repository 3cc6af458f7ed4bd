import { InterruptedError } from '../errors.ts'
import type { RunCore } from './core.ts'
import { rollback } from './rollback.ts'

/**
 * Interruption (SIGINT, SIGTERM, Ctrl-C at a prompt). The handlers are installed before the target
 * opens, so a signal while the sandbox starts is handled too.
 *
 * First signal: the run's signal is aborted (the running command is killed, a starting sandbox stops
 * what it started, no new command or step starts); the engine waits for what is running to record
 * itself (a step at most `stepGraceMs`; the start-up and a rollback until they end); the undo handlers
 * run only with `--undo-on-interrupt`; then the reports and state.json are written, the environment is
 * closed (every sandbox child stopped, temp folders removed) and the process exits 130.
 * Second signal: stop waiting (the step, the start-up, an undo): the reports are still written and the
 * environment closed; if that takes longer than `hardDeadlineMs` the process leaves anyway, and the
 * sandbox's exit hook kills its children. Further signals change nothing.
 */

export const INTERRUPT_DEFAULTS = Object.freeze({
  /** How long the interrupted step may take to record its killed command before the reports are written, ms. */
  stepGraceMs: 5000,
  /** After a second signal, how long writing the reports and stopping the environment may take, ms. */
  hardDeadlineMs: 10_000,
})

/** What the engine is doing that an interruption waits for. */
export interface InFlight {
  what: 'start' | 'step' | 'rollback'
  promise: Promise<unknown>
}

export class Interruption {
  readonly #controller = new AbortController()
  readonly #hurry = new AbortController()
  #by: NodeJS.Signals | undefined
  #count = 0

  /** The run's signal: aborted by the first interruption. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** Aborted by the second interruption: stop waiting (undo handlers get it as their signal). */
  get hurry(): AbortSignal {
    return this.#hurry.signal
  }

  get interrupted(): boolean {
    return this.#by !== undefined
  }

  /** The signal that interrupted the run. */
  get by(): NodeJS.Signals | undefined {
    return this.#by
  }

  /** Counts an interruption; the first aborts the run's signal, the second the hurry signal. Returns how many there were. */
  interrupt(sig: NodeJS.Signals): number {
    this.#count++
    if (this.#count === 1) {
      this.#by = sig
      this.#controller.abort(new InterruptedError(`interrupted by ${sig}`))
    } else if (this.#count === 2) {
      this.#hurry.abort(new InterruptedError(`interrupted twice (${sig})`))
    }
    return this.#count
  }
}

/**
 * The interruption handler of a run (what SIGINT, SIGTERM and Ctrl-C at a prompt call). Installed on
 * the process unless `installHandlers: false`; it also finishes the run before the process exits on
 * its own.
 */
export function interruptHandler(run: RunCore): (sig: NodeJS.Signals) => void {
  const { interruption, view } = run
  const say = (text: string) => view.print(view.c.yellow(text))
  return (sig) => {
    const n = interruption.interrupt(sig)
    if (n === 1) {
      const what = run.current?.what
      if (what === 'start') say(`\n${sig}: stopping the start-up (what started is stopped); the report says the run was interrupted. ${sig === 'SIGINT' ? 'Ctrl-C' : sig} again stops waiting.`)
      else say(`\n${sig}: stopping the current command${run.flags.undoOnInterrupt ? '; undo handlers will run' : '; no undo (use --undo-on-interrupt to run them)'}; then the reports are written. ${sig === 'SIGINT' ? 'Ctrl-C' : sig} again stops waiting.`)
      run.outcome.stopping ??= (async () => {
        await settle(run)
        if (run.flags.undoOnInterrupt && !run.dryRun && !interruption.hurry.aborted) await rollback(run, `interrupted by ${sig}`, true)
        return run.finishNow()
      })()
      void run.outcome.stopping.then((code) => run.exit(code))
    } else if (n === 2) {
      const s = Math.round(INTERRUPT_DEFAULTS.hardDeadlineMs / 1000)
      say(`\n${sig} again: not waiting any longer; writing the reports and stopping the environment (leaving within ${s} s).`)
      setTimeout(() => {
        say(`could not finish within ${s} s: leaving now (the sandbox's processes are killed on the way out)`)
        run.exit(130)
      }, INTERRUPT_DEFAULTS.hardDeadlineMs).unref()
    } else {
      say(`${sig}: already stopping (the reports are being written).`)
    }
  }
}

/** Installs `handler` for SIGINT and SIGTERM, and finishes the run before the process exits on its own. */
export function installInterruptHandlers(run: RunCore, handler: (sig: NodeJS.Signals) => void): void {
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  process.once('beforeExit', () => {
    if (!run.outcome.finishing && !run.outcome.stopping) void run.finish()
  })
}

/** Waits for what is in flight: a step at most stepGraceMs, the start-up and a rollback until they end; all until the hurry signal. */
async function settle(run: RunCore): Promise<void> {
  const current = run.current
  const hurry = run.interruption.hurry
  if (!current || hurry.aborted) return
  const waits: Promise<unknown>[] = [current.promise.catch(() => undefined), new Promise((r) => hurry.addEventListener('abort', r, { once: true }))]
  if (current.what === 'step') waits.push(new Promise((r) => setTimeout(r, INTERRUPT_DEFAULTS.stepGraceMs).unref()))
  await Promise.race(waits)
}
