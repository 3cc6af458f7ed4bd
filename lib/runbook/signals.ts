import { InterruptedError } from '../errors.ts'
import type { RunCore } from './core.ts'
import { rollback } from './rollback.ts'

/**
 * Interruption (SIGINT, SIGTERM): the run's signal is aborted, so the running command is killed and
 * no new command or step starts; the current step records what was interrupted; the undo handlers
 * run only with `--undo-on-interrupt`; then the reports are written and the process exits 130.
 */

/** How long the interrupted step may take to record its killed command before the reports are written, ms. */
export const INTERRUPT_DEFAULTS = Object.freeze({ stepGraceMs: 5000 })

export class Interruption {
  readonly #controller = new AbortController()
  #by: NodeJS.Signals | undefined

  /** The run's signal: aborted by the first interruption. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  get interrupted(): boolean {
    return this.#by !== undefined
  }

  /** The signal that interrupted the run. */
  get by(): NodeJS.Signals | undefined {
    return this.#by
  }

  /** Marks the run interrupted and aborts its signal. False when it already was. */
  interrupt(sig: NodeJS.Signals): boolean {
    if (this.#by) return false
    this.#by = sig
    this.#controller.abort(new InterruptedError(`interrupted by ${sig}`))
    return true
  }
}

/** Installs the SIGINT/SIGTERM handlers of a run, and finishes it before the process exits on its own. */
export function installInterruptHandlers(run: RunCore): void {
  const onSignal = (sig: NodeJS.Signals) => {
    if (!run.interruption.interrupt(sig)) {
      // Second Ctrl-C: stop waiting.
      run.exit(130)
      return
    }
    run.view.print(run.view.c.yellow(`\n${sig}: stopping the current command${run.flags.undoOnInterrupt ? '; undo handlers will run' : '; no undo (use --undo-on-interrupt to run them)'}`))
    void (async () => {
      // Let the current step record its interrupted command (bounded), then report and leave.
      if (run.current) await Promise.race([run.current.catch(() => undefined), new Promise((r) => setTimeout(r, INTERRUPT_DEFAULTS.stepGraceMs).unref())])
      if (run.flags.undoOnInterrupt && !run.dryRun) await rollback(run, `interrupted by ${sig}`, true)
      const code = await run.finish()
      run.exit(code)
    })()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.once('beforeExit', () => {
    if (!run.outcome.finishing) void run.finish()
  })
}
