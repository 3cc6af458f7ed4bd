import { InvalidArgumentError, errorMessage } from './errors.ts'

/**
 * The result model: one shape flows from every check to every report.
 */

export type Status = 'pass' | 'fail' | 'error' | 'skip'

/** One try of a check; a check run in `eventually` mode records every attempt. */
export interface Attempt {
  /** 1-based. */
  attempt: number
  status: Status
  message: string
  startedAt: string
  durationMs: number
}

export interface CheckResult<E = Record<string, unknown>> {
  /** Stable slug, e.g. `tls.api`, `webhook.rejects-bad-signature`. */
  id: string
  /** Human sentence, e.g. "TLS certificate for api.example.com is valid". */
  title: string
  /** fail = the target broke an expectation; error = could not check (bad config, internal bug). */
  status: Status
  /** One line: why. */
  message: string
  /** What was observed, for auditors. Already redacted by the time it reaches a report. */
  evidence: E
  /** ISO-8601 UTC. */
  startedAt: string
  durationMs: number
  /** How many times the check ran (1 unless retried by `eventually`). */
  attempts: number
  /** Kind of check (`http`, `tls`, ...); used as the JUnit classname segment. Set by the runner when missing. */
  kind?: string
  /** Every attempt, when there was more than one. */
  attemptLog?: Attempt[]
  /** True when the run was interrupted while this check was in flight or queued. */
  interrupted?: boolean
  /** Non-fatal remarks shown with the result (e.g. a certificate inside its warning window). */
  warnings?: string[]
}

/** What a judging function returns: the verdict without the timing bookkeeping. */
export interface Verdict<E = Record<string, unknown>> {
  status: Status
  message: string
  evidence: E
  warnings?: string[]
}

/** Identity of a check as the caller names it. */
export interface CheckMeta {
  id: string
  title: string
  kind?: string
}

/**
 * Runs `observe` and turns its verdict into a timed `CheckResult`. Anything it throws becomes an
 * `error` result (could not check), except `InvalidArgumentError`, which is rethrown: bad
 * arguments are the caller's bug.
 */
export async function timed<E>(meta: CheckMeta, observe: () => Promise<Verdict<E>>): Promise<CheckResult<E>> {
  const started = Date.now()
  const startedAt = new Date(started).toISOString()
  let verdict: Verdict<E>
  try {
    verdict = await observe()
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err
    verdict = { status: 'error', message: errorMessage(err), evidence: {} as E }
  }
  const result: CheckResult<E> = {
    id: meta.id,
    title: meta.title,
    status: verdict.status,
    message: verdict.message,
    evidence: verdict.evidence,
    startedAt,
    durationMs: Date.now() - started,
    attempts: 1,
  }
  if (meta.kind) result.kind = meta.kind
  if (verdict.warnings && verdict.warnings.length > 0) result.warnings = verdict.warnings
  return result
}

/** Counts per status. */
export function summarize(results: readonly Pick<CheckResult, 'status'>[]): Record<Status, number> & { total: number } {
  const counts = { pass: 0, fail: 0, error: 0, skip: 0, total: results.length }
  for (const r of results) counts[r.status]++
  return counts
}
