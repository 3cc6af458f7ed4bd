import chalk, { Chalk, type ChalkInstance } from 'chalk'
import type { Redactor } from './redact.ts'
import { cleanText, oneLine } from './report/text.ts'
import type { CheckResult, Status } from './result.ts'
import type { RunnerEvent } from './runner.ts'

export interface TerminalOptions {
  stream: NodeJS.WriteStream | NodeJS.WritableStream
  redactor: Redactor
  /** Live progress line (rewritten in place). Default: the stream is a TTY and CI is not set. */
  live?: boolean
  /** Colours. Default: chalk's detection (respects NO_COLOR/FORCE_COLOR). */
  color?: boolean
}

const SYMBOL: Record<Status, string> = { pass: '✓', fail: '✗', error: '!', skip: '-' }
const LABEL: Record<Status, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skip: 'SKIP' }

type Formatters = { [K in RunnerEvent['kind']]: (e: Extract<RunnerEvent, { kind: K }>) => string | undefined }

/**
 * The terminal view of a run: one line per finished check, retries as they happen, and on a TTY a
 * live status line naming the checks in flight. Every line passes through the redactor.
 */
export class TerminalReporter {
  #opts: Required<Omit<TerminalOptions, 'color'>>
  #c: ChalkInstance
  #running = new Map<string, string>()
  #finished = 0
  #total = 0
  #statusShown = false
  #timer: NodeJS.Timeout | undefined
  #frame = 0
  #idWidth = 24

  constructor(opts: TerminalOptions) {
    const isTty = Boolean((opts.stream as NodeJS.WriteStream).isTTY)
    this.#opts = { stream: opts.stream, redactor: opts.redactor, live: opts.live ?? (isTty && !process.env.CI) }
    const level = opts.color === false ? 0 : opts.color === true ? Math.max(chalk.level, 1) : isTty ? chalk.level : 0
    this.#c = new Chalk({ level: level as 0 | 1 | 2 | 3 })
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

  /** Call before the run with the number of checks. */
  begin(title: string, total: number, ids: readonly string[] = []): void {
    this.#total = total
    // Align titles after the longest id (within reason).
    this.#idWidth = Math.min(40, Math.max(this.#idWidth, ...ids.map((id) => id.length + 1)))
    this.line(this.#c.bold(title))
    if (this.#opts.live) this.#timer = setInterval(() => this.#drawStatus(), 100).unref()
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
