import { InvalidArgumentError } from '../errors.ts'
import type { RunReport } from './model.ts'

/**
 * `report.json`: the canonical bytes of a run. Pretty-printed (two spaces) with a trailing newline,
 * keys in the order the report object has them, so the same report always gives the same bytes and
 * the SHA-256 printed in `report.md` is reproducible.
 */
export function renderJson(report: RunReport): string {
  return JSON.stringify(report, null, 2) + '\n'
}

/**
 * Parses a `report.json` (e.g. one shard's, before `mergeReports`). Checks the shape enough to
 * fail with a clear message on a file that is not a runbook-kit report; throws InvalidArgumentError.
 */
export function parseReport(text: string, source = 'report.json'): RunReport {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new InvalidArgumentError(`${source}: not JSON (${(err as Error).message})`, { cause: err })
  }
  if (!value || typeof value !== 'object') throw new InvalidArgumentError(`${source}: not a runbook-kit report (expected an object)`)
  const r = value as Partial<RunReport>
  if (r.schemaVersion !== 1) throw new InvalidArgumentError(`${source}: unsupported schemaVersion ${JSON.stringify(r.schemaVersion)} (expected 1)`)
  if (!r.meta || typeof r.meta !== 'object') throw new InvalidArgumentError(`${source}: missing "meta"`)
  if (!Array.isArray(r.results)) throw new InvalidArgumentError(`${source}: "results" must be an array`)
  if (!Array.isArray(r.steps)) throw new InvalidArgumentError(`${source}: "steps" must be an array`)
  return value as RunReport
}
