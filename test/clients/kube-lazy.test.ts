// The registry imports check modules to read their declarations: none of that may load
// @kubernetes/client-node (over a second to import). Here the library cannot load at all.
import { describe, expect, it, vi } from 'vitest'

vi.mock('@kubernetes/client-node', () => {
  throw new Error('@kubernetes/client-node was loaded')
})

const KUBE_KINDS = ['kube-rollout', 'kube-pods', 'kube-certificate', 'kube-resource', 'kube-secret-keys', 'kube-ingress', 'kube-hpa', 'kube-events']

describe('@kubernetes/client-node loads lazily', () => {
  it('reading the Kubernetes kinds, their options and titles, and building checks does not import it', async () => {
    const { loadKinds } = await import('../../checks/registry.ts')
    const { buildCheck } = await import('../../checks/build.ts')
    const { testBuildContext } = await import('../helpers/kinds.ts')
    const kinds = await loadKinds(KUBE_KINDS)
    expect(kinds.map((k) => k.kind)).toEqual(KUBE_KINDS)
    for (const k of kinds) expect(Object.keys(k.options.properties)).toEqual(expect.arrayContaining(['kubeconfig', 'context', 'namespace', 'requestTimeout']))
    const spec = buildCheck(kinds[1]!, { id: 'p', kind: 'kube-pods', selector: 'app=web' }, testBuildContext(process.cwd()))
    expect(spec.title).toBe('pods app=web are healthy')
    // Only running a check needs the library.
    await expect(spec.run(AbortSignal.timeout(5000), Date.now() + 5000)).rejects.toThrow(/client-node was loaded|error when mocking a module/)
  })
})
