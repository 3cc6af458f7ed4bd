import { InvalidArgumentError } from '../errors.ts'
import { summarize, type CheckResult } from '../result.ts'
import type { RunMeta, RunReport, RunVerdict, StepRecord } from './model.ts'
import { sha256Hex } from './text.ts'

/**
 * Merges the reports of a sharded run (`--shard i/n`, DESIGN.md "Scale-out") into one. Pure: the inputs
 * are not modified and the output depends only on them (and their order, which is the shard order).
 */

/** Worst first: a run that checked nothing beats one cut short, which beats one that found failures. */
const VERDICT_RANK: Record<RunVerdict, number> = { passed: 0, failed: 1, interrupted: 2, 'config-error': 3 }

export function mergeReports(reports: readonly RunReport[]): RunReport {
  if (reports.length === 0) throw new InvalidArgumentError('mergeReports needs at least one report')
  for (const [i, r] of reports.entries()) {
    if (r.schemaVersion !== 1) throw new InvalidArgumentError(`report ${i + 1}: unsupported schemaVersion ${String(r.schemaVersion)}`)
  }
  if (reports.length === 1) return structuredClone(reports[0]!) as RunReport

  // An id that occurs in more than one shard is prefixed with its shard number everywhere it occurs, so every
  // occurrence is treated alike and stays traceable ("shard2.tls.api"); unique ids are kept as they are.
  const shardsById = new Map<string, Set<number>>()
  reports.forEach((r, shard) => {
    for (const res of r.results) (shardsById.get(res.id) ?? shardsById.set(res.id, new Set()).get(res.id)!).add(shard)
  })
  const taken = new Set<string>()
  const results: CheckResult[] = []
  const steps: StepRecord[] = []
  reports.forEach((r, shard) => {
    const renamed = new Map<string, string>()
    for (const res of r.results) {
      let id = (shardsById.get(res.id)?.size ?? 0) > 1 ? `shard${shard + 1}.${res.id}` : res.id
      // Duplicates inside one shard (which the runner forbids) or a clash with a prefixed id: number them.
      for (let n = 2; taken.has(id); n++) id = `${res.id}~${n}`
      taken.add(id)
      if (id !== res.id) renamed.set(res.id, id)
      results.push({ ...structuredClone(res), id })
    }
    for (const s of r.steps) {
      const copy = structuredClone(s)
      copy.checks = copy.checks.map((c) => renamed.get(c) ?? c)
      steps.push(copy)
    }
  })

  const metas = reports.map((r) => r.meta)
  const worst = metas.reduce((a, b) => (VERDICT_RANK[b.verdict] > VERDICT_RANK[a.verdict] ? b : a))
  const starts = metas.map((m) => Date.parse(m.startedAt)).filter((t) => !Number.isNaN(t))
  const ends = metas.map((m) => Date.parse(m.finishedAt)).filter((t) => !Number.isNaN(t))
  const startedAt = starts.length ? new Date(Math.min(...starts)).toISOString() : metas[0]!.startedAt
  const finishedAt = ends.length ? new Date(Math.max(...ends)).toISOString() : metas[metas.length - 1]!.finishedAt
  const runIds = metas.map((m) => m.runId)
  const base = metas[0]!

  const meta: RunMeta = {
    runId: same(runIds) ? base.runId : `${base.kind}-${base.suite}-merged-${sha256Hex(runIds.join('\n')).slice(0, 12)}`,
    kind: base.kind,
    suite: joined(metas.map((m) => m.suite)),
    target: joined(metas.map((m) => m.target)),
    startedAt,
    finishedAt,
    durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)) || 0,
    operator: joined(metas.map((m) => m.operator)),
    host: joined(metas.map((m) => m.host)),
    version: joined(metas.map((m) => m.version)),
    command: joined(metas.map((m) => m.command)),
    verdict: worst.verdict,
    exitCode: worst.exitCode,
    mergedFrom: runIds,
  }
  const targetFiles = metas.map((m) => m.targetFile).filter((v): v is string => Boolean(v))
  if (targetFiles.length) meta.targetFile = joined(targetFiles)
  const commits = metas.map((m) => m.gitCommit).filter((v): v is string => Boolean(v))
  if (commits.length) meta.gitCommit = joined(commits)
  const ciJobUrl = metas.find((m) => m.ciJobUrl)?.ciJobUrl
  if (ciJobUrl) meta.ciJobUrl = ciJobUrl
  const errors = metas.flatMap((m, i) => (m.error ? [`shard ${i + 1} (${m.runId}): ${m.error}`] : []))
  if (errors.length) meta.error = errors.join('\n')
  const faults = [...new Set(metas.flatMap((m) => m.faults ?? []))]
  if (faults.length) meta.faults = faults

  return { schemaVersion: 1, meta, summary: summarize(results), results, steps }
}

function same(values: readonly string[]): boolean {
  return values.every((v) => v === values[0])
}

/** Distinct values in first-seen order, comma-separated. */
function joined(values: readonly string[]): string {
  return [...new Set(values)].join(', ')
}
