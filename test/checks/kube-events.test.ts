import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { judgeEvents, noWarningEvents } from '../../checks/kube-events.ts'
import type { KubeSim } from '../../sandbox/kube-sim/index.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { startShopSim, waitUntil } from './kube-fixtures.ts'

let sim: KubeSim
const conn = () => ({ kubeconfig: sim.kubeconfigPath, namespace: 'shop' })
/** A target-file entry, built through the one build path and run with a 10 s deadline. */
const runEntry = async (entry: { id: string; kind: string; [field: string]: unknown }) => {
  const spec = await buildKind({ kubeconfig: sim.kubeconfigPath, namespace: 'shop', ...entry }, testBuildContext(process.cwd()))
  return { spec, result: await spec.run(AbortSignal.timeout(10_000), Date.now() + 10_000) }
}

beforeAll(async () => {
  sim = await startShopSim()
})
afterAll(async () => {
  await sim?.close()
})

describe('noWarningEvents', () => {
  it('reports the crash loop warnings since a time, as a table', async () => {
    await waitUntil(() => sim.store.list('events', 'shop').some((e) => e.reason === 'BackOff'), 10_000)
    const r = await noWarningEvents({ ...conn(), since: Date.now() - 60_000 })
    expect(r.status).toBe('fail')
    expect(r.evidence.warnings.some((w) => w.reason === 'BackOff' && w.object.startsWith('pod/crashy-'))).toBe(true)
    const later = await noWarningEvents({ ...conn(), since: Date.now() + 60_000 })
    expect(later.status).toBe('pass')
  })
  it.each([
    ['ignored reason', [{ type: 'Warning', reason: 'BackOff', lastTimestamp: '2026-01-01T00:00:10Z' }], { ignoreReasons: ['BackOff'] }, 'pass'],
    ['older than since', [{ type: 'Warning', reason: 'BackOff', lastTimestamp: '2026-01-01T00:00:10Z' }], { since: Date.parse('2026-01-01T00:01:00Z') }, 'pass'],
    ['other kind', [{ type: 'Warning', reason: 'X', lastTimestamp: '2026-01-01T00:00:10Z', involvedObject: { kind: 'Node', name: 'n' } }], { involvedKind: 'Pod' }, 'pass'],
    ['counts', [{ type: 'Warning', reason: 'X', eventTime: '2026-01-01T00:00:10Z', involvedObject: { kind: 'Pod', name: 'web-1' } }], { namePrefix: 'web-' }, 'fail'],
    ['normal events ignored', [{ type: 'Normal', reason: 'Pulled' }], {}, 'pass'],
  ])('judgeEvents: %s', (_n, events, opts, status) => {
    expect(judgeEvents(events, { now: Date.parse('2026-01-01T00:02:00Z'), ignoreReasons: [], maxRows: 10, ...opts }, 'ns').status).toBe(status)
  })
})

describe('kind: kube-events', () => {
  it('builds a runnable check from a target entry (within counts back from the run)', async () => {
    await waitUntil(() => sim.store.list('events', 'shop').some((e) => e.reason === 'BackOff'), 10_000)
    expect((await runEntry({ id: 'e', kind: 'kube-events', within: '1m' })).result.status).toBe('fail')
    expect((await runEntry({ id: 'e', kind: 'kube-events', namespace: 'default', within: '1m' })).result.status).toBe('pass')
  })
  it('since and within together: one problem naming both, before anything runs', async () => {
    await expect(buildKind({ id: 'e', kind: 'kube-events', since: '2026-01-01T00:00:00Z', within: '1m' }, testBuildContext(process.cwd()))).rejects.toThrow(/^within: give since or within, not both$/)
    await expect(noWarningEvents({ ...conn(), since: Date.now(), within: 60_000 })).rejects.toThrow(/give since or within, not both/)
  })
})
