import { parseDuration } from '../lib/duration.ts'
import { errorMessage, OptionsError } from '../lib/errors.ts'
import { decodeOptions } from '../lib/options.ts'
import type { CheckResult } from '../lib/result.ts'
import type { CheckSpec } from '../lib/runner.ts'
import type { Static, TObject } from '../lib/schema.ts'
import type { AnyCheckKind, BuildContext, CheckKind } from './kind.ts'

export type { BuildContext } from './kind.ts'

/**
 * The one build path from a check entry to a runnable check, used by the smoke suite (target-file
 * entries), `runbook-kit check` (command-line flags) and the runbooks (typed options).
 */

/** Fields every check entry has; the engine handles them, a kind's options must not redefine them. */
export interface CommonCheckFields {
  id: string
  kind: string
  title?: string
  /** Per-attempt timeout, ms or a duration string. */
  timeout?: number | string
  /** Retry until it passes or the timeout passes. */
  eventually?: { timeout: number | string; interval?: number | string }
  /** Reason to skip this check. */
  skip?: string
  /** Variables that must be set, else the check is skipped with the reason. */
  requires?: string[]
}

/** A check as written: the common fields plus the kind's own options (as in a target file). */
export type CheckEntry = CommonCheckFields & Record<string, unknown>

export const COMMON_FIELDS: readonly (keyof CommonCheckFields)[] = Object.freeze(['id', 'kind', 'title', 'timeout', 'eventually', 'skip', 'requires'])

/**
 * Turns an entry into a runnable check: options decoded by the generic adapter, derived from the
 * target, checked by the kind's cross-field rules. Throws OptionsError whose problem paths are
 * relative to the entry (the caller names them: target-file path and line, or a flag).
 */
export function buildCheck(kind: AnyCheckKind, entry: CheckEntry, ctx: BuildContext): CheckSpec {
  const common = commonSpec(entry)
  if (entry.skip !== undefined) {
    // Not decoded: a skipped entry may hold unresolved references (see `requires`).
    let title = entry.title
    if (title === undefined) {
      try {
        title = kind.title(prepare(kind, entry, ctx))
      } catch {
        title = entry.id
      }
    }
    return { ...common, title, skip: entry.skip, run: () => Promise.reject(new Error('skipped checks do not run')) }
  }
  const options = prepare(kind, entry, ctx)
  const title = entry.title ?? kind.title(options)
  return {
    ...common,
    title,
    run: (signal, deadline) => kind.run(options, { id: entry.id, title, signal, deadline, reportDir: ctx.reportDir }) as Promise<CheckResult>,
  }
}

/** Typed programmatic use (runbooks): the same path with options already in code form. */
export function checkSpec<S extends TObject>(
  kind: CheckKind<S, unknown>,
  options: Static<S>,
  meta: { id: string; title?: string; timeoutMs?: number; eventually?: CheckSpec['eventually'] },
  ctx: BuildContext,
): CheckSpec {
  const spec = buildCheck(kind, { ...(options as Record<string, unknown>), id: meta.id, kind: kind.kind, ...(meta.title !== undefined ? { title: meta.title } : {}) }, ctx)
  if (meta.timeoutMs !== undefined) spec.timeoutMs = meta.timeoutMs
  if (meta.eventually !== undefined) spec.eventually = meta.eventually
  return spec
}

/** The kind's own options of an entry (common fields removed). */
export function kindFields(entry: CheckEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(entry)) if (!(COMMON_FIELDS as readonly string[]).includes(k)) out[k] = v
  return out
}

function prepare(kind: AnyCheckKind, entry: CheckEntry, ctx: BuildContext): unknown {
  const decoded = decodeOptions(kind.options, kindFields(entry), {
    resolvePath: ctx.resolvePath,
    baseUrl: ctx.baseUrl,
    targetDefaults: { 'tls.ca': ctx.tls.ca, 'tls.servername': ctx.tls.servername },
    redactor: ctx.redactor,
  })
  try {
    const prepared = kind.prepare ? kind.prepare(decoded, ctx) : decoded
    kind.validate?.(prepared)
    return prepared
  } catch (err) {
    if (err instanceof OptionsError) throw err
    // A kind's rule that threw a plain InvalidArgumentError: about the entry as a whole.
    throw new OptionsError([{ path: [], message: errorMessage(err) }], { cause: err })
  }
}

function commonSpec(entry: CheckEntry): Omit<CheckSpec, 'title' | 'run'> {
  const spec: Omit<CheckSpec, 'title' | 'run'> = { id: entry.id, kind: entry.kind }
  const problems = []
  try {
    if (entry.timeout !== undefined) spec.timeoutMs = parseDuration(entry.timeout)
  } catch (err) {
    problems.push({ path: ['timeout'], message: errorMessage(err) })
  }
  try {
    if (entry.eventually) {
      spec.eventually = { timeoutMs: parseDuration(entry.eventually.timeout) }
      if (entry.eventually.interval !== undefined) spec.eventually.intervalMs = parseDuration(entry.eventually.interval)
    }
  } catch (err) {
    problems.push({ path: ['eventually'], message: errorMessage(err) })
  }
  if (problems.length > 0) throw new OptionsError(problems)
  return spec
}
