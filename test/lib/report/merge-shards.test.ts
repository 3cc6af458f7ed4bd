import { describe, expect, it } from 'vitest'
import { renderJunit } from '../../../lib/report/junit.ts'
import { renderMarkdown } from '../../../lib/report/markdown.ts'
import { mergeShards, type ShardInput } from '../../../lib/report/merge.ts'
import type { CheckResult } from '../../../lib/result.ts'
import { parseJunit, report, result, validateJunit } from './fixtures.ts'

/** Shard `index` of `total` holding `ids`, read from `dir`. */
function shard(dir: string, index: number, total: number, ids: string[], opts: { of?: number; target?: string; status?: Record<string, CheckResult['status']>; version?: string } = {}): ShardInput {
  const r = report(
    ids.map((id) => result(id, opts.status?.[id] ?? 'pass')),
    {
      runId: `smoke-app-s${index}-${dir}`,
      host: `runner-${index}`,
      target: opts.target ?? 'app',
      startedAt: `2026-11-21T23:3${index}:00.000Z`,
      finishedAt: `2026-11-21T23:3${index}:10.000Z`,
      durationMs: 10_000,
      ...(opts.version ? { version: opts.version } : {}),
      shard: { index, total, ids, of: opts.of ?? 5, source: `--shard ${index}/${total}` },
    },
  )
  return { source: dir, report: r }
}

const good = () => [shard('s1', 1, 3, ['a', 'b']), shard('s2', 2, 3, ['c']), shard('s3', 3, 3, ['d', 'e'])]

