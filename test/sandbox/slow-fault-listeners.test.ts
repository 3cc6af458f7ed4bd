import { afterAll, beforeAll, expect, it } from 'vitest'
import { latencySample } from '../../checks/latency.ts'
import { startSandbox, type Sandbox } from '../../sandbox/index.ts'

/**
 * `smoke --target sandbox --fault slow` printed MaxListenersExceededWarning: every delayed request
 * waited on the sandbox's one lifetime signal, so 11 requests in flight tripped Node's leak warning.
 */
let sb: Sandbox
beforeAll(async () => {
  sb = await startSandbox({ faults: ['slow'], slowMs: 200 })
})
afterAll(async () => {
  await sb?.close()
})

it('the slow fault serves more than 10 concurrent requests without a MaxListenersExceededWarning', async () => {
  const warnings: Error[] = []
  const onWarning = (w: Error) => warnings.push(w)
  process.on('warning', onWarning)
  try {
    const r = await latencySample({ url: `${sb.httpsUrl}/health`, ca: sb.caPem, requests: 24, concurrency: 12, maxDuration: 10_000 })
    expect(r.evidence.completed, r.message).toBe(24)
    expect(r.evidence.p50Ms).toBeGreaterThanOrEqual(190)
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', onWarning)
  }
  expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([])
})
