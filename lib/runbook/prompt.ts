import { createInterface } from 'node:readline/promises'
import { InterruptedError } from '../errors.ts'

/**
 * Questions to the operator on a terminal: yes/no for destructive steps and checklist items, and a
 * typed confirmation for the really dangerous ones (a database downgrade).
 */

export interface PromptIo {
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream
  /** True when a person can answer (stdin is a terminal). */
  isTTY: boolean
}

export function processIo(): PromptIo {
  return { input: process.stdin, output: process.stderr, isTTY: Boolean(process.stdin.isTTY) }
}

/** Asks `question [y/N]`; true only for y/yes. */
export async function askYesNo(io: PromptIo, question: string, signal?: AbortSignal): Promise<boolean> {
  const answer = await ask(io, `${question} [y/N] `, signal)
  return /^(y|yes)$/i.test(answer.trim())
}

/** Asks the operator to type `expected` exactly; true when they did. */
export async function askTyped(io: PromptIo, question: string, expected: string, signal?: AbortSignal): Promise<boolean> {
  const answer = await ask(io, `${question}\nType "${expected}" to confirm: `, signal)
  return answer.trim() === expected
}

async function ask(io: PromptIo, prompt: string, signal?: AbortSignal): Promise<string> {
  const rl = createInterface({ input: io.input, output: io.output, terminal: io.isTTY })
  try {
    return await rl.question(prompt, signal ? { signal } : {})
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError('interrupted while waiting for an answer', { cause: err })
    throw err
  } finally {
    rl.close()
  }
}
