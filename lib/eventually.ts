import type { Attempt, CheckResult } from './result.ts'

export interface EventuallyOptions {
  /** Overall deadline for all attempts, in ms. */
  timeoutMs: number
  /** Pause between the end of a failed attempt and the start of the next, in ms. Default 1000. */
  intervalMs?: number
  /** Stops retrying (the last result is returned) when aborted. */
  signal?: AbortSignal
  /** Called after each failed attempt that will be retried. */
  onRetry?: (attempt: Attempt, nextInMs: number) => void
}

/**
 * Retries a check until it passes or the deadline passes, recording every attempt. The only place
 * in runbook-kit that polls: checks themselves never loop. `skip` and `error` are not retried:
 * an error means the check could not run (bad configuration), which time does not fix.
 */
export async function eventually<E>(
  attemptOnce: (attempt: number) => Promise<CheckResult<E>>,
  opts: EventuallyOptions,
): Promise<CheckResult<E>> {
  const intervalMs = opts.intervalMs ?? 1000
  const deadline = Date.now() + opts.timeoutMs
  const log: Attempt[] = []
  const firstStart = Date.now()
  const finish = (result: CheckResult<E>, n: number): CheckResult<E> => {
    const final: CheckResult<E> = {
      ...result,
      startedAt: new Date(firstStart).toISOString(),
      durationMs: Date.now() - firstStart,
      attempts: n,
    }
    if (n > 1) {
      final.attemptLog = log
      if (result.status === 'pass') final.message = `${result.message} (passed on attempt ${n})`
      else if (result.status === 'fail') final.message = `${result.message} (still failing after ${n} attempts over ${Math.round((Date.now() - firstStart) / 100) / 10} s)`
    }
    return final
  }
  for (let n = 1; ; n++) {
    const result = await attemptOnce(n)
    log.push({
      attempt: n,
      status: result.status,
      message: result.message,
      startedAt: result.startedAt,
      durationMs: result.durationMs,
    })
    const remaining = deadline - Date.now()
    const done = result.status !== 'fail' || opts.signal?.aborted || remaining <= intervalMs
    if (done) return finish(result, n)
    opts.onRetry?.(log[log.length - 1]!, intervalMs)
    await sleep(intervalMs, opts.signal)
    // Interrupted during the pause: no phantom attempt after it; the last real one is in the message.
    if (opts.signal?.aborted) {
      const final = finish(result, n)
      return { ...final, status: 'error', interrupted: true, message: `interrupted while waiting to retry; attempt ${n}: ${result.message}` }
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
