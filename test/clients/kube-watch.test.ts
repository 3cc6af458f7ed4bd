import { describe, expect, it } from 'vitest'
import { backoffDelay, createKubeClient, SHORT_WATCH_MS, WATCH_BACKOFF, watchUntil } from '../../clients/kube.ts'
import { startFaultServer } from '../helpers/kube-fault-server.ts'

describe('backoffDelay (client-go reflector defaults: 800 ms doubling to 30 s, jitter 1.0)', () => {
  const o = { initialMs: WATCH_BACKOFF.initialMs, capMs: WATCH_BACKOFF.maxMs }
  it.each([
    [0, 0, 800],
    [0, 0.999, 1599.2],
    [1, 0, 1600],
    [2, 0.5, 4800],
    [5, 0, 25_600],
    [6, 0, 30_000],
    [20, 0.5, 45_000],
  ])('step %i, random %d → %d ms', (step, r, ms) => {
    expect(backoffDelay(step, { ...o, random: () => r })).toBeCloseTo(ms, 6)
  })

  it('never waits past the deadline', () => {
    expect(backoffDelay(4, { ...o, remainingMs: 700, random: () => 0.9 })).toBe(700)
    expect(backoffDelay(0, { ...o, remainingMs: -5 })).toBe(0)
  })

  it('a very short watch is one that ends within a second without events', () => {
    expect(SHORT_WATCH_MS).toBe(1000)
  })
})

describe('watchUntil against a server that closes every watch at once', () => {
  it('is bounded by the backoff and gives up at its deadline with the counts', async () => {
    const fs = await startFaultServer('web', { watch: 'close' })
    try {
      const client = await createKubeClient({ kubeconfig: fs.kubeconfigPath, requestTimeout: 2000 })
      const started = Date.now()
      const r = await watchUntil({
        client,
        timeoutMs: 3000,
        path: '/apis/apps/v1/namespaces/default/deployments',
        list: () => client.apps.listNamespacedDeployment({ namespace: 'default' }, client.call()),
        evaluate: () => undefined,
      })
      expect(r.outcome).toBe('timeout')
      expect(Date.now() - started).toBeLessThan(3500)
      // 800 ms base with jitter: 2 to 4 rounds of list + watch in 3 s.
      expect(fs.log.length).toBeLessThanOrEqual(10)
      expect(r.stats.lists).toBe(fs.counts.list)
      expect(r.stats.watches).toBe(fs.counts.watch)
      expect(r.stats.backoffs).toBeGreaterThanOrEqual(1)
      expect(r.stats.lastError).toMatch(/^watch ended after \d+ ms without an event$/)
    } finally {
      await fs.close()
    }
  })

  it('abandons a re-list still in flight at the deadline instead of waiting for its request timeout', async () => {
    const fs = await startFaultServer('web', { watch: 'close' })
    fs.listDelayMs = (n) => (n === 1 ? 0 : 10_000)
    try {
      const client = await createKubeClient({ kubeconfig: fs.kubeconfigPath, requestTimeout: 8000 })
      const started = Date.now()
      const r = await watchUntil({
        client,
        timeoutMs: 2000,
        path: '/apis/apps/v1/namespaces/default/deployments',
        list: () => client.apps.listNamespacedDeployment({ namespace: 'default' }, client.call()),
        evaluate: () => undefined,
      })
      expect(r.outcome).toBe('timeout')
      expect(r.stats.lists).toBe(2)
      expect(Date.now() - started).toBeLessThan(2500)
    } finally {
      await fs.close()
    }
  })
})
