import { describe, expect, it } from 'vitest'
import type { CheckResult } from '../../lib/result.ts'
import { runChecks, type CheckSpec, type RunnerEvent } from '../../lib/runner.ts'

function result(id: string, status: CheckResult['status'], message: string = status): CheckResult {
  return { id, title: id, status, message, evidence: {}, startedAt: new Date().toISOString(), durationMs: 0, attempts: 1 }
}

function delayed(id: string, ms: number, status: CheckResult['status'] = 'pass'): CheckSpec {
  return {
    id,
    title: id,
    kind: 'test',
    run: (signal) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve(result(id, status)), ms)
        signal.addEventListener('abort', () => {
          clearTimeout(t)
          reject(signal.reason)
        })
      }),
  }
}

describe('runChecks', () => {
  it('never has more checks in flight than the concurrency bound, and keeps the input order', async () => {
    let inFlight = 0
    let peak = 0
    const specs: CheckSpec[] = Array.from({ length: 12 }, (_, i) => ({
      id: `c${i}`,
      title: `c${i}`,
      kind: 'test',
      run: async () => {
        inFlight++
        peak = Math.max(peak, inFlight)
        await new Promise((r) => setTimeout(r, 20 + ((i * 7) % 5) * 5))
        inFlight--
        return result(`c${i}`, 'pass')
      },
    }))
    const out = await runChecks(specs, { concurrency: 3 })
    expect(peak).toBe(3)
    expect(out.results.map((r) => r.id)).toEqual(specs.map((s) => s.id))
    expect(out.results.every((r) => r.status === 'pass')).toBe(true)
  })

  it('fails a check that exceeds its timeout, even one that ignores its signal', async () => {
    const stubborn: CheckSpec = {
      id: 'stubborn',
      title: 'ignores abort',
      kind: 'test',
      timeoutMs: 100,
      run: () => new Promise((r) => setTimeout(() => r(result('stubborn', 'pass')), 2000).unref()),
    }
    const out = await runChecks([stubborn, { ...delayed('polite', 5000), timeoutMs: 80 }])
    expect(out.results[0]).toMatchObject({ status: 'fail', message: 'timed out after 100 ms' })
    expect(out.results[1]?.status).toBe('fail')
    expect(out.results[1]?.message).toMatch(/^timed out after 80 ms/)
    expect(out.results[0]!.durationMs).toBeLessThan(1000)
  })

  it('eventually: passes on a later attempt and records every attempt', async () => {
    let n = 0
    const spec: CheckSpec = {
      id: 'flaky',
      title: 'flaky',
      kind: 'test',
      eventually: { timeoutMs: 5000, intervalMs: 20 },
      run: async () => {
        n++
        return n < 3 ? result('flaky', 'fail', `not yet (${n})`) : result('flaky', 'pass', 'ready')
      },
    }
    const events: RunnerEvent[] = []
    const out = await runChecks([spec], { onEvent: (e) => events.push(e) })
    const r = out.results[0]!
    expect(r.status).toBe('pass')
    expect(r.attempts).toBe(3)
    expect(r.message).toBe('ready (passed on attempt 3)')
    expect(r.attemptLog?.map((a) => [a.attempt, a.status, a.message])).toEqual([
      [1, 'fail', 'not yet (1)'],
      [2, 'fail', 'not yet (2)'],
      [3, 'pass', 'ready'],
    ])
    expect(events.filter((e) => e.kind === 'retry')).toHaveLength(2)
  })

  it('eventually: gives up at the deadline with the last failure', async () => {
    const spec: CheckSpec = {
      id: 'never',
      title: 'never',
      kind: 'test',
      eventually: { timeoutMs: 300, intervalMs: 50 },
      run: async () => result('never', 'fail', 'still broken'),
    }
    const started = Date.now()
    const r = (await runChecks([spec])).results[0]!
    expect(r.status).toBe('fail')
    expect(r.attempts).toBeGreaterThan(2)
    expect(r.message).toMatch(/^still broken \(still failing after \d+ attempts/)
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('does not retry an error (bad configuration is not fixed by waiting)', async () => {
    let n = 0
    const spec: CheckSpec = { id: 'e', title: 'e', kind: 'test', eventually: { timeoutMs: 2000, intervalMs: 10 }, run: async () => (n++, result('e', 'error')) }
    const r = (await runChecks([spec])).results[0]!
    expect(r.status).toBe('error')
    expect(n).toBe(1)
  })

  it('turns a crashing check into an error result instead of throwing', async () => {
    const spec: CheckSpec = { id: 'boom', title: 'boom', kind: 'test', run: async () => { throw new Error('kaboom') } }
    const r = (await runChecks([spec])).results[0]!
    expect(r).toMatchObject({ status: 'error', message: 'check crashed: kaboom' })
  })

  it('reports skip without running', async () => {
    let ran = false
    const r = (await runChecks([{ id: 's', title: 's', kind: 'test', skip: 'waived (OPS-12)', run: async () => ((ran = true), result('s', 'pass')) }])).results[0]!
    expect(ran).toBe(false)
    expect(r).toMatchObject({ status: 'skip', message: 'waived (OPS-12)' })
  })

  it('on abort: stops in-flight checks, marks them and the queued ones as interrupted', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const started = Date.now()
    const out = await runChecks([delayed('fast', 10), delayed('slow1', 5000), delayed('slow2', 5000), delayed('queued', 10)], { concurrency: 2, signal: controller.signal })
    expect(Date.now() - started).toBeLessThan(1000)
    expect(out.interrupted).toBe(true)
    const byId = Object.fromEntries(out.results.map((r) => [r.id, r]))
    expect(byId.fast?.status).toBe('pass')
    expect(byId.slow1).toMatchObject({ status: 'error', interrupted: true, message: 'interrupted while running' })
    expect(byId.queued).toMatchObject({ status: 'skip', interrupted: true, attempts: 0 })
  })

  it('rejects duplicate ids and a bad concurrency', async () => {
    await expect(runChecks([delayed('a', 1), delayed('a', 1)])).rejects.toThrow(/duplicate check id "a"/)
    await expect(runChecks([delayed('a', 1)], { concurrency: 0 })).rejects.toThrow(/concurrency/)
  })
})

describe('interrupts around retries', () => {
  it('an abort during the pause between attempts makes no extra attempt and marks the check interrupted', async () => {
    let attempts = 0
    const controller = new AbortController()
    const spec: CheckSpec = {
      id: 'waiting',
      title: 'waiting',
      kind: 'test',
      eventually: { timeoutMs: 60_000, intervalMs: 5_000 },
      run: async () => {
        attempts++
        if (attempts === 1) setTimeout(() => controller.abort(), 100)
        return result('waiting', 'fail', 'not yet')
      },
    }
    const started = Date.now()
    const out = await runChecks([spec], { signal: controller.signal })
    expect(attempts).toBe(1)
    expect(Date.now() - started).toBeLessThan(4_000)
    expect(out.results[0]).toMatchObject({ status: 'error', interrupted: true, attempts: 1, message: 'interrupted while waiting to retry; attempt 1: not yet' })
  })

  it('a check started under an already-aborted signal that ignores it still ends', async () => {
    const controller = new AbortController()
    controller.abort()
    const stubborn: CheckSpec = { id: 's', title: 's', kind: 'test', run: () => new Promise(() => {}) }
    const { results } = await runChecks([stubborn], { signal: controller.signal })
    // Nothing ran: the run was over before it began.
    expect(results[0]).toMatchObject({ status: 'skip', interrupted: true })
  })
})

it('a check that rejects its options at run time is an error that says so, not a crash', async () => {
  const { InvalidArgumentError } = await import('../../lib/errors.ts')
  const spec: CheckSpec = { id: 'bad', title: 'bad', kind: 'test', run: async () => { throw new InvalidArgumentError('malformed PostgreSQL URL') } }
  const r = (await runChecks([spec])).results[0]!
  expect(r).toMatchObject({ status: 'error', message: 'invalid configuration: malformed PostgreSQL URL' })
})
