import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ingressReady, judgeIngress } from '../../checks/kube-ingress.ts'
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

describe('ingressReady', () => {
  it('ingress gets an address and names the TLS secret', async () => {
    await waitUntil(() => Boolean(sim.store.get('ingresses', 'shop', 'web')?.status?.loadBalancer?.ingress))
    const r = await ingressReady({ ...conn(), name: 'web', tlsSecret: 'api-tls', host: 'shop.example.com' })
    expect(r.status).toBe('pass')
    expect(r.evidence.addresses).toEqual(['127.0.0.1'])
    expect((await ingressReady({ ...conn(), name: 'web', tlsSecret: 'other-tls' })).message).toMatch(/TLS does not use secret other-tls \(api-tls\)/)
  })
  it.each([
    ['no address', {}, {}, /has no load-balancer address yet/],
    ['hostname address', { status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } } }, {}, /served at lb.example.com/],
    ['host missing', { spec: { rules: [{ host: 'a' }] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } }, { host: 'b' }, /no rule for host b/],
  ])('judgeIngress: %s', (_n, ing, opts, msg) => {
    expect(judgeIngress(ing, opts, { name: 'i', namespace: 'n' }).message).toMatch(msg)
  })
})

describe('kind: kube-ingress', () => {
  it('builds a runnable check from a target entry', async () => {
    await waitUntil(() => Boolean(sim.store.get('ingresses', 'shop', 'web')?.status?.loadBalancer?.ingress))
    expect((await runEntry({ id: 'i', kind: 'kube-ingress', name: 'web', tlsSecret: 'api-tls', host: 'shop.example.com' })).result.status).toBe('pass')
    expect((await runEntry({ id: 'i', kind: 'kube-ingress', name: 'none' })).result.message).toBe('ingress none not found in namespace shop')
  })
})
