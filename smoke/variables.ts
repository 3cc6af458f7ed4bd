import { ConfigError, type ConfigProblem } from '../lib/errors.ts'
import { MIN_SECRET_LENGTH, type Redactor } from '../lib/redact.ts'
import { pathAt, type LoadedTarget, type TargetFile } from './target-file.ts'

/**
 * `env:NAME` and `${NAME}` in a target file: resolved from the environment (and the sandbox's
 * variables) once the file is valid, before any check is built.
 */

export interface ResolveOptions {
  /** Environment to read `env:NAME` and `${NAME}` from. */
  env: Record<string, string | undefined>
  /** Extra variables (the sandbox's URLs), consulted after `env`. */
  vars?: Record<string, string>
  /** Why a variable is missing (e.g. the sandbox could not start PostgreSQL), for `requires` skip reasons. */
  missingReasons?: Record<string, string>
  redactor: Redactor
}

/**
 * Resolves `env:NAME` (a whole value: a secret, registered for redaction) and `${NAME}` (inside strings:
 * plain settings such as URLs) throughout the target. A missing variable is a configuration error naming it.
 */
export function resolveVariables(loaded: LoadedTarget, opts: ResolveOptions): TargetFile {
  const problems: ConfigProblem[] = []
  const lookup = (name: string) => opts.env[name] ?? opts.vars?.[name]
  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value)
      if (m) {
        const v = lookup(m[1]!)
        if (v === undefined || v === '') {
          problems.push({ path: pathAt(loaded.yaml, path), message: `environment variable ${m[1]} is not set (referenced as "${value}")` })
          return ''
        }
        if (v.length < MIN_SECRET_LENGTH) {
          // Masking 1-3 characters would shred ordinary text, so such a value could not be kept out of output.
          problems.push({ path: pathAt(loaded.yaml, path), message: `environment variable ${m[1]} holds only ${v.length} character(s): too short to be masked in output and reports (at least ${MIN_SECRET_LENGTH})` })
          return ''
        }
        opts.redactor.add(v)
        opts.redactor.addUrlCredentials(v)
        return v
      }
      const out = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_all, name: string) => {
        const v = lookup(name)
        if (v === undefined) {
          problems.push({ path: pathAt(loaded.yaml, path), message: `variable \${${name}} is not set` })
          return ''
        }
        return v
      })
      opts.redactor.addUrlCredentials(out)
      return out
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]))
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k])
      return out
    }
    return value
  }
  const { checks, ...rest } = loaded.target
  const resolved = walk(rest, []) as TargetFile
  resolved.checks = checks.map((entry, i) => {
    const missing = (entry.requires ?? []).filter((name) => !lookup(name))
    if (missing.length === 0) return walk(entry, ['checks', i]) as typeof entry
    const reasons = missing.map((name) => opts.missingReasons?.[name] ?? `requires ${name}, which is not set`)
    // Not resolved: its ${...} references may be exactly the variables that are missing.
    return { ...entry, skip: entry.skip ?? [...new Set(reasons)].join('; ') }
  })
  if (problems.length > 0) throw new ConfigError('unresolved variables', { file: loaded.file, problems })
  return resolved
}
