import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../../lib/errors.ts'
import { renderJunit } from '../../../lib/report/junit.ts'
import { mergeReports } from '../../../lib/report/merge.ts'
import type { RunVerdict } from '../../../lib/report/model.ts'
import { meta, parseJunit, report, result, steps, validateJunit } from './fixtures.ts'

function shard(n: number, ids: string[], over: Parameters<typeof meta>[0] = {}) {
  return report(
    ids.map((id) => result(id, 'pass')),
    {
      runId: `smoke-sandbox-shard${n}`,
      host: `ci-${n}`,
      startedAt: `2026-11-21T23:3${n}:00.000Z`,
      finishedAt: `2026-11-21T23:3${n}:30.000Z`,
      ...over,
    },
  )
}

describe('mergeReports', () => {
  it('concatenates results in shard order, recounts, and spans the union of the time ranges', () => {
    const a = shard(1, ['health', 'ready'])
    const b = shard(3, ['tls'])
    b.results[0]!.status = 'fail'
    const m = mergeReports([a, b])
    expect(m.results.map((r) => r.id)).toEqual(['health', 'ready', 'tls'])
    expect(m.summary).toEqual({ pass: 2, fail: 1, error: 0, skip: 0, total: 3 })
    expect(m.meta.startedAt).toBe('2026-11-21T23:31:00.000Z')
    expect(m.meta.finishedAt).toBe('2026-11-21T23:33:30.000Z')
    expect(m.meta.durationMs).toBe(150_000)
    expect(m.meta.host).toBe('ci-1, ci-3')
    expect(m.meta.mergedFrom).toEqual(['smoke-sandbox-shard1', 'smoke-sandbox-shard3'])
    expect(m.meta.runId).toMatch(/^smoke-sandbox-merged-[0-9a-f]{12}$/)
    expect(mergeReports([a, b])).toEqual(m) // pure and deterministic
  })

  it('prefixes ids that occur in several shards with the shard, keeping them unique and steps pointing right', () => {
    const a = shard(1, ['health', 'tls'])
    const b = shard(2, ['health', 'queue'])
    b.steps = [{ ...steps()[0]!, checks: ['health', 'queue'] }]
    const m = mergeReports([a, b])
    expect(m.results.map((r) => r.id)).toEqual(['shard1.health', 'tls', 'shard2.health', 'queue'])
    expect(m.steps[0]!.checks).toEqual(['shard2.health', 'queue'])
    // The merged report still renders to a valid JUnit file with unique test names.
    const xml = renderJunit(m)
    expect(validateJunit(xml).status).toBe(0)
    const names = parseJunit(xml).cases.map((c) => c.name)
    expect(new Set(names).size).toBe(names.length)
  })

  it('does not modify its inputs', () => {
    const a = shard(1, ['health'])
    const b = shard(2, ['health'])
    const before = JSON.stringify([a, b])
    mergeReports([a, b])
    expect(JSON.stringify([a, b])).toBe(before)
  })

  it.each<[RunVerdict[], RunVerdict, number]>([
    [['passed', 'passed'], 'passed', 0],
    [['passed', 'failed'], 'failed', 1],
    [['failed', 'interrupted'], 'interrupted', 130],
    [['interrupted', 'config-error', 'failed'], 'config-error', 2],
  ])('takes the worst verdict of %j → %s (exit %i)', (verdicts, expected, exitCode) => {
    const codes: Record<RunVerdict, number> = { passed: 0, failed: 1, interrupted: 130, 'config-error': 2 }
    const m = mergeReports(verdicts.map((v, i) => shard(i + 1, [`c${i}`], { verdict: v, exitCode: codes[v] })))
    expect(m.meta.verdict).toBe(expected)
    expect(m.meta.exitCode).toBe(exitCode)
  })

  it('keeps shard errors and the union of faults', () => {
    const m = mergeReports([
      shard(1, ['a'], { faults: ['slow'] }),
      shard(2, [], { verdict: 'config-error', exitCode: 2, error: 'missing WEBHOOK_SECRET', faults: ['slow', 'no-hsts'] }),
    ])
    expect(m.meta.faults).toEqual(['slow', 'no-hsts'])
    expect(m.meta.error).toBe('shard 2 (smoke-sandbox-shard2): missing WEBHOOK_SECRET')
  })

  it('rejects an empty list', () => {
    expect(() => mergeReports([])).toThrow(InvalidArgumentError)
  })
})
