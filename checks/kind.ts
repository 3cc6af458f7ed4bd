import type { Redactor } from '../lib/redact.ts'
import type { CheckResult } from '../lib/result.ts'
import type { Static, TObject } from '../lib/schema.ts'

/**
 * A check kind, declared once beside its check: the options (a TypeBox schema that is both the JSON
 * Schema and the static type), the default title, the cross-field rules and how to run it. From
 * this one declaration come the target-file schema, `runbook-kit check <kind>` and its `--help`,
 * the README's kind table and the conversion of durations, paths and `env:` values (lib/options.ts).
 */

/** What every check takes besides its own options: who it is, where artifacts go, when to stop. */
export interface RunContext {
  /** Result id. */
  id?: string
  /** Result title. */
  title?: string
  /** Aborts the check (the attempt's timeout, or Ctrl-C). */
  signal?: AbortSignal
  /** Epoch ms by which the attempt must be over: clients cap their phases against it (lib/deadline.ts). */
  deadline?: number
  /** Folder for artifacts such as screenshots. */
  reportDir?: string
}

/** Where a check is built: the target's settings and the run's services. */
export interface BuildContext {
  /** Target-level baseUrl: relative `Url` options resolve against it. */
  baseUrl?: string | undefined
  /** Target-level TLS settings (`ca` already resolved to a path): defaults of the kinds' `ca`/`servername`. */
  tls: { ca?: string | undefined; servername?: string | undefined }
  /** Resolves a path as written: the target file's folder, or the working directory on the command line. */
  resolvePath(p: string): string
  redactor: Redactor
  /** Report folder of the run (screenshots go here). */
  reportDir: string
}

export interface CheckKind<S extends TObject = TObject, E = unknown> {
  /** The name target files use (`kind: http`); the module is `checks/<kind>.ts`. */
  readonly kind: string
  /** One line: what the kind checks (shown by `check --help`, editors and the README's table). */
  readonly description: string
  /** The options, declared once. */
  readonly options: S
  /** `runbook-kit check <kind> <arg>`: the option the positional argument fills. */
  readonly positional?: keyof Static<S> & string
  /** Short flags of `check <kind>` for nested options, e.g. `{ status: 'expect.status' }`. */
  readonly aliases?: Readonly<Record<string, string>>
  /** Derives what depends on the target beyond the generic adapter (e.g. the TLS host from baseUrl). */
  prepare?(options: Static<S>, ctx: BuildContext): Static<S>
  /** Cross-field rules, throwing OptionsError; run when the check is built, so a bad entry is a configuration error before anything runs. */
  validate?(options: Static<S>): void
  /**
   * Loads the kind's heavy libraries (pg, ioredis, the Kubernetes client, Playwright) ahead of the
   * run, so their import time (seconds on a loaded machine) is start-up, not part of the first
   * check's deadline. Optional; the check still loads them on first use.
   */
  preload?(): Promise<unknown>
  /** The default title. */
  title(options: Static<S>): string
  run(options: Static<S>, context: RunContext): Promise<CheckResult<E>>
}

/** Declares a kind (frozen). */
export function defineKind<S extends TObject, E>(kind: CheckKind<S, E>): CheckKind<S, E> {
  return Object.freeze(kind)
}

/** Any kind, whatever its options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCheckKind = CheckKind<any, any>
