import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rolloutStatus } from '../../checks/kube-rollout.ts'
import { type KubeSim, startKubeSim } from '../../sandbox/kube-sim/index.ts'
import { deployment } from './kube-fixtures.ts'

let sim: KubeSim
beforeAll(async () => {
  // timeScale 100: progressDeadlineSeconds 100 lasts 1 s.
  sim = await startKubeSim({ timing: { timeScale: 100 } })
})
afterAll(async () => {
  await sim?.close()
})

const base = () => ({ kubeconfig: sim.kubeconfigPath, timeout: 8000 })

describe('rolloutStatus against the simulator', () => {
  it('passes with kubectl\'s message once the deployment is rolled out, having seen the progress', async () => {
    sim.put(deployment('web', { replicas: 3 }))
    const r = await rolloutStatus({ ...base(), name: 'web' })
    expect(r.status).toBe('pass')
    expect(r.message).toBe('deployment "web" successfully rolled out')
    expect(r.evidence.progress.length).toBeGreaterThan(1)
    expect(r.evidence.progress.some((l) => l.startsWith('Waiting for deployment "web" rollout to finish'))).toBe(true)
    expect(r.evidence.watch?.watches).toBeGreaterThanOrEqual(1)
  })

  it('fails with kubectl\'s error when the progress deadline passes (failFast off)', async () => {
    sim.put(deployment('stuck', { image: 'registry.local/app:does-not-exist', progressDeadlineSeconds: 100 }))
    const r = await rolloutStatus({ ...base(), name: 'stuck', failFast: false })
    expect(r.status).toBe('fail')
    expect(r.message).toBe('deployment "stuck" exceeded its progress deadline')
  })

  it('fails early on a crash loop with the reason and the last termination', async () => {
    sim.put(deployment('crashy', { fault: 'OOMKilled', replicas: 1 }))
    const r = await rolloutStatus({ ...base(), name: 'crashy', fatalRestarts: 2 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^deployment crashy rollout cannot finish: pod crashy-\S+ container app: CrashLoopBackOff \(\d+ restarts, last terminated: OOMKilled\)/)
    expect(r.durationMs).toBeLessThan(5000)
  })

  it('fails early on an image that cannot be pulled once the grace period is over', async () => {
    sim.put(deployment('badimg', { image: 'registry.local/app:does-not-exist', replicas: 1 }))
    const r = await rolloutStatus({ ...base(), name: 'badimg', fatalGrace: 800 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/(ImagePullBackOff|ErrImagePull)/)
  })

  it('timeout 0 judges once like kubectl --watch=false', async () => {
    sim.put(deployment('once', { replicas: 2 }))
    const r = await rolloutStatus({ ...base(), name: 'once', timeout: 0 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^not rolled out: Waiting for deployment/)
  })

  it('names a missing deployment and namespace clearly', async () => {
    const r = await rolloutStatus({ ...base(), name: 'nope' })
    expect(r.message).toBe('deployment nope not found in namespace default')
    const r2 = await rolloutStatus({ ...base(), name: 'web', namespace: 'ghost' })
    expect(r2.status).toBe('fail')
    expect(r2.message).toBe('namespace ghost not found')
  })

  it('says what is not allowed on 403', async () => {
    sim.options.authorize = (a) => !(a.resource === 'deployments' && a.namespace === 'default')
    try {
      const r = await rolloutStatus({ ...base(), name: 'web' })
      expect(r.status).toBe('fail')
      expect(r.message).toBe('not allowed to get deployments in namespace default')
      expect(r.evidence.serverMessage).toMatch(/forbidden/)
    } finally {
      delete sim.options.authorize
    }
  })

  it('a forbidden watch (list allowed) ends at once instead of retrying until the deadline', async () => {
    sim.put(deployment('watchless', { replicas: 1 }))
    sim.options.authorize = (a) => a.verb !== 'watch'
    try {
      const started = Date.now()
      const r = await rolloutStatus({ ...base(), name: 'watchless', failFast: false })
      expect(r.status).toBe('fail')
      expect(r.message).toBe('not allowed to get deployments in namespace default')
      expect(Date.now() - started).toBeLessThan(2000)
    } finally {
      delete sim.options.authorize
    }
  })

  it('finishes correctly when the watch is dropped mid-rollout and the resourceVersion expires', async () => {
    sim.options.dropWatchesAfterMs = 120
    try {
      sim.put(deployment('flaky', { replicas: 4 }))
      const expire = setInterval(() => sim.expireResourceVersions(), 150)
      const r = await rolloutStatus({ ...base(), name: 'flaky' }).finally(() => clearInterval(expire))
      expect(r.status).toBe('pass')
      expect(r.message).toBe('deployment "flaky" successfully rolled out')
      expect(r.evidence.watch!.restarts + r.evidence.watch!.expired).toBeGreaterThan(0)
    } finally {
      delete sim.options.dropWatchesAfterMs
    }
  })
})

describe('rolloutStatus bad input', () => {
  it('fails within its request timeout when the API server is unreachable', async () => {
    const { writeFile, mkdtemp } = await import('node:fs/promises')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const dir = await mkdtemp(join(tmpdir(), 'kube-unreach-'))
    const kubeconfig = join(dir, 'config')
    // Port 1 on loopback: nothing listens there.
    await writeFile(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`)
    const started = Date.now()
    const r = await rolloutStatus({ kubeconfig, name: 'web', timeout: 5000, requestTimeout: 1000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/cannot reach the Kubernetes API server at http:\/\/127.0.0.1:1: ECONNREFUSED/)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('rejects an unsupported kind and a missing context', async () => {
    await expect(rolloutStatus({ kubeconfig: sim.kubeconfigPath, name: 'x', kind: 'CronJob' })).rejects.toThrow(/Deployment, StatefulSet and DaemonSet/)
    await expect(rolloutStatus({ kubeconfig: sim.kubeconfigPath, name: 'x', context: 'prod' })).rejects.toThrow(/context "prod" not found/)
  })

  it('401 says the credentials are wrong', async () => {
    const locked = await startKubeSim({ token: 'right-token' })
    try {
      const { readFile, writeFile } = await import('node:fs/promises')
      const cfg = (await readFile(locked.kubeconfigPath, 'utf8')).replace('right-token', 'wrong-token')
      await writeFile(locked.kubeconfigPath, cfg)
      const r = await rolloutStatus({ kubeconfig: locked.kubeconfigPath, name: 'web', timeout: 2000 })
      expect(r.message).toMatch(/not authenticated to the Kubernetes API at .* \(401 Unauthorized\)/)
    } finally {
      await locked.close()
    }
  })
})
