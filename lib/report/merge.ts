import { InvalidArgumentError } from '../errors.ts'
import { summarize, type CheckResult } from '../result.ts'
import type { MergedShard, RunMeta, RunReport, RunVerdict, StepRecord } from './model.ts'
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
  if (reports.length === 1) {
    const only = structuredClone(reports[0]!) as RunReport
    only.meta.shards = [shardRecord(reports[0]!.meta)]
    delete only.meta.shard
    return only
  }

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
    shards: metas.map(shardRecord),
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
  const warnings = metas.flatMap((m, i) => (m.warnings ?? []).map((w) => `shard ${i + 1} (${m.runId}): ${w}`))
  if (warnings.length) meta.warnings = warnings

  return { schemaVersion: 1, meta, summary: summarize(results), results, steps }
}

/** What the merged meta keeps of each input's own meta. */
function shardRecord(m: RunMeta): MergedShard {
  const rec: MergedShard = { runId: m.runId, host: m.host, startedAt: m.startedAt, finishedAt: m.finishedAt, durationMs: m.durationMs, verdict: m.verdict, exitCode: m.exitCode }
  if (m.shard) rec.shard = structuredClone(m.shard)
  return rec
}

function same(values: readonly string[]): boolean {
  return values.every((v) => v === values[0])
}

/** Distinct values in first-seen order, comma-separated. */
function joined(values: readonly string[]): string {
  return [...new Set(values)].join(', ')
}

/** One shard's report and where it was read from (a directory or file, named in problems). */
export interface ShardInput {
  source: string
  report: RunReport
}

export type ShardMergeResult =
  | { ok: true; report: RunReport; /** Differences that do not stop the merge (runbook-kit versions, commits). */ warnings: string[] }
  | { ok: false; /** Each names the inputs concerned. */ problems: string[] }

/** Most ids listed in one problem line; the rest are counted. */
const MAX_LISTED = 10

/**
 * Merges the reports of ONE sharded run (`smoke --shard i/n`, each with `meta.shard`) into one report,
 * after checking that they are exactly the shards 1..n of one target: every input is a shard's report,
 * all say the same n and the same target and were drawn from the same number of checks, no index twice,
 * none missing, no check id in two shards, every drawn check in some shard. Any of these is a problem
 * (the merged report would misstate the run) and nothing is merged. Inputs may come in any order; the
 * merged report is in shard order. Pure.
 */
export function mergeShards(inputs: readonly ShardInput[]): ShardMergeResult {
  if (inputs.length === 0) return { ok: false, problems: ['no shard reports given'] }
  const problems: string[] = []
  const sharded = inputs.filter((i) => i.report.meta.shard)
  for (const i of inputs) if (!i.report.meta.shard) problems.push(`${i.source}: not a shard's report (its meta has no "shard"; run smoke with --shard i/n)`)
  if (sharded.length === 0) return { ok: false, problems }
  const info = (i: ShardInput) => i.report.meta.shard!
  const at = (i: ShardInput) => `${i.source} (shard ${info(i).index}/${info(i).total})`

  const byValue = <V>(value: (i: ShardInput) => V, among: readonly ShardInput[] = sharded) => {
    const groups = new Map<V, ShardInput[]>()
    for (const i of among) groups.set(value(i), [...(groups.get(value(i)) ?? []), i])
    return groups
  }
  const disagree = <V>(what: string, value: (i: ShardInput) => V, show: (v: V) => string, among: readonly ShardInput[] = sharded) => {
    const groups = byValue(value, among)
    if (groups.size > 1) problems.push(`${what}: ${[...groups].map(([v, is]) => `${show(v)} in ${is.map((i) => i.source).join(', ')}`).join('; ')}`)
    return groups.size <= 1
  }
  disagree('different targets', (i) => i.report.meta.target, (v) => JSON.stringify(v))
  const sameTotal = disagree('different shard counts', (i) => info(i).total, (v) => `n=${v}`)
  // A shard that failed before it could plan (e.g. an unreadable target file) knows no count: its verdict says why.
  const planned = sharded.filter((i) => info(i).of !== undefined)
  disagree('drawn from different check lists (the target file or --only changed between shards)', (i) => info(i).of!, (v) => `${v} checks`, planned)
  disagree('different report formats', (i) => i.report.schemaVersion, (v) => `schemaVersion ${String(v)}`)

  for (const [index, is] of byValue((i) => info(i).index)) {
    if (is.length > 1) problems.push(`shard ${index} appears ${is.length} times: ${is.map((i) => i.source).join(', ')}`)
  }
  if (sameTotal) {
    const total = info(sharded[0]!).total
    const have = new Set(sharded.map((i) => info(i).index))
    const missing = Array.from({ length: total }, (_, k) => k + 1).filter((k) => !have.has(k))
    if (missing.length > 0) problems.push(`missing shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${total}`).join(', ')} (given: ${sharded.map(at).join(', ')})`)
  }

  // A check id in two shards: from the shard plans (ids) and from the results actually reported.
  const owners = new Map<string, ShardInput[]>()
  for (const i of sharded) {
    for (const id of new Set([...info(i).ids, ...i.report.results.map((r) => r.id)])) owners.set(id, [...(owners.get(id) ?? []), i])
  }
  const twice = [...owners].filter(([, is]) => is.length > 1)
  for (const [id, is] of twice.slice(0, MAX_LISTED)) problems.push(`check id ${JSON.stringify(id)} is in ${is.length} shards: ${is.map(at).join(', ')}`)
  if (twice.length > MAX_LISTED) problems.push(`…and ${twice.length - MAX_LISTED} more check ids in several shards`)

  const of = info(sharded[0]!).of
  if (problems.length === 0 && planned.length === sharded.length && of !== undefined && owners.size !== of) {
    problems.push(`the shards hold ${owners.size} checks but were drawn from ${of}: shard assignment differed between the shards (different runbook-kit versions?) in ${sharded.map((i) => i.source).join(', ')}`)
  }
  if (problems.length > 0) return { ok: false, problems }

  const ordered = [...sharded].sort((a, b) => info(a).index - info(b).index)
  const warnings: string[] = []
  for (const [what, value] of [
    ['runbook-kit versions', (m: RunMeta) => m.version],
    ['git commits', (m: RunMeta) => m.gitCommit ?? '(none)'],
  ] as const) {
    const values = new Map<string, string[]>()
    for (const i of ordered) values.set(value(i.report.meta), [...(values.get(value(i.report.meta)) ?? []), i.source])
    if (values.size > 1) warnings.push(`the shards ran different ${what}: ${[...values].map(([v, s]) => `${v} (${s.join(', ')})`).join('; ')}`)
  }
  const report = mergeReports(ordered.map((i) => i.report))
  if (warnings.length) report.meta.warnings = [...(report.meta.warnings ?? []), ...warnings]
  return { ok: true, report, warnings }
}
