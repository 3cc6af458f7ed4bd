import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { judgeSecretKeys, secretHasKeys } from '../../checks/kube-secret-keys.ts'
import type { KubeSim } from '../../sandbox/kube-sim/index.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { SHOP_SECRET_VALUE, startShopSim } from './kube-fixtures.ts'

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

describe('secretHasKeys', () => {
  it('passes with key names only: no value reaches the result', async () => {
    const r = await secretHasKeys({ ...conn(), name: 'app-secrets', keys: ['DATABASE_URL'] })
    expect(r.status).toBe('pass')
    expect(r.evidence.keys).toEqual(['API_KEY', 'DATABASE_URL'])
    const text = JSON.stringify(r)
    expect(text).not.toContain(SHOP_SECRET_VALUE)
    expect(text).not.toContain(Buffer.from(SHOP_SECRET_VALUE).toString('base64'))
  })
  it('fails on missing and empty keys', async () => {
    expect((await secretHasKeys({ ...conn(), name: 'app-secrets', keys: ['DATABASE_URL', 'REDIS_URL'] })).message).toBe('secret app-secrets is missing key REDIS_URL')
    expect((await secretHasKeys({ ...conn(), name: 'app-secrets', keys: ['API_KEY'] })).message).toBe('secret app-secrets has empty key API_KEY')
    expect((await secretHasKeys({ ...conn(), name: 'app-secrets', keys: ['API_KEY'], allowEmpty: true })).status).toBe('pass')
  })
  it.each([
    [[{ name: 'tls.crt', empty: false }], ['tls.crt'], 'kubernetes.io/tls', 'Opaque', /has type Opaque, expected kubernetes.io\/tls/],
    [[], ['a', 'b'], undefined, 'Opaque', /missing keys a, b/],
  ])('judgeSecretKeys %#', (present, keys, type, actual, msg) => {
    expect(judgeSecretKeys(present, keys, { allowEmpty: false, type, actualType: actual }, { name: 's', namespace: 'n' }).message).toMatch(msg)
  })
})

describe('kind: kube-secret-keys', () => {
  it('builds a runnable check from a target entry', async () => {
    const { spec, result } = await runEntry({ id: 's', kind: 'kube-secret-keys', name: 'app-secrets', keys: ['DATABASE_URL', 'REDIS_URL'] })
    expect(spec.title).toBe('secret app-secrets in shop has DATABASE_URL, REDIS_URL')
    expect(result.status).toBe('fail')
    expect(result.message).toBe('secret app-secrets is missing key REDIS_URL')
  })
})
