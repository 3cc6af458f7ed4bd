import { eventually } from './eventually.ts'
import { ConfigError, errorMessage, InterruptedError, InvalidArgumentError, TimeoutError } from './errors.ts'
import type { Attempt, CheckResult } from './result.ts'

/** A check ready to run: identity plus a function that observes and judges. */
export interface CheckSpec<E = Record<string, unknown>> {
  /** Stable slug, unique within a run. */
  id: string
  title: string
  /** Kind of check (`http`, `tls`, ...), used in JUnit classnames. */
  kind: string
  /**
   * Runs the check once. Must honour `signal` (timeout or interrupt); `deadline` (epoch ms) is when
   * the attempt's timeout fires, for clients to cap their phases against (lib/deadline.ts).
   */
  run: (signal: AbortSignal, deadline?: number) => Promise<CheckResult<E>>
  /** Per-attempt timeout in ms; overrides the runner's default. */
  timeoutMs?: number
  /** Retry a failing check until it passes or `timeoutMs` passes. */
  eventually?: { timeoutMs: number; intervalMs?: number }
  /** When set, the check is not run and is reported as skipped with this reason. */
  skip?: string
}

export type RunnerEvent =
  | { kind: 'start'; id: string; title: string; checkKind: string; attempt: number }
  | { kind: 'retry'; id: string; title: string; attempt: Attempt; nextInMs: number }
  | { kind: 'finish'; result: CheckResult }

export interface RunOptions {
  /** Maximum checks in flight. Default 50 (checks wait on the network, not the CPU). */
  concurrency?: number
  /** Default per-attempt timeout in ms. Default 30000. */
  timeoutMs?: number
  /** Aborting it stops in-flight checks and marks them (and queued ones) as interrupted. */
  signal?: AbortSignal
  onEvent?: (event: RunnerEvent) => void
}

export interface RunOutcome {
  /** In the order the checks were given, whatever order they finished in. */
  results: CheckResult[]
  interrupted: boolean
  startedAt: string
  finishedAt: string
  durationMs: number
}

export const RUNNER_DEFAULTS = Object.freeze({ concurrency: 50, timeoutMs: 30_000 })

