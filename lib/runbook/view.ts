import type { ColorLevel } from '../terminal.ts'
import { Chalk, type ChalkInstance } from 'chalk'
import type { Redactor } from '../redact.ts'
import type { CommandRecord, RunVerdict, StepRecord } from '../report/model.ts'
import type { WrittenReports } from '../report/write.ts'
import type { CheckResult } from '../result.ts'

/**
 * The terminal view of a run. The engine emits events; one formatter per event kind turns each into
 * lines (redacted). The formatters are a mapped type over `kind`, so a new event kind does not
 * compile until it has a formatter (STYLE.md §7).
 */

export type RunbookEvent =
  | { kind: 'begin'; title: string; target: string; dryRun: boolean; reportDir: string; faults: string[] }
  | { kind: 'step-start'; index: number; label?: string; title: string; estimate?: string; destructive?: boolean; dryRun: boolean }
  | { kind: 'command'; command: string; dryRun: boolean }
  | { kind: 'command-end'; record: CommandRecord }
  | { kind: 'check'; result: CheckResult }
  | { kind: 'confirmation'; question: string; answer: string; by: string; mark: ConfirmationMark }
  | { kind: 'log'; text: string }
  | { kind: 'step-end'; step: StepRecord }
  | { kind: 'rollback'; reason: string; count: number }
  | { kind: 'warning'; message: string }
  | { kind: 'error'; message: string }
  | { kind: 'end'; verdict: RunVerdict; exitCode: number; line: string; reports?: WrittenReports }

/** How a question was answered: confirmed (☑), declined or not confirmed (☒), not asked (☐). */
export type ConfirmationMark = 'yes' | 'no' | 'not-asked'

const BOX: Record<ConfirmationMark, string> = { yes: '☑', no: '☒', 'not-asked': '☐' }

type Formatters = { [K in RunbookEvent['kind']]: (e: Extract<RunbookEvent, { kind: K }>, c: ChalkInstance) => string | undefined }

const STEP_SYMBOL: Record<StepRecord['status'], string> = { pass: '✓', fail: '✗', error: '!', skip: '-', 'rolled-back': '↩', 'dry-run': '○' }

export const FORMAT: Formatters = {
  begin: (e, c) =>
    c.bold(`${e.title} — target ${e.target}${e.dryRun ? ' — DRY RUN (nothing will be changed)' : ''}`) + (e.faults.length ? c.yellow(`\nsandbox faults: ${e.faults.join(', ')}`) : '') + c.gray(`\nreports: ${e.reportDir}`),
  'step-start': (e, c) => '\n' + c.bold.cyan(`[${e.label ?? e.index}] ${e.title}`) + c.gray(`${e.estimate ? ` (estimate ${e.estimate})` : ''}${e.destructive ? ' [destructive]' : ''}`),
  command: (e, c) => c.gray(`    ${e.dryRun ? 'would run' : '$'} ${e.command}`),
  'command-end': (e, c) => (e.record.dryRun ? undefined : e.record.exitCode === 0 ? undefined : c.red(`    exit ${e.record.exitCode ?? 'killed'} after ${e.record.durationMs} ms${e.record.stderrTail ? `\n      ${e.record.stderrTail.split('\n').join('\n      ')}` : ''}`)),
  check: (e, c) => {
    const col = { pass: c.green, fail: c.red, error: c.magenta, skip: c.gray }[e.result.status]
    return `    ${col(e.result.status.toUpperCase().padEnd(5))} ${e.result.id}: ${e.result.title}${e.result.status === 'pass' ? '' : `\n          ${col(e.result.message)}`}`
  },
  confirmation: (e, c) => (e.mark === 'no' ? c.red : c.gray)(`    ${BOX[e.mark]} ${e.question} — ${e.answer} (${e.by})`),
  log: (e) => `    ${e.text}`,
  'step-end': (e, c) => {
    const s = e.step
    const n = s.label ?? s.index
    if (s.interrupted) return c.yellow(`  ⚠ ${n}. ${s.title}: interrupted (${s.durationMs} ms)${s.message ? ` — ${s.message}` : ''}`)
    const col = s.status === 'pass' || s.status === 'dry-run' ? c.green : s.status === 'skip' ? c.gray : s.status === 'rolled-back' ? c.yellow : c.red
    return col(`  ${STEP_SYMBOL[s.status]} ${n}. ${s.title}: ${s.status} (${s.durationMs} ms)${s.message && s.status !== 'pass' ? ` — ${s.message}` : ''}`)
  },
  rollback: (e, c) => c.yellow.bold(`\n↩ Rolling back ${e.count} step(s): ${e.reason}`),
  warning: (e, c) => c.yellow(`warning: ${e.message}`),
  error: (e, c) => c.red(e.message),
  end: (e, c) => {
    const col = e.exitCode === 0 ? c.green : e.exitCode === 130 ? c.yellow : c.red
    const paths = e.reports ? `\nreports: ${e.reports.markdown}\n         ${e.reports.junit}\n         ${e.reports.json}` : ''
    return '\n' + col(`${e.verdict.toUpperCase()}: ${e.line}`) + paths
  },
}

/** Prints events (and plain lines) to the run's output, redacted, in colour when asked. */
export class RunbookView {
  c: ChalkInstance
  readonly #out: NodeJS.WritableStream
  readonly #redactor: Redactor

  /** `level`: chalk's colour level (0 none), as lib/terminal.ts colorLevel decides it. */
  constructor(out: NodeJS.WritableStream, redactor: Redactor, level: ColorLevel) {
    this.#out = out
    this.#redactor = redactor
    this.c = new Chalk({ level })
  }

  /** Changes the colour level (`--no-color` is known only once the flags are parsed). */
  useColor(level: ColorLevel): void {
    this.c = new Chalk({ level })
  }

  print(text: string): void {
    this.#out.write(this.#redactor.redact(text) + '\n')
  }

  emit(e: RunbookEvent): void {
    const text = (FORMAT[e.kind] as (e: RunbookEvent, c: ChalkInstance) => string | undefined)(e, this.c)
    if (text !== undefined) this.print(text)
  }
}
