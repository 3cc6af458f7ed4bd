import type { Redactor } from '../../lib/redact.ts'
import type { CheckSpec } from '../../lib/runner.ts'

/**
 * What the engine gives a check kind when it builds a check from a target file entry.
 * `env:NAME` references and `${NAME}` variables are already resolved in the entry.
 */
export interface BuildContext {
  /** Target name, e.g. `staging`. */
  target: string
  /** Absolute path of the target file; relative paths in the entry resolve against its folder. */
  targetFile: string
  /** Target-level `baseUrl`; relative `url`/`path` values resolve against it. */
  baseUrl?: string
  /** Target-level TLS settings: `ca` is a PEM bundle file path to trust in addition to (or instead of) system roots. */
  tls: { ca?: string; servername?: string }
  /** Report directory of this run (screenshots and other artifacts go here). */
  reportDir: string
  redactor: Redactor
  /** Resolves a path relative to the target file's folder. */
  resolvePath(p: string): string
  /**
   * The check's per-attempt timeout in ms when the entry (or the target's defaults, or the command
   * line) sets one. Kinds cap their own phase timeouts below it, so a hang is reported with its phase
   * ("headers timed out after …") rather than as the runner's bare timeout.
   */
  timeoutMs?: number
}

/** Fields every check entry has; the engine handles these, a kind's schema must not redefine them. */
export interface CommonCheckFields {
  id: string
  kind: string
  title?: string
  /** Per-attempt timeout, ms or duration string. */
  timeout?: number | string
  /** Retry until pass or timeout. */
  eventually?: { timeout: number | string; interval?: number | string }
  /** Reason to skip this check. */
  skip?: string
  /** Variables that must be set, else the check is skipped with the reason. */
  requires?: string[]
}

/**
 * A kind of check usable in a target file (`kind: http`). Register new kinds in `smoke/kinds/index.ts`.
 * `properties` is the JSON Schema of the kind's own fields (the common fields are added by the engine);
 * `required` lists the kind's required fields. Unknown keys are errors.
 */
export interface CheckKind<C extends CommonCheckFields = any> {
  kind: string
  /** One line for docs: what the kind checks. */
  description: string
  properties: Record<string, unknown>
  required?: string[]
  /**
   * For `runbook-kit check <kind> <arg>`: the property the positional argument fills (e.g. `url`, `host`).
   * Every other property is reachable as `--name value` (camelCase names also accepted as kebab-case).
   */
  positional?: string
  /**
   * Short option names for `runbook-kit check <kind>`, mapped to a (dotted) property path, e.g.
   * `{ status: 'expect.status', 'min-days': 'minDays' }`.
   */
  aliases?: Record<string, string>
  /**
   * Dotted paths of fields that hold secrets (`secret`, `login.password`). In a target file they must be
   * `env:NAME` references: secrets are never written in target files.
   */
  secretFields?: string[]
  /** Default title when the entry has none. */
  title(entry: C, ctx: BuildContext): string
  /** Turns a validated entry into a runnable check. `timeoutMs`/`eventually`/`skip` are filled in by the engine. */
  build(entry: C, ctx: BuildContext): Omit<CheckSpec, 'id' | 'title' | 'kind' | 'timeoutMs' | 'eventually' | 'skip'>
}
