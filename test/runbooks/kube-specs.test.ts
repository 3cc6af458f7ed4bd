import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CheckSpec } from '../../lib/runner.ts'
import { imageTag, judgeVersion, kubeSpecs } from '../../runbooks/kube-specs.ts'
import { type KubeSim, startKubeSim } from '../../sandbox/kube-sim/index.ts'
import { deployment } from '../checks/kube-fixtures.ts'

describe('imageTag', () => {
  it.each([
    ['registry.sandbox.test/ai-agents/api:v1.1.0', 'v1.1.0'],
    ['localhost:5000/api:v2', 'v2'],
    ['localhost:5000/api', undefined],
    ['api@sha256:abc', undefined],
    ['reg/api:v3@sha256:abc', 'v3'],
  ])('%s → %s', (image, tag) => expect(imageTag(image)).toBe(tag))
})

describe('judgeVersion', () => {
  it.each([
    { name: 'all at the version', images: { api: ['r/api:v1'], worker: ['r/worker:v1'] }, status: 'pass', msg: /api, worker at v1/ },
    { name: 'one container behind', images: { api: ['r/api:v1', 'r/sidecar:v0'] }, status: 'fail', msg: /not at v1: api: r\/sidecar:v0/ },
    { name: 'a deployment without containers', images: { api: [] }, status: 'fail', msg: /api: no containers/ },
    { name: 'nothing to check', images: {}, status: 'fail', msg: /no deployments/ },
    { name: 'untagged image', images: { api: ['r/api'] }, status: 'fail', msg: /not at v1/ },
  ])('$name', ({ images, status, msg }) => {
    const v = judgeVersion(images as Record<string, string[]>, 'v1')
    expect(v.status).toBe(status)
    expect(v.message).toMatch(msg)
  })
})

describe('kubeSpecs: the runbooks\' Kubernetes checks, built through the kinds', () => {
  let sim: KubeSim
  beforeAll(async () => {
    sim = await startKubeSim()
    sim.put(deployment('api', { replicas: 1, image: 'registry.local/api:v2' }))
  })
  afterAll(async () => {
    await sim?.close()
  })
  const run = (spec: CheckSpec<any>) => spec.run(AbortSignal.timeout(10_000), Date.now() + 10_000)

  it('primitives and compositions run with the ids and titles the runbook gives', async () => {
    const kube = kubeSpecs({ kubeconfig: sim.kubeconfigPath, namespace: 'default' })
    const exists = kube.exists('prereq.namespace', 'Namespace', { name: 'default' })
    expect(exists).toMatchObject({ id: 'prereq.namespace', kind: 'kube-resource', title: 'Namespace default exists' })
    expect((await run(exists)).status).toBe('pass')
    const rollout = kube.rollout('rollout.api', 'api', 20_000)
    // The runner's timeout is the wait: the rollout watches until just before it.
    expect(rollout).toMatchObject({ id: 'rollout.api', kind: 'kube-rollout', title: 'deployment default/api rolled out', timeoutMs: 20_000 })
    expect((await run(rollout)).message).toBe('deployment "api" successfully rolled out')
    expect(kube.pods('pods', { converge: { timeoutMs: 5000 } }).eventually).toEqual({ timeoutMs: 5000, intervalMs: 250 })
    const version = await run(kube.version('release.version', ['api'], 'v2'))
    expect(version).toMatchObject({ id: 'release.version', status: 'pass', evidence: { images: { api: ['registry.local/api:v2'] } } })
    const dns = await run(kube.dns('dns.domain', 'api.example.test', 'missing'))
    expect(dns.status).toBe('fail')
    expect(dns.message).toMatch(/^ingress missing has no load-balancer address to compare with \(ingress missing not found in namespace default\)/)
  })

  it('a kubeconfig that cannot be read fails the check when it runs, not the runbook while it lists its steps', async () => {
    const spec = kubeSpecs({ kubeconfig: '/nonexistent/kubeconfig', namespace: 'default' }).pods('pods.healthy')
    expect(spec).toMatchObject({ id: 'pods.healthy', kind: 'kube-pods' })
    await expect(run(spec)).rejects.toThrow(/kubeconfig.*\/nonexistent\/kubeconfig/)
  })
})
