/**
 * The small, typed error set. Checks return failures as data; these are thrown only for bad
 * arguments, bad configuration and bugs, and caught at the edge (CLI, runner).
 */

export class RunbookKitError extends Error {
  /** Stable machine-readable code, e.g. `RBK_CONFIG`. */
  readonly code: string
  constructor(message: string, code = 'RBK_ERROR', options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** One problem found in a configuration file. */
export interface ConfigProblem {
  /** Path inside the document, e.g. `checks[3].expect.status`; empty for the whole document. */
  path: string
  /** What was expected, e.g. `must be integer`. */
  message: string
}

/** A configuration file (target, runbook settings) is missing, unparsable or invalid. */
export class ConfigError extends RunbookKitError {
  readonly file: string | undefined
  readonly problems: ConfigProblem[]
  constructor(message: string, opts: { file?: string; problems?: ConfigProblem[]; cause?: unknown } = {}) {
    super(message, 'RBK_CONFIG', { cause: opts.cause })
    this.file = opts.file
    this.problems = opts.problems ?? []
  }

  /** Multi-line description: file, then one line per problem with its path. */
  describe(): string {
    const head = this.file ? `${this.file}: ${this.message}` : this.message
    if (this.problems.length === 0) return head
    return [head, ...this.problems.map((p) => `  - ${p.path.trim() || '(document)'}: ${p.message}`)].join('\n')
  }
}

/** A function was called with an argument it cannot work with (a programming or usage error). */
export class InvalidArgumentError extends RunbookKitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'RBK_INVALID_ARGUMENT', options)
  }
}

/** Bad command-line usage: unknown option, unknown fault name, missing argument. Exit 2. */
export class UsageError extends RunbookKitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'RBK_USAGE', options)
  }
}

export type TimeoutPhase = 'connect' | 'handshake' | 'headers' | 'body' | 'overall' | 'query' | 'watch' | string

/** A network operation did not finish in time; `phase` says which part. */
export class TimeoutError extends RunbookKitError {
  readonly phase: TimeoutPhase
  readonly timeoutMs: number
  constructor(phase: TimeoutPhase, timeoutMs: number, options?: { cause?: unknown }) {
    super(`${phase} timed out after ${timeoutMs} ms`, 'RBK_TIMEOUT', options)
    this.phase = phase
    this.timeoutMs = timeoutMs
  }
}

/**
 * A network connection failed or broke: refused, reset, closed early, DNS failure, TLS certificate
 * rejected. `code` is the underlying code (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`,
 * `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`, ...), not an `RBK_` code.
 */
export class HttpConnectionError extends RunbookKitError {
  /** `host:port` the connection was for, when known. */
  readonly address: string | undefined
  constructor(message: string, code: string, opts: { address?: string; cause?: unknown } = {}) {
    super(message, code, { cause: opts.cause })
    this.address = opts.address
  }
}

/** The run was cancelled (SIGINT/SIGTERM or a caller's AbortSignal). */
export class InterruptedError extends RunbookKitError {
  constructor(message = 'interrupted', options?: { cause?: unknown }) {
    super(message, 'RBK_INTERRUPTED', options)
  }
}

/** Human one-liner for any thrown value, without a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof ConfigError) return err.describe()
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    const base = err.message || err.name
    return typeof code === 'string' && !base.includes(code) && !code.startsWith('RBK_') ? `${base} (${code})` : base
  }
  return String(err)
}

/** One problem with a check's options: where (a field path) and what was expected. */
export interface OptionProblem {
  /** Field path inside the options, e.g. `['expect', 'status']`; empty for the options as a whole. */
  path: (string | number)[]
  /** What was expected. `{field}` names another option (`give {payload} or {payloadFile}`), rendered for the audience. */
  message: string
}

/**
 * Options a check cannot work with, found by the generic adapter or a kind's cross-field rules.
 * The problems keep field paths, so each audience names them its own way: `checks[3].payloadFile
 * (line 12)` in a target file, `--payload-file` on the command line, `payloadFile` in code.
 */
export class OptionsError extends InvalidArgumentError {
  readonly problems: OptionProblem[]
  constructor(problems: OptionProblem[], options?: { cause?: unknown }) {
    super(problems.map((p) => renderProblem(p, (path) => path.join('.'))).join('; '), options)
    this.problems = problems
  }

  /** The problems with field paths rendered by `name` (a target-file path, a flag). */
  render(name: (path: (string | number)[]) => string): string[] {
    return this.problems.map((p) => renderProblem(p, name))
  }
}

/** A cross-field rule broken; `{field}` references in `message` name other options. */
export function optionProblem(field: string | (string | number)[], message: string): OptionsError {
  return new OptionsError([{ path: typeof field === 'string' ? field.split('.') : field, message }])
}

function renderProblem(p: OptionProblem, name: (path: (string | number)[]) => string): string {
  const text = renderOptionMessage(p.message, name)
  return p.path.length > 0 ? `${name(p.path)}: ${text}` : text
}

/** A problem's message with its `{field}` references named for the audience. */
export function renderOptionMessage(message: string, name: (path: (string | number)[]) => string): string {
  return message.replace(/\{([A-Za-z0-9_.]+)\}/g, (_all, ref: string) => name(ref.split('.')))
}
