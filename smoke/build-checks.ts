import { isAbsolute, resolve, dirname } from 'node:path'
import { buildCheck, type BuildContext, type CheckEntry } from '../checks/build.ts'
import { ConfigError, errorMessage, OptionsError, renderOptionMessage, type ConfigProblem } from '../lib/errors.ts'
import type { Redactor } from '../lib/redact.ts'
import type { CheckSpec } from '../lib/runner.ts'
import { pathAt, type LoadedTarget, type TargetFile } from './target-file.ts'

export interface BuildOptions {
  reportDir: string
  redactor: Redactor
  /** Only these check ids (unknown ids are a configuration error). */
  only?: string[]
}

/** The build context of a target: its baseUrl and TLS settings, paths relative to its file. */
export function targetBuildContext(loaded: LoadedTarget, target: TargetFile, opts: Pick<BuildOptions, 'reportDir' | 'redactor'>): BuildContext {
  const base = dirname(loaded.file)
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(base, p))
  return {
    baseUrl: target.baseUrl,
    tls: { ca: target.tls?.ca ? resolvePath(target.tls.ca) : undefined, servername: target.tls?.servername },
    reportDir: opts.reportDir,
    redactor: opts.redactor,
    resolvePath,
  }
}

/** Turns a resolved target into runnable checks. Every problem names the entry's path and line (exit 2, nothing run). */
export function buildChecks(loaded: LoadedTarget, target: TargetFile, opts: BuildOptions): CheckSpec[] {
  const ctx = targetBuildContext(loaded, target, opts)
  // Positions in the file, for line numbers (never indexOf in the loop: a target may hold 100,000 checks).
  let entries = target.checks.map((entry, i) => ({ entry, i }))
  if (opts.only && opts.only.length > 0) {
    const known = new Set(entries.map((e) => e.entry.id))
    const unknown = opts.only.filter((id) => !known.has(id))
    if (unknown.length > 0) {
      throw new ConfigError(`--only names unknown check id(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`, { file: loaded.file })
    }
    const wanted = new Set(opts.only)
    entries = entries.filter((e) => wanted.has(e.entry.id))
  }
  const defaults = target.defaults ?? {}
  const problems: ConfigProblem[] = []
  const specs: CheckSpec[] = []
  for (const { entry, i } of entries) {
    const kind = loaded.kinds.get(entry.kind)!
    const withDefaults: CheckEntry = { ...entry }
    if (withDefaults.timeout === undefined && defaults.timeout !== undefined) withDefaults.timeout = defaults.timeout
    if (withDefaults.eventually === undefined && defaults.eventually !== undefined) withDefaults.eventually = defaults.eventually
    try {
      specs.push(buildCheck(kind, withDefaults, ctx))
    } catch (err) {
      const at = (path: (string | number)[]) => pathAt(loaded.yaml, ['checks', i, ...path])
      if (err instanceof OptionsError) {
        for (const p of err.problems) problems.push({ path: at(p.path), message: renderOptionMessage(p.message, (ref) => ref.join('.')) })
      } else {
        problems.push({ path: at([]), message: errorMessage(err) })
      }
    }
  }
  if (problems.length > 0) throw new ConfigError('invalid check options', { file: loaded.file, problems })
  return specs
}
