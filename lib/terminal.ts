import { Chalk, type ChalkInstance } from 'chalk'
import { groupEnd, groupStart, isGitHubActions } from './ci.ts'
import type { Redactor } from './redact.ts'
import { cleanText, oneLine } from './report/text.ts'
import type { CheckResult, Status } from './result.ts'
import type { RunnerEvent } from './runner.ts'

/** chalk's levels: 0 none, 1 basic 16 colours, 2 256 colours, 3 truecolor. */
export type ColorLevel = 0 | 1 | 2 | 3

export interface ColorChoice {
  /** `false`: `--no-color` was given; `true`: colours forced by the caller. Default: decide from `env` and `stream`. */
  color?: boolean
  /** Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
  /** Where the coloured text goes. Default `process.stdout`. */
  stream?: NodeJS.WriteStream | NodeJS.WritableStream
}

/**
 * Whether (and how richly) to colour, for every command in one place: `--no-color` > `NO_COLOR`
 * (set and non-empty, no-color.org) > `FORCE_COLOR` (`0`/`false` off; `1`/`true`/empty, `2`, `3` on at
 * that level, even without a TTY: CI logs such as GitHub's render ANSI) > the stream is a TTY (at the
 * depth the terminal reports). chalk's bundled detection ignores NO_COLOR and looks only at stdout and
 * argv, so it is not used.
 */
export function colorLevel(choice: ColorChoice = {}): ColorLevel {
  const env = choice.env ?? process.env
  const stream = (choice.stream ?? process.stdout) as Partial<NodeJS.WriteStream>
  if (choice.color === false) return 0
  const tty = ttyLevel(stream, env)
  if (choice.color === true) return Math.max(1, tty) as ColorLevel
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0
  const force = env.FORCE_COLOR
  if (force !== undefined) {
    const f = force.trim().toLowerCase()
    if (f === '0' || f === 'false') return 0
    if (f === '2' || f === '3') return Number(f) as ColorLevel
    // '', '1', 'true' and anything else that is not "off": basic colours, or the terminal's depth on a TTY.
    return Math.max(1, tty) as ColorLevel
  }
  return tty
}

/** A chalk instance at `colorLevel(choice)`. */
export function chalkFor(choice: ColorChoice = {}): ChalkInstance {
  return new Chalk({ level: colorLevel(choice) })
}

/** The colour depth of a TTY stream as a chalk level (0 when not a TTY or TERM=dumb). */
function ttyLevel(stream: Partial<NodeJS.WriteStream>, env: Readonly<Record<string, string | undefined>>): ColorLevel {
  if (!stream.isTTY) return 0
  // Node's own getColorDepth reads NO_COLOR and FORCE_COLOR too; they are decided above, so it sees neither.
  const { NO_COLOR: _n, FORCE_COLOR: _f, NODE_DISABLE_COLORS: _d, ...rest } = env
  const depth = typeof stream.getColorDepth === 'function' ? stream.getColorDepth(rest) : 4
  return depth >= 24 ? 3 : depth >= 8 ? 2 : depth >= 4 ? 1 : 0
}

export interface TerminalOptions {
  stream: NodeJS.WriteStream | NodeJS.WritableStream
  redactor: Redactor
  /** Live progress line (rewritten in place). Default: the stream is a TTY and CI is not set. */
  live?: boolean
  /** `false` for `--no-color`, `true` to force colours. Default: `colorLevel` decides from the environment. */
  color?: boolean
  /** Environment for the colour decision and CI conventions. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
  /** GitHub Actions: the run's progress lines go into one collapsible `::group::`. Default: `GITHUB_ACTIONS=true`. */
  github?: boolean
}

const SYMBOL: Record<Status, string> = { pass: '✓', fail: '✗', error: '!', skip: '-' }
const LABEL: Record<Status, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skip: 'SKIP' }

type Formatters = { [K in RunnerEvent['kind']]: (e: Extract<RunnerEvent, { kind: K }>) => string | undefined }

/**
 * The terminal view of a run: one line per finished check, retries as they happen, and on a TTY a
 * live status line naming the checks in flight. Every line passes through the redactor.
 */
export class TerminalReporter {
  #opts: Required<Omit<TerminalOptions, 'color' | 'env' | 'github'>>
  #c: ChalkInstance
  #github: boolean
  #groupOpen = false
  #running = new Map<string, string>()
  #finished = 0
  #total = 0
  #statusShown = false
  #timer: NodeJS.Timeout | undefined
  #frame = 0
  #idWidth = 24

