import { UsageError } from '../lib/errors.ts'
import { checkShard, parseShard, type Shard } from './shard.ts'

/**
 * Which shard this process is: from `--shard i/n`, or from the CI's own parallel-job variables. Pure
 * (the environment is a parameter).
 *
 * Order, first match wins:
 * 1. `--shard i/n` (1-based). GitHub Actions has no index variable for a matrix job: write
 *    `--shard ${{ matrix.shard }}/${{ strategy.job-total }}`.
 * 2. A total from `--shard-total N` or `RUNBOOK_KIT_SHARD_TOTAL`, with the index from Kubernetes'
 *    `JOB_COMPLETION_INDEX` (0-based; Indexed Jobs set it in every pod), else from the GitLab or
 *    Buildkite variables below (their total must agree).
 * 3. GitLab `parallel: N`: `CI_NODE_INDEX` (1-based) of `CI_NODE_TOTAL`.
 * 4. Buildkite `parallelism: N`: `BUILDKITE_PARALLEL_JOB` (0-based) of `BUILDKITE_PARALLEL_JOB_COUNT`.
 * Nothing found: the run is not sharded. `--shard 1/1` runs every check even where CI variables are set
 * (GitLab also sets CI_NODE_* for `parallel: matrix:` jobs, which may not mean to split the suite).
 */

export interface ResolvedShard extends Shard {
  /** Where the numbers came from, for the terminal and report.json, e.g. `JOB_COMPLETION_INDEX=1, --shard-total 3`. */
  source: string
}

export interface ShardFlags {
  /** `--shard i/n`. */
  shard?: string
  /** `--shard-total N`. */
  shardTotal?: string
}

export function resolveShard(flags: ShardFlags, env: Record<string, string | undefined>): ResolvedShard | undefined {
  const totalText = flags.shardTotal ?? nonEmpty(env.RUNBOOK_KIT_SHARD_TOTAL)
  const totalFrom = flags.shardTotal !== undefined ? `--shard-total ${flags.shardTotal}` : `RUNBOOK_KIT_SHARD_TOTAL=${totalText}`
  const total = totalText === undefined ? undefined : int(totalText, flags.shardTotal !== undefined ? '--shard-total' : 'RUNBOOK_KIT_SHARD_TOTAL')

  if (flags.shard !== undefined) {
    const s = parseShard(flags.shard)
    if (total !== undefined && total !== s.total) throw new UsageError(`--shard ${flags.shard} disagrees with ${totalFrom}: give one of them`)
    return { ...s, source: `--shard ${flags.shard}` }
  }

  const ci = ciShard(env)
  if (total !== undefined) {
    const k8s = nonEmpty(env.JOB_COMPLETION_INDEX)
    if (k8s !== undefined) {
      const index = int(k8s, 'JOB_COMPLETION_INDEX') + 1
      return { ...checkShard(index, total, `JOB_COMPLETION_INDEX=${k8s} with ${totalFrom}`), source: `JOB_COMPLETION_INDEX=${k8s} (0-based), ${totalFrom}` }
    }
    if (ci) {
      if (ci.total !== total) throw new UsageError(`${ci.source} disagrees with ${totalFrom}`)
      return ci
    }
    throw new UsageError(`${totalFrom} needs the shard's index: JOB_COMPLETION_INDEX (a Kubernetes Indexed Job sets it), CI_NODE_INDEX (GitLab) or BUILDKITE_PARALLEL_JOB; or give --shard i/n`)
  }
  return ci
}

/** GitLab's or Buildkite's parallel-job variables, when both halves are set. */
function ciShard(env: Record<string, string | undefined>): ResolvedShard | undefined {
  const gitlab = [nonEmpty(env.CI_NODE_INDEX), nonEmpty(env.CI_NODE_TOTAL)] as const
  if (gitlab[0] !== undefined && gitlab[1] !== undefined) {
    const source = `CI_NODE_INDEX=${gitlab[0]} of CI_NODE_TOTAL=${gitlab[1]} (GitLab, 1-based)`
    return { ...checkShard(int(gitlab[0], 'CI_NODE_INDEX'), int(gitlab[1], 'CI_NODE_TOTAL'), source), source }
  }
  const bk = [nonEmpty(env.BUILDKITE_PARALLEL_JOB), nonEmpty(env.BUILDKITE_PARALLEL_JOB_COUNT)] as const
  if (bk[0] !== undefined && bk[1] !== undefined) {
    const source = `BUILDKITE_PARALLEL_JOB=${bk[0]} of BUILDKITE_PARALLEL_JOB_COUNT=${bk[1]} (Buildkite, 0-based)`
    return { ...checkShard(int(bk[0], 'BUILDKITE_PARALLEL_JOB') + 1, int(bk[1], 'BUILDKITE_PARALLEL_JOB_COUNT'), source), source }
  }
  return undefined
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

function int(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${what} must be a whole number, got "${text}"`)
  return Number(text.trim())
}
