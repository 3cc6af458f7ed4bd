import type { SourceLocation, StepRecord } from '../report/model.ts'
import type { CheckResult } from '../result.ts'
import type { StateStep, StateStepStatus } from './state.ts'

/**
 * What a run has recorded so far: its steps (procedure steps numbered 1, 2, …; rollback steps
 * labelled R1, R2, … without taking a number), the check results, the data each step keeps, and
 * what each procedure step's changes are for state.json.
 */
export class Journal {
  readonly steps: StepRecord[] = []
  readonly results: CheckResult[] = []
  /** Data of each procedure step (for its undo and for `--from` resumes), by step number. */
  readonly data = new Map<number, Record<string, unknown>>()
  /** What each procedure step's changes are, for state.json (see StateStepStatus). */
  readonly stateOf = new Map<number, { status: StateStepStatus; doneIn?: string }>()
  #stepCounter = 0
  #rollbackCounter = 0

  /** A new procedure step's record (status `skip` until it has run), with a fresh data object. */
  openStep(title: string, opts: { estimate?: string; destructive?: boolean } = {}, at: SourceLocation = {}): { record: StepRecord; data: Record<string, unknown> } {
    const index = ++this.#stepCounter
    const record: StepRecord = { index, title, status: 'skip', message: '', startedAt: new Date().toISOString(), durationMs: 0, commands: [], checks: [], ...at }
    if (opts.estimate) record.estimate = opts.estimate
    if (opts.destructive) record.destructive = true
    const data: Record<string, unknown> = {}
    this.data.set(index, data)
    return { record, data }
  }

  /** A rollback step's record, labelled R1, R2, … */
  openRollbackStep(title: string, at: SourceLocation = {}): StepRecord {
    return { index: 0, label: `R${++this.#rollbackCounter}`, title, status: 'pass', message: '', startedAt: new Date().toISOString(), durationMs: 0, commands: [], checks: [], ...at }
  }

  /** The procedure step `index` as recorded (not a rollback step). */
  procedureStep(index: number): StepRecord | undefined {
    return this.steps.find((s) => !s.label && s.index === index)
  }

  /** Records a check result under `record`, with an id unique in the run (`health`, `health.2`, …). */
  addResult(record: StepRecord, result: CheckResult): CheckResult {
    const r = { ...result, id: this.#uniqueId(result.id) }
    this.results.push(r)
    record.checks.push(r.id)
    return r
  }

  /** The results recorded under `record` that failed or errored. */
  failedChecks(record: StepRecord): CheckResult[] {
    return record.checks.map((id) => this.results.find((r) => r.id === id)).filter((r): r is CheckResult => r !== undefined && (r.status === 'fail' || r.status === 'error'))
  }

  /** The procedure steps of `steps` as state.json keeps them. */
  stateSteps(steps: readonly StepRecord[]): StateStep[] {
    return steps
      .filter((s) => !s.label)
      .map((s) => {
        const st = this.stateOf.get(s.index) ?? { status: s.status }
        return { index: s.index, title: s.title, status: st.status, ...(st.doneIn ? { doneIn: st.doneIn } : {}), data: this.data.get(s.index) ?? {} }
      })
  }

  #uniqueId(id: string): string {
    if (!this.results.some((r) => r.id === id)) return id
    for (let n = 2; ; n++) if (!this.results.some((r) => r.id === `${id}.${n}`)) return `${id}.${n}`
  }
}
