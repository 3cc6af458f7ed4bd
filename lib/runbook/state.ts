import { existsSync } from 'node:fs'
import { readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../errors.ts'
import type { StepRecord } from '../report/model.ts'

/**
 * `state.json` beside a runbook's reports: what each step did and the data it saved (revisions,
 * touched deployments), so that `--from STEP` can resume a failed run and still roll back what the
 * earlier run changed. Written redacted; never holds secret values.
 */

export const STATE_FILE = 'state.json'

/**
 * What a procedure step's changes are, as far as a resume is concerned. Besides the report statuses:
 * `not-run` (never started: an earlier step failed, the run was interrupted, or `--only` left it out)
 * and `undo-failed` (its changes were being undone and the undo failed: state unknown). `skip` means
 * skipped by the runbook's configuration (`ctx.skip`), which a resume may pass over.
 */
export type StateStepStatus = StepRecord['status'] | 'not-run' | 'undo-failed'

export interface StateStep {
  /** Procedure step number (rollback steps R1, R2… are not saved). Together with the title, the step's id. */
  index: number
  title: string
  status: StateStepStatus
  /** Run id of the run that did the step, when this run carried it over from the run it resumed. */
  doneIn?: string
  data: Record<string, unknown>
}

/** Schema 1 numbered rollback steps like procedure steps and recorded steps that never ran as skipped: not resumable. */
export const STATE_SCHEMA_VERSION = 2

export interface RunbookState {
  schemaVersion: 2
  runbook: string
  target: string
  runId: string
  /** Run id this run resumed, when it was started with `--from`. */
  resumedFrom?: string
  finishedAt: string
  verdict: string
  steps: StateStep[]
}

export async function writeState(dir: string, state: RunbookState): Promise<string> {
  const file = join(dir, STATE_FILE)
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', 'utf8')
  await rename(tmp, file)
  return file
}

export async function readState(dir: string): Promise<RunbookState> {
  const file = join(dir, STATE_FILE)
  let data: unknown
  try {
    data = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new ConfigError(`cannot resume: no readable ${STATE_FILE} in ${dir}`, { file, cause: err })
  }
  const s = data as Partial<RunbookState>
  if (!Array.isArray(s.steps) || typeof s.runbook !== 'string') throw new ConfigError(`cannot resume: ${STATE_FILE} is not a runbook state file`, { file })
  if (s.schemaVersion !== STATE_SCHEMA_VERSION) throw new ConfigError(`cannot resume: ${file} has state schema ${String(s.schemaVersion)}, written by an older runbook-kit whose step history cannot be trusted for a resume; run the runbook from the start`, { file })
  return s as RunbookState
}

/** The newest report directory under `reportsRoot` whose state.json belongs to this runbook and target. */
export async function findLatestState(reportsRoot: string, runbook: string, target: string): Promise<string | undefined> {
  if (!existsSync(reportsRoot)) return undefined
  const found: { dir: string; at: string }[] = []
  for (const name of await readdir(reportsRoot)) {
    const dir = join(reportsRoot, name)
    try {
      const s = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as RunbookState
      // A run that changed nothing (refused, configuration error) is not something to resume from.
      const ranSomething = s.verdict !== 'config-error' && (s.steps ?? []).some((st) => st.status !== 'not-run')
      if (s.runbook === runbook && s.target === target && ranSomething) found.push({ dir, at: s.finishedAt })
    } catch {
      // not a runbook report directory
    }
  }
  found.sort((a, b) => (a.at < b.at ? 1 : -1))
  return found[0]?.dir
}