  constructor(opts: TerminalOptions) {
    const env = opts.env ?? process.env
    const isTty = Boolean((opts.stream as NodeJS.WriteStream).isTTY)
    this.#opts = { stream: opts.stream, redactor: opts.redactor, live: opts.live ?? (isTty && !env.CI) }
    this.#c = chalkFor({ color: opts.color, env, stream: opts.stream })
    this.#github = opts.github ?? isGitHubActions(env)
  }

  #formatters: Formatters = {
    start: () => undefined,
    // The first retry says why; later ones only every fifth attempt (every attempt is in the reports).
    retry: (e) =>
      e.attempt.attempt === 1 || e.attempt.attempt % 5 === 0
        ? this.#c.yellow(`  ↻ ${e.id}: attempt ${e.attempt.attempt} ${e.attempt.status}: ${oneLine(e.attempt.message)}; retrying every ${Math.round(e.nextInMs / 100) / 10} s`)
        : undefined,
    finish: (e) => this.formatResult(e.result),
  }

  /**
   * Call before the run with the number of checks. On GitHub Actions the title opens a `::group::` that
   * `endGroup()` closes, so the log shows one collapsed line per run and the annotations after it.
   */
  begin(title: string, total: number, ids: readonly string[] = []): void {
    this.#total = total
    // Align titles after the longest id (within reason).
    this.#idWidth = Math.min(40, Math.max(this.#idWidth, ...ids.map((id) => id.length + 1)))
    if (this.#github) {
      this.line(groupStart(this.#opts.redactor.redact(title)))
      this.#groupOpen = true
    } else {
      this.line(this.#c.bold(title))
    }
    if (this.#opts.live) this.#timer = setInterval(() => this.#drawStatus(), 100).unref()
  }

  /** Closes the group `begin()` opened on GitHub Actions (no-op otherwise, and when called again). */
  endGroup(): void {
    if (!this.#groupOpen) return
    this.#groupOpen = false
    this.line(groupEnd())
  }

  onEvent = (event: RunnerEvent): void => {
    if (event.kind === 'start') this.#running.set(event.id, event.title)
    if (event.kind === 'finish') {
      this.#running.delete(event.result.id)
      this.#finished++
    }
    const text = (this.#formatters[event.kind] as (e: RunnerEvent) => string | undefined)(event)
    if (text !== undefined) this.line(text)
  }

  formatResult(r: CheckResult): string {
    const colour = { pass: this.#c.green, fail: this.#c.red, error: this.#c.magenta, skip: this.#c.gray }[r.status]
    const attempts = r.attempts > 1 ? `, ${r.attempts} attempts` : ''
    // Text from targets and servers may carry escape codes: never let it drive the terminal.
    const head = `${colour(`${SYMBOL[r.status]} ${LABEL[r.status].padEnd(5)}`)} ${oneLine(r.id).padEnd(this.#idWidth)} ${oneLine(r.title)} ${this.#c.gray(`(${r.durationMs} ms${attempts})`)}`
    const lines = [head]
    if (r.status !== 'pass') lines.push(`        ${colour(cleanText(r.message))}`)
    for (const w of r.warnings ?? []) lines.push(`        ${this.#c.yellow(`warning: ${cleanText(w)}`)}`)
    return lines.join('\n')
  }

  /** Prints a line (redacted), keeping the live status line below it. */
  line(text: string): void {
    this.#clearStatus()
    this.#opts.stream.write(this.#opts.redactor.redact(text) + '\n')
    this.#drawStatus()
  }

  end(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    this.#clearStatus()
  }

  #clearStatus(): void {
    if (this.#statusShown) {
      this.#opts.stream.write('\r\x1b[2K')
      this.#statusShown = false
    }
  }

  #drawStatus(): void {
    if (!this.#opts.live || this.#running.size === 0) return
    const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'
    this.#frame = (this.#frame + 1) % frames.length
    const names = [...this.#running.keys()].slice(0, 4).join(', ') + (this.#running.size > 4 ? ', …' : '')
    const width = (this.#opts.stream as NodeJS.WriteStream).columns ?? 100
    const text = `${frames[this.#frame]} ${this.#finished}/${this.#total} done · running: ${names}`.slice(0, Math.max(20, width - 1))
    this.#opts.stream.write('\r\x1b[2K' + this.#c.cyan(this.#opts.redactor.redact(text)))
    this.#statusShown = true
  }
}

/** The closing line CI systems read: `N passed, N failed` (`, N skipped` when any). Errors count as failed. */
export function closingLine(counts: Record<Status, number>): string {
  const failed = counts.fail + counts.error
  return `${counts.pass} passed, ${failed} failed` + (counts.skip > 0 ? `, ${counts.skip} skipped` : '')
}