describe('mergeShards: one sharded run into one report', () => {
  it('merges shards given in any order into shard order, with summed counts and each shard kept in meta', () => {
    const inputs = good()
    inputs[1]!.report.results[0]!.status = 'fail'
    inputs[1]!.report.meta.verdict = 'failed'
    inputs[1]!.report.meta.exitCode = 1
    const m = mergeShards([inputs[2]!, inputs[0]!, inputs[1]!])
    if (!m.ok) throw new Error(m.problems.join('\n'))
    expect(m.report.results.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(m.report.summary).toEqual({ pass: 4, fail: 1, error: 0, skip: 0, total: 5 })
    expect(m.report.meta).toMatchObject({ verdict: 'failed', exitCode: 1, target: 'app', host: 'runner-1, runner-2, runner-3' })
    expect(m.report.meta.shard).toBeUndefined()
    expect(m.report.meta.shards).toEqual([1, 2, 3].map((i) => ({
      runId: `smoke-app-s${i}-s${i}`,
      host: `runner-${i}`,
      startedAt: `2026-11-21T23:3${i}:00.000Z`,
      finishedAt: `2026-11-21T23:3${i}:10.000Z`,
      durationMs: 10_000,
      verdict: i === 2 ? 'failed' : 'passed',
      exitCode: i === 2 ? 1 : 0,
      shard: inputs[i - 1]!.report.meta.shard,
    })))
    expect(m.warnings).toEqual([])
    // Renders: JUnit counts summed and valid; report.md has a Shards table.
    const xml = renderJunit(m.report)
    expect(validateJunit(xml).status).toBe(0)
    expect(parseJunit(xml).suite).toMatchObject({ '@tests': '5', '@failures': '1' })
    const md = renderMarkdown(m.report, { jsonSha256: '0'.repeat(64) })
    expect(md).toContain('## Shards')
    expect(md).toMatch(/\| 2\/3 \| 1 \| ❌ FAILED \(exit code 1\) \| runner-2 \|/)
  })

  it('accepts empty shards (a pass with 0 checks)', () => {
    const m = mergeShards([shard('s1', 1, 3, ['a', 'b', 'c'], { of: 3 }), shard('s2', 2, 3, [], { of: 3 }), shard('s3', 3, 3, [], { of: 3 })])
    expect(m.ok && m.report.meta.verdict).toBe('passed')
    expect(m.ok && m.report.summary.total).toBe(3)
  })

  it.each<[string, () => ShardInput[], RegExp[]]>([
    ['the same index twice', () => [...good(), shard('s2-again', 2, 3, ['c'])], [/^shard 2 appears 2 times: s2, s2-again$/, /check id "c" is in 2 shards: s2 \(shard 2\/3\), s2-again \(shard 2\/3\)/]],
    ['a missing index', () => [good()[0]!, good()[2]!], [/^missing shard 2\/3 \(given: s1 \(shard 1\/3\), s3 \(shard 3\/3\)\)$/]],
    ['two missing', () => [good()[1]!], [/^missing shards 1\/3, 3\/3/]],
    ['a total mismatch', () => [shard('s1', 1, 2, ['a', 'b']), good()[1]!, good()[2]!], [/^different shard counts: n=2 in s1; n=3 in s2, s3$/]],
    ['the same check in two shards', () => [shard('s1', 1, 3, ['a', 'b', 'c']), good()[1]!, good()[2]!], [/^check id "c" is in 2 shards: s1 \(shard 1\/3\), s2 \(shard 2\/3\)$/]],
    ['different targets', () => [good()[0]!, shard('s2', 2, 3, ['c'], { target: 'other' }), good()[2]!], [/^different targets: "app" in s1, s3; "other" in s2$/]],
    ['drawn from different check lists', () => [good()[0]!, shard('s2', 2, 3, ['c'], { of: 6 }), good()[2]!], [/^drawn from different check lists \(the target file or --only changed between shards\): 5 checks in s1, s3; 6 checks in s2$/]],
    ['a check that no shard holds', () => [shard('s1', 1, 3, ['a']), good()[1]!, good()[2]!], [/^the shards hold 4 checks but were drawn from 5/]],
  ])('refuses %s, naming the inputs', (_what, inputs, expected) => {
    const m = mergeShards(inputs())
    expect(m.ok).toBe(false)
    if (m.ok) return
    for (const re of expected) expect(m.problems.some((p) => re.test(p)), `${re}\nin:\n${m.problems.join('\n')}`).toBe(true)
  })

  it('merges a shard that failed before planning (no ids, no count) into a configuration-error run', () => {
    const broken = shard('s2', 2, 3, [])
    broken.report.meta = { ...broken.report.meta, verdict: 'config-error', exitCode: 2, error: 'target file not found', shard: { index: 2, total: 3, ids: [] } }
    const m = mergeShards([good()[0]!, broken, good()[2]!])
    if (!m.ok) throw new Error(m.problems.join('\n'))
    expect(m.report.meta).toMatchObject({ verdict: 'config-error', exitCode: 2, error: expect.stringContaining('target file not found') })
    expect(m.report.results.map((r) => r.id)).toEqual(['a', 'b', 'd', 'e'])
  })

  it('refuses a report that is not a shard', () => {
    const plain = good()[0]!
    delete plain.report.meta.shard
    const m = mergeShards([plain, good()[1]!, good()[2]!])
    expect(m.ok).toBe(false)
    expect(!m.ok && m.problems).toContainEqual(expect.stringMatching(/^s1: not a shard's report/))
  })

  it('counts long lists of duplicated ids instead of listing them all', () => {
    const ids = Array.from({ length: 15 }, (_, i) => `x${i}`)
    const m = mergeShards([shard('s1', 1, 2, ids, { of: 15 }), shard('s2', 2, 2, ids, { of: 15 })])
    expect(!m.ok && m.problems.filter((p) => p.startsWith('check id'))).toHaveLength(10)
    expect(!m.ok && m.problems).toContainEqual('…and 5 more check ids in several shards')
  })

  it('merges but warns when the shards ran different runbook-kit versions', () => {
    const inputs = good()
    inputs[2] = shard('s3', 3, 3, ['d', 'e'], { version: '0.2.0' })
    const m = mergeShards(inputs)
    expect(m.ok).toBe(true)
    if (!m.ok) return
    expect(m.warnings).toEqual(['the shards ran different runbook-kit versions: 0.1.0 (s1, s2); 0.2.0 (s3)'])
    expect(m.report.meta.warnings).toEqual(m.warnings)
  })
})
