import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { judgeLatency, latencySample, percentile, summarizeLatency, type LatencyObservation } from '../../checks/latency.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'

let arrivals = 0
let flaky = 0
const server: Server = createServer((req, res) => {
  const path = req.url ?? '/'
  if (path.startsWith('/mixed')) {
    // Every 10th arrival is slow: 90 % of requests take ~20 ms, 10 % take ~200 ms.
    const delay = arrivals++ % 10 === 9 ? 200 : 20
    setTimeout(() => res.end('ok'), delay)
  } else if (path.startsWith('/flaky')) {
    res.statusCode = flaky++ % 4 === 3 ? 500 : 200
    res.end('x')
  } else if (path.startsWith('/slow')) {
    const t = setTimeout(() => res.end('late'), 2000)
    res.on('close', () => clearTimeout(t))
  } else res.end('ok')
})
let base = ''
let closedPort = 0

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const tmp = createServer()
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r))
  closedPort = (tmp.address() as AddressInfo).port
  await new Promise((r) => tmp.close(r))
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})

describe('latencySample against a loopback server with controlled delays', () => {
  it('measures percentiles that match the delays within a tolerance', async () => {
    arrivals = 0
    const r = await latencySample({ url: `${base}/mixed`, requests: 100, concurrency: 10, p95: 1000 })
    expect(r.status, r.message).toBe('pass')
    const e = r.evidence
    expect(e.completed).toBe(100)
    expect(e.errors).toBe(0)
    expect(e.statusCodes).toEqual({ 200: 100 })
    // Tolerances are generous on the low side of scheduling noise on a shared 2-core machine.
    expect(e.p50Ms).toBeGreaterThanOrEqual(19)
    expect(e.p50Ms).toBeLessThan(120)
    expect(e.p95Ms).toBeGreaterThanOrEqual(199)
    expect(e.p95Ms).toBeLessThan(400)
    expect(e.p99Ms).toBeGreaterThanOrEqual(199)
    expect(e.maxMs).toBeGreaterThanOrEqual(e.p99Ms!)
    expect(r.message).toMatch(/^p50 [\d.]+ ms, p95 \d+ ms, p99 \d+ ms, max \d+ ms, 0 error\(s\) over 100 responses \(c=10\)$/)
  })

  it('fails when a percentile threshold is broken and says which', async () => {
    arrivals = 0
    const r = await latencySample({ url: `${base}/mixed`, requests: 40, concurrency: 10, p50: 150, p95: 100 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^p95 \d+ ms > 100 ms/)
    expect(r.message).not.toMatch(/p50 [\d.]+ ms >/)
  })

  it('counts HTTP errors and network errors', async () => {
    flaky = 0
    const r = await latencySample({ url: `${base}/flaky`, requests: 20, concurrency: 2 })
    expect(r.status).toBe('fail')
    expect(r.evidence.errors).toBe(5)
    expect(r.evidence.statusCodes).toEqual({ 200: 15, 500: 5 })
    expect(r.message).toContain('5 error(s) (allowed 0), e.g. HTTP 500')
    flaky = 0
    const tolerant = await latencySample({ url: `${base}/flaky`, requests: 20, concurrency: 2, maxErrors: 5 })
    expect(tolerant.status).toBe('pass')

    const down = await latencySample({ url: `http://127.0.0.1:${closedPort}/`, requests: 5, concurrency: 2 })
    expect(down.status).toBe('fail')
    expect(down.evidence.errors).toBe(5)
    expect(down.evidence.errorReasons[0]?.reason).toMatch(/ECONNREFUSED/)
  })

  it('respects the time bound and reports unfinished requests', async () => {
    const t0 = Date.now()
    const r = await latencySample({ url: `${base}/slow`, requests: 10, concurrency: 2, maxDuration: 500 })
    const took = Date.now() - t0
    expect(took).toBeLessThan(1500)
    expect(r.status).toBe('fail')
    expect(r.evidence.unfinished).toBe(10)
    expect(r.evidence.errors).toBe(0)
    expect(r.message).toContain('only 0 of 10 requests finished within the 500 ms time bound')
  })

  it('many concurrent requests on one signal raise no MaxListenersExceededWarning (the --fault slow report)', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    try {
      // A caller signal as the runner passes one, and more requests in flight than the default 10 listeners.
      const ctl = new AbortController()
      const r = await latencySample({ url: `${base}/slow`, requests: 40, concurrency: 20, maxDuration: 400, signal: ctl.signal })
      expect(r.evidence.unfinished).toBe(40)
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([])
  })

  it('rejects bad arguments', async () => {
    await expect(latencySample({ url: base, requests: 0 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(latencySample({ url: base, concurrency: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(latencySample({ url: base, p95: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(latencySample({ url: 'ftp://x' })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})

describe('the latency kind (target-file entries)', () => {
  it('builds a runnable check from a relative url and duration thresholds', async () => {
    const spec = await buildKind({ id: 'lat', kind: 'latency', url: '/health', requests: 5, concurrency: 2, p95: '1s', maxDuration: '10s' }, testBuildContext('/tmp', { baseUrl: base }))
    expect(spec.title).toBe(`Latency of GET ${base}/health over 5 requests (p95 < 1000 ms)`)
    const result = await spec.run(AbortSignal.timeout(5000))
    expect(result.status, result.message).toBe('pass')
    expect(result.evidence).toMatchObject({ requests: 5, maxDurationMs: 10_000, thresholds: { p95: 1000 } })
  })

  it('the time bound ends before the attempt deadline, so running out of time names it', async () => {
    const spec = await buildKind({ id: 'lat', kind: 'latency', url: `${base}/slow`, requests: 4, concurrency: 2 }, testBuildContext('/tmp'))
    const started = Date.now()
    const r = await spec.run(AbortSignal.timeout(3000), started + 1000)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^only 0 of 4 requests finished within the (8|9)\d\d ms time bound/)
  })
})

describe('latency statistics', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
  it.each([
    [hundred, 50, 50],
    [hundred, 95, 95],
    [hundred, 99, 99],
    [hundred, 100, 100],
    [[5], 99, 5],
    [[1, 2], 50, 1],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95, 10],
    [[], 50, Number.NaN],
  ])('percentile(%j, %d) = %d', (values, p, want) => {
    expect(percentile(values, p)).toBe(want)
  })

  it('summarizes unsorted input', () => {
    expect(summarizeLatency([30, 10, 20])).toEqual({ completed: 3, minMs: 10, meanMs: 20, p50Ms: 20, p95Ms: 30, p99Ms: 30, maxMs: 30 })
    expect(summarizeLatency([])).toBeUndefined()
  })

  const ctx = { url: 'http://x/', method: 'GET', requests: 4, concurrency: 2, elapsedMs: 10, maxDurationMs: 1000 }
  const ok = (ms: number): LatencyObservation => ({ latencyMs: ms, status: 200 })
  it.each([
    ['all fast', [ok(10), ok(10), ok(10), ok(10)], { p95: 50, maxErrors: 0 }, 'pass'],
    ['one slow breaks max', [ok(10), ok(10), ok(10), ok(90)], { max: 50, maxErrors: 0 }, 'fail'],
    ['a 503 is an error', [ok(10), ok(10), ok(10), { latencyMs: 5, status: 503 }], { maxErrors: 0 }, 'fail'],
    ['errors within budget', [ok(10), ok(10), ok(10), { error: 'connection reset' }], { maxErrors: 1 }, 'pass'],
    ['unfinished fails', [ok(10), ok(10), ok(10), {}], { maxErrors: 0 }, 'fail'],
    ['nothing answered', [{ error: 'refused' }, { error: 'refused' }, { error: 'refused' }, { error: 'refused' }], { maxErrors: 0 }, 'fail'],
  ])('%s', (_n, obs, thresholds, status) => {
    expect(judgeLatency(obs, { ...ctx, thresholds }).status).toBe(status)
  })
})
