import { describe, expect, it } from 'vitest'
import { UsageError } from '../../lib/errors.ts'
import { resolveShard, type ShardFlags } from '../../smoke/shard-env.ts'

type Env = Record<string, string>

describe('resolveShard: which shard this process is', () => {
  it.each<[string, ShardFlags, Env, { index: number; total: number; source: RegExp } | undefined]>([
    ['nothing set: not sharded', {}, {}, undefined],
    ['--shard (the GitHub matrix way)', { shard: '2/3' }, {}, { index: 2, total: 3, source: /^--shard 2\/3$/ }],
    ['--shard wins over CI variables', { shard: '1/1' }, { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '4' }, { index: 1, total: 1, source: /--shard 1\/1/ }],
    ['GitLab parallel (1-based)', {}, { CI_NODE_INDEX: '1', CI_NODE_TOTAL: '4' }, { index: 1, total: 4, source: /CI_NODE_INDEX=1 of CI_NODE_TOTAL=4/ }],
    ['GitLab last node', {}, { CI_NODE_INDEX: '4', CI_NODE_TOTAL: '4' }, { index: 4, total: 4, source: /GitLab/ }],
    ['Buildkite parallelism (0-based)', {}, { BUILDKITE_PARALLEL_JOB: '0', BUILDKITE_PARALLEL_JOB_COUNT: '3' }, { index: 1, total: 3, source: /BUILDKITE_PARALLEL_JOB=0.*0-based/ }],
    ['Buildkite last job', {}, { BUILDKITE_PARALLEL_JOB: '2', BUILDKITE_PARALLEL_JOB_COUNT: '3' }, { index: 3, total: 3, source: /Buildkite/ }],
    ['Kubernetes Indexed Job with --shard-total', { shardTotal: '3' }, { JOB_COMPLETION_INDEX: '0' }, { index: 1, total: 3, source: /JOB_COMPLETION_INDEX=0 \(0-based\), --shard-total 3/ }],
    ['Kubernetes Indexed Job with RUNBOOK_KIT_SHARD_TOTAL', {}, { JOB_COMPLETION_INDEX: '2', RUNBOOK_KIT_SHARD_TOTAL: '3' }, { index: 3, total: 3, source: /RUNBOOK_KIT_SHARD_TOTAL=3/ }],
    ['--shard-total over RUNBOOK_KIT_SHARD_TOTAL', { shardTotal: '5' }, { JOB_COMPLETION_INDEX: '4', RUNBOOK_KIT_SHARD_TOTAL: '3' }, { index: 5, total: 5, source: /--shard-total 5/ }],
    ['JOB_COMPLETION_INDEX alone does not shard (the total is unknown)', {}, { JOB_COMPLETION_INDEX: '1' }, undefined],
    ['half of the GitLab pair does not shard', {}, { CI_NODE_INDEX: '1' }, undefined],
    ['empty variables count as unset', {}, { CI_NODE_INDEX: '', CI_NODE_TOTAL: '' }, undefined],
    ['a total with a GitLab index that agrees', { shardTotal: '4' }, { CI_NODE_INDEX: '3', CI_NODE_TOTAL: '4' }, { index: 3, total: 4, source: /GitLab/ }],
  ])('%s', (_name, flags, env, expected) => {
    const got = resolveShard(flags, env)
    if (expected === undefined) return expect(got).toBeUndefined()
    expect(got).toMatchObject({ index: expected.index, total: expected.total })
    expect(got!.source).toMatch(expected.source)
  })

  it.each<[string, ShardFlags, Env, RegExp]>([
    ['a bad --shard', { shard: '4/3' }, {}, /--shard: the shard index must be from 1 to 3, got 4/],
    ['--shard and --shard-total disagreeing', { shard: '1/3', shardTotal: '4' }, {}, /--shard 1\/3 disagrees with --shard-total 4/],
    ['a total without any index', { shardTotal: '3' }, {}, /needs the shard's index: JOB_COMPLETION_INDEX/],
    ['JOB_COMPLETION_INDEX beyond the total', { shardTotal: '3' }, { JOB_COMPLETION_INDEX: '3' }, /JOB_COMPLETION_INDEX=3 with --shard-total 3: the shard index must be from 1 to 3, got 4/],
    ['a non-numeric JOB_COMPLETION_INDEX', { shardTotal: '3' }, { JOB_COMPLETION_INDEX: 'x' }, /JOB_COMPLETION_INDEX must be a whole number, got "x"/],
    ['a non-numeric total', { shardTotal: 'three' }, { JOB_COMPLETION_INDEX: '0' }, /--shard-total must be a whole number/],
    ['GitLab index 0 (it is 1-based)', {}, { CI_NODE_INDEX: '0', CI_NODE_TOTAL: '2' }, /CI_NODE_INDEX=0 of CI_NODE_TOTAL=2.*must be from 1 to 2, got 0/],
    ['a total disagreeing with GitLab', { shardTotal: '3' }, { CI_NODE_INDEX: '1', CI_NODE_TOTAL: '4' }, /disagrees with --shard-total 3/],
  ])('%s is a usage error that says why', (_name, flags, env, message) => {
    expect(() => resolveShard(flags, env)).toThrow(UsageError)
    expect(() => resolveShard(flags, env)).toThrow(message)
  })
})
