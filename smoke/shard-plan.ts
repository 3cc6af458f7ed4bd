import { loadYamlFile } from '../lib/config.ts'
import { ConfigError, UsageError } from '../lib/errors.ts'
import type { ShardInfo } from '../lib/report/model.ts'
import type { CheckSpec } from '../lib/runner.ts'
import type { TargetEnvironment } from './environment.ts'
import type { ResolvedShard } from './shard-env.ts'
import { selectShard, type GroupKey } from './shard.ts'
import { loadTarget, resolveTargetPath, type LoadedTarget, type TargetFile } from './target-file.ts'

/**
 * A shard's plan, made before anything starts: which of the target's checks it runs, so the sandbox
 * starts only the services those need and an empty shard starts nothing at all. It reads only the ids
 * from the file (validating a target compiles its schema, which takes a noticeable fraction of a second);
 * the run validates the file as usual, or, for an empty shard that runs nothing, the plan does.
 */

type TargetEntry = TargetFile['checks'][number]

export interface ShardPlan {
  /** For report.json's `meta.shard`. */
  info: ShardInfo
  /** Set when the shard is empty: the validated target (there is nothing to run against it). */
  emptyTarget?: LoadedTarget
}

/**
 * How a target file's checks are grouped for sharding. Today every check is its own group (checks are
 * independent). When checks can depend on each other (a chain: one check reads what another wrote),
 * return `dependencyGroups(entries, (e) => e.after ?? [])` here, so that a chain always runs in one shard.
 */
export function targetGroupKey(_entries: readonly TargetEntry[]): GroupKey<TargetEntry> {
  return (entry) => entry.id
}

export async function planShard(
  target: string,
  opts: { cwd: string; shard: ResolvedShard; only?: string[]; group?: (entries: readonly TargetEntry[]) => GroupKey<TargetEntry> },
): Promise<ShardPlan> {
  const file = resolveTargetPath(target, opts.cwd)
  const data = (await loadYamlFile(file)).data as { checks?: unknown } | null
  // Entries without a string id make the file invalid; the validation that follows says so with line numbers.
  const all = (Array.isArray(data?.checks) ? data.checks : []).filter((c): c is TargetEntry => typeof (c as { id?: unknown } | null)?.id === 'string')
  const only = opts.only ?? []
  const unknown = only.filter((id) => !all.some((c) => c.id === id))
  if (unknown.length > 0) {
    await loadTarget(target, { cwd: opts.cwd }) // an invalid file is the better message
    throw new ConfigError(`--only names unknown check id(s): ${unknown.join(', ')} (known: ${all.map((c) => c.id).join(', ')})`, { file })
  }
  const pool = only.length > 0 ? all.filter((c) => only.includes(c.id)) : all
  // The groups are computed over the whole target, so that --only cannot split a chain differently.
  const group = (opts.group ?? targetGroupKey)(all)
  const mine = selectShard(pool, opts.shard, group)
  const info: ShardInfo = { index: opts.shard.index, total: opts.shard.total, ids: mine.map((c) => c.id), of: pool.length, source: opts.shard.source }
  return mine.length > 0 ? { info } : { info, emptyTarget: await loadTarget(target, { cwd: opts.cwd }) }
}

/**
 * The environment of a shard with no checks: nothing is started and nothing runs. The rule that
 * `--fault` needs a sandbox target still holds, so that every shard of a run agrees about its options.
 */
export function emptyShardEnvironment(loaded: LoadedTarget, faults: readonly string[] = []): TargetEnvironment {
  const all = [...(loaded.target.sandbox?.faults ?? []), ...faults]
  if (!loaded.target.sandbox && faults.length > 0) throw new UsageError(`--fault applies to sandbox targets only; "${loaded.name}" is not served by the sandbox`)
  const checks: CheckSpec[] = []
  return { loaded, target: loaded.target, checks, vars: {}, faults: all, sandbox: Boolean(loaded.target.sandbox), close: async () => undefined }
}

/** What the terminal says about the shard before it runs. */
export function shardBanner(info: ShardInfo): string {
  const head = `shard ${info.index}/${info.total} (${info.source ?? '--shard'})`
  if (info.ids.length === 0) return `${head}: none of the ${info.of ?? 0} checks hash to this shard; nothing to run, which is a pass with 0 checks`
  return `${head}: ${info.ids.length} of ${info.of ?? info.ids.length} checks`
}
