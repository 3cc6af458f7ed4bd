import { createInterface } from 'node:readline'
import { InterruptedError } from '../errors.ts'

/**
 * Questions to the operator on a terminal: yes/no for destructive steps and checklist items, and a
 * typed confirmation for the really dangerous ones (a database downgrade).
 *
 * Ctrl-C at a prompt is an interruption, like SIGINT (the terminal is in raw mode while readline
 * reads, so no signal is sent: `onInterrupt` is called instead), and the prompt line is ended with a
 * newline. The end of the input (Ctrl-D, a closed pipe) is a "no".
 */

export interface PromptIo {
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream
  /** True when a person can answer (stdin is a terminal). */
  isTTY: boolean
}

export interface AskOptions {
  /** Aborting it (a signal from elsewhere) ends the question: InterruptedError. */
  signal?: AbortSignal
  /** Called when the operator presses Ctrl-C at the prompt; the question then ends with InterruptedError. */
  onInterrupt?: () => void
}

export function processIo(): PromptIo {
  return { input: process.stdin, output: process.stderr, isTTY: Boolean(process.stdin.isTTY) }
}

/** Asks `question [y/N]` until the answer is yes or no: true for y/yes, false for n/no, an empty answer or the end of input. */
export async function askYesNo(io: PromptIo, question: string, opts: AskOptions = {}): Promise<boolean> {
  for (;;) {
    const answer = await ask(io, `${question} [y/N] `, opts)
    if (answer === undefined) return false
    const a = answer.trim().toLowerCase()
    if (a === 'y' || a === 'yes') return true
    if (a === 'n' || a === 'no' || a === '') return false
    io.output.write(`Please answer y (yes) or n (no); "${answer.trim()}" is neither.\n`)
  }
}

/** Asks the operator to type `expected` exactly; true when they did. */
export async function askTyped(io: PromptIo, question: string, expected: string, opts: AskOptions = {}): Promise<boolean> {
  const answer = await ask(io, `${question}\nType "${expected}" to confirm: `, opts)
  return answer !== undefined && answer.trim() === expected
}

/** One question; undefined at the end of the input. */
function ask(io: PromptIo, prompt: string, opts: AskOptions): Promise<string | undefined> {
  const { signal } = opts
  if (signal?.aborted) return Promise.reject(new InterruptedError('interrupted before the question was asked'))
  const rl = createInterface({ input: io.input, output: io.output, terminal: io.isTTY })
  return new Promise<string | undefined>((resolve, reject) => {
    let settled = false
    const end = (finish: () => void) => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      finish()
      rl.close()
    }
    // The prompt line stays unterminated otherwise: the next line would be printed after the question.
    const interrupted = (message: string) => () => {
      io.output.write('\n')
      reject(new InterruptedError(message))
    }
    const onAbort = () => end(interrupted('interrupted while waiting for an answer'))
    signal?.addEventListener('abort', onAbort, { once: true })
    rl.on('SIGINT', () => {
      end(interrupted('interrupted at the prompt (Ctrl-C)'))
      opts.onInterrupt?.()
    })
    rl.on('close', () => end(() => resolve(undefined)))
    rl.question(prompt, (answer) => end(() => resolve(answer)))
  })
}
