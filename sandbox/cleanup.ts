import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { InterruptedError } from '../lib/errors.ts'

/**
 * The last line of defence for the sandbox's child processes and temp folders: when the process
 * exits while some still run or exist (process.exit from a hard deadline, a crash), the `exit` hook
 * kills them (SIGKILL) and removes the folders, synchronously. A normal stop (`close()`) has already
 * removed them from these lists.
 */

const children = new Set<ChildProcess>()
const dirs = new Set<string>()
let installed = false

function install(): void {
  if (installed) return
  installed = true
  process.on('exit', () => {
    for (const child of children) {
      try {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      } catch {
        // already gone
      }
    }
    for (const dir of dirs) {
      try {
        rmSync(dir, { recursive: true, force: true })
      } catch {
        // nothing more can be done while exiting
      }
    }
  })
}

/** Kills `child` on exit unless it has exited by then. */
export function trackChild(child: ChildProcess): ChildProcess {
  install()
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** Removes `dir` on exit unless `release` (returned) was called: call it once the folder is removed. */
export function trackDir(dir: string): () => void {
  install()
  dirs.add(dir)
  return () => void dirs.delete(dir)
}

/** Removes a tracked temp folder now. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  dirs.delete(dir)
}

/** The error to throw when a start is aborted: the signal's reason when it is an Error. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError('the sandbox start was interrupted')
}

/** A promise that rejects when `signal` aborts (never settles without one), for racing a wait against it. */
export function whenAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (!signal) return
    if (signal.aborted) return reject(abortReason(signal))
    signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true })
  })
}