/** Runs checks concurrently (bounded), each with its own timeout and optional retries. Never throws for a check's sake. */
export async function runChecks(specs: readonly CheckSpec<any>[], options: RunOptions = {}): Promise<RunOutcome> {
  const opts = {
    ...options,
    concurrency: options.concurrency ?? RUNNER_DEFAULTS.concurrency,
    timeoutMs: options.timeoutMs ?? RUNNER_DEFAULTS.timeoutMs,
  }
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${opts.concurrency}`)
  const seen = new Set<string>()
  for (const s of specs) {
    if (seen.has(s.id)) throw new RangeError(`duplicate check id "${s.id}"`)
    seen.add(s.id)
  }
  const started = Date.now()
  const results: (CheckResult | undefined)[] = new Array(specs.length)
  const emit = (e: RunnerEvent) => {
    try {
      opts.onEvent?.(e)
    } catch {
      // a broken display must not break the run
    }
  }
  let next = 0
  const worker = async () => {
    while (next < specs.length && !opts.signal?.aborted) {
      const index = next++
      const spec = specs[index]!
      const result = await runOne(spec, opts.timeoutMs, opts.signal, emit)
      results[index] = result
      emit({ kind: 'finish', result })
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, specs.length) }, worker))
  const interrupted = Boolean(opts.signal?.aborted)
  const now = new Date().toISOString()
  const final = specs.map((spec, i) => {
    const r = results[i]
    if (r) return r
    const queued: CheckResult = {
      id: spec.id,
      title: spec.title,
      kind: spec.kind,
      status: 'skip',
      message: 'not run: the run was interrupted',
      evidence: {},
      startedAt: now,
      durationMs: 0,
      attempts: 0,
      interrupted: true,
    }
    emit({ kind: 'finish', result: queued })
    return queued
  })
  return {
    results: final,
    interrupted,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
  }
}

async function runOne(spec: CheckSpec<any>, defaultTimeoutMs: number, runSignal: AbortSignal | undefined, emit: (e: RunnerEvent) => void): Promise<CheckResult> {
  if (spec.skip !== undefined) {
    return { id: spec.id, title: spec.title, kind: spec.kind, status: 'skip', message: spec.skip, evidence: {}, startedAt: new Date().toISOString(), durationMs: 0, attempts: 0 }
  }
  const timeoutMs = spec.timeoutMs ?? defaultTimeoutMs
  const attemptOnce = async (attempt: number): Promise<CheckResult> => {
    emit({ kind: 'start', id: spec.id, title: spec.title, checkKind: spec.kind, attempt })
    return attemptWithTimeout(spec, timeoutMs, runSignal)
  }
  const result = spec.eventually
    ? await eventually(attemptOnce, {
        timeoutMs: spec.eventually.timeoutMs,
        intervalMs: spec.eventually.intervalMs,
        signal: runSignal,
        onRetry: (attempt, nextInMs) => emit({ kind: 'retry', id: spec.id, title: spec.title, attempt, nextInMs }),
      })
    : await attemptOnce(1)
  return { ...result, id: spec.id, title: spec.title, kind: result.kind ?? spec.kind }
}

/**
 * After an attempt's deadline, how long the runner still waits for the check's own result before
 * stopping it: clients cap their phases just inside the deadline, so the check normally reports the
 * phase that hung ("headers timed out after 900 ms"); on a loaded machine its timer may fire in the
 * same tick as the runner's, and this grace lets its account win over a bare "timed out".
 */
export const DEADLINE_GRACE_MS = 250

const interruptions = new WeakMap<AbortSignal, Promise<'interrupted'>>()
const never = new Promise<never>(() => {})

/** One promise per run signal (not one listener per check: 50 in flight would trip MaxListeners). */
function interruption(signal: AbortSignal | undefined): Promise<'interrupted'> {
  if (!signal) return never
  let p = interruptions.get(signal)
  if (!p) {
    p = new Promise<'interrupted'>((resolve) => {
      // An already-aborted signal never fires 'abort' again.
      if (signal.aborted) resolve('interrupted')
      else signal.addEventListener('abort', () => resolve('interrupted'), { once: true })
    })
    interruptions.set(signal, p)
  }
  return p
}

/** One attempt, bounded by its timeout (plus DEADLINE_GRACE_MS) even if the check ignores its signal. */
async function attemptWithTimeout(spec: CheckSpec<any>, timeoutMs: number, runSignal: AbortSignal | undefined): Promise<CheckResult> {
  const started = Date.now()
  const deadline = started + timeoutMs
  const stop = new AbortController()
  const signal = runSignal ? AbortSignal.any([runSignal, stop.signal]) : stop.signal
  const base = { id: spec.id, title: spec.title, kind: spec.kind, startedAt: new Date(started).toISOString(), attempts: 1 }
  const timers: NodeJS.Timeout[] = []
  const after = (ms: number) => new Promise<'timeout'>((resolve) => timers.push(setTimeout(() => resolve('timeout'), ms)))
  const interrupted = interruption(runSignal)
  const running = Promise.resolve()
    .then(() => spec.run(signal, deadline))
    .then((r) => ({ r }), (e: unknown) => ({ e }))
  let timedOut = false
  try {
    let outcome = await Promise.race([running, interrupted, after(timeoutMs)])
    if (outcome === 'timeout') {
      timedOut = true
      outcome = await Promise.race([running, interrupted, after(DEADLINE_GRACE_MS)])
    }
    if (outcome === 'interrupted' || runSignal?.aborted) {
      stop.abort(new InterruptedError('the run was interrupted'))
      const evidence = typeof outcome === 'object' && 'r' in outcome && outcome.r ? outcome.r.evidence : {}
      if (typeof outcome === 'object' && 'r' in outcome && outcome.r?.status === 'pass') return outcome.r
      return { ...base, status: 'error', message: 'interrupted while running', evidence, durationMs: Date.now() - started, interrupted: true }
    }
    if (outcome === 'timeout') {
      stop.abort(new TimeoutError('overall', timeoutMs))
      return { ...base, status: 'fail', message: `timed out after ${timeoutMs} ms`, evidence: { timeoutMs }, durationMs: Date.now() - started }
    }
    if ('r' in outcome) return outcome.r
    const err = outcome.e
    if (timedOut && !(err instanceof InterruptedError)) {
      return { ...base, status: 'fail', message: `timed out after ${timeoutMs} ms (${errorMessage(err)})`, evidence: { timeoutMs }, durationMs: Date.now() - started }
    }
    // Bad options or configuration found only at run time are not crashes: say what to fix.
    const what = err instanceof InvalidArgumentError || err instanceof ConfigError ? 'invalid configuration' : 'check crashed'
    return { ...base, status: 'error', message: `${what}: ${errorMessage(err)}`, evidence: {}, durationMs: Date.now() - started }
  } finally {
    for (const t of timers) clearTimeout(t)
    // Whatever the outcome, nothing of this attempt keeps running.
    if (!stop.signal.aborted) stop.abort(new InterruptedError('the attempt is over'))
  }
}
