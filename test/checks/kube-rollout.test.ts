import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kubeLibrary } from '../../clients/kube.ts'
import { NO_DEADLINE_WAIT_MS, rolloutStatus, rolloutWaitEnd } from '../../checks/kube-rollout.ts'
import { ConfigError } from '../../lib/errors.ts'
import { Redactor } from '../../lib/redact.ts'
import { runChecks } from '../../lib/runner.ts'
import { type KubeSim, startKubeSim } from '../../sandbox/kube-sim/index.ts'
import { startFaultServer } from '../helpers/kube-fault-server.ts'
import { buildChecks } from '../../smoke/build-checks.ts'
import { loadTarget } from '../../smoke/target-file.ts'
import { resolveVariables } from '../../smoke/variables.ts'
import { runCli } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { deployment, startSilentApiServer } from './kube-fixtures.ts'

let sim: KubeSim
beforeAll(async () => {
  // timeScale 100: progressDeadlineSeconds 100 lasts 1 s.
  sim = await startKubeSim({ timing: { timeScale: 100 } })
  // client-node is imported on the first check (a second or more): not while the first rollout is watched.
  await kubeLibrary()
})
afterAll(async () => {
  await sim?.close()
})

const base = () => ({ kubeconfig: sim.kubeconfigPath, waitFor: 8000 })

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

  it('waitFor 0 judges once like kubectl --watch=false', async () => {
    sim.put(deployment('once', { replicas: 2 }))
    const r = await rolloutStatus({ ...base(), name: 'once', waitFor: 0 })
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

describe('rolloutStatus at its deadline', () => {
  // The image cannot be pulled, but the default grace (60 s) outlasts the 3 s wait: failFast does
  // not fire, the deadline does. Today's kubectl would only say it timed out; we add the reason.
  it.each([true, false])('reports kubectl\'s timeout wording plus the last pod problem (failFast %s), not "interrupted"', async (failFast) => {
    const name = `pullfail-${failFast}`
    sim.put(deployment(name, { fault: 'ImagePullBackOff', replicas: 1 }))
    const r = await rolloutStatus({ ...base(), name, waitFor: 3000, failFast })
    expect(r.status).toBe('fail')
    expect(r.message).not.toMatch(/interrupted/)
    expect(r.message).toMatch(new RegExp(`^timed out waiting for the condition after 3s: Waiting for deployment "${name}" rollout to finish: 0 of 1 updated replicas are available\\.\\.\\.; last pod problem: pod ${name}-\\S+ container app: (ImagePullBackOff|ErrImagePull) \\(0 restarts\\)$`))
    expect(r.evidence.lastPodProblems?.[0]).toMatchObject({ container: 'app', severity: 'pending' })
    expect(r.evidence.lastPodProblems?.[0]?.pod).toMatch(new RegExp(`^${name}-`))
    expect(r.durationMs).toBeLessThan(4500)
  })

  it('the caller\'s abort is still reported as an interruption', async () => {
    sim.put(deployment('aborted', { fault: 'ImagePullBackOff', replicas: 1 }))
    const r = await rolloutStatus({ ...base(), name: 'aborted', signal: AbortSignal.timeout(1500) })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^interrupted while waiting: Waiting for deployment "aborted" rollout to finish/)
  })
})

describe('rolloutStatus against misbehaving API servers (loopback fault servers)', () => {
  const conn = (kubeconfig: string) => ({ kubeconfig, name: 'web', failFast: false })

  it('a server that closes every watch at once gets a bounded number of requests (backoff), not a tight loop', async () => {
    const fs = await startFaultServer('web', { watch: 'close' })
    try {
      const r = await rolloutStatus({ ...conn(fs.kubeconfigPath), waitFor: 5000 })
      expect(r.status).toBe('fail')
      expect(r.message).toMatch(/^timed out waiting for the condition after 5s: Waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have been updated\.\.\. \(last error: watch ended after \d+ ms without an event\)$/)
      const total = fs.log.length
      // Before the backoff: ~10 000 watch requests in these 5 s. client-go's 800 ms base allows about 6 rounds.
      expect(total).toBeLessThan(20)
      expect(fs.counts.watch).toBeGreaterThanOrEqual(2)
      expect(r.evidence.watch?.backoffs).toBeGreaterThanOrEqual(2)
      // Every pause is at least the 800 ms base: no two watches closer than that.
      const watches = fs.log.filter((e) => e.kind === 'watch').map((e) => e.at)
      for (let i = 1; i < watches.length; i++) expect(watches[i]! - watches[i - 1]!).toBeGreaterThanOrEqual(780)
    } finally {
      await fs.close()
    }
  })

  it('and still sees the rollout finish: each pause ends with a re-list', async () => {
    const fs = await startFaultServer('web', { watch: 'close' })
    try {
      setTimeout(() => fs.markDone(), 1000)
      const r = await rolloutStatus({ ...conn(fs.kubeconfigPath), waitFor: 8000 })
      expect(r.status).toBe('pass')
      expect(r.message).toBe('deployment "web" successfully rolled out')
      expect(r.durationMs).toBeLessThan(5000)
      expect(fs.log.length).toBeLessThan(12)
    } finally {
      await fs.close()
    }
  })

  it.each(['gone-http', 'gone-event'] as const)('410 Gone (%s) for 2.5 s, then a working watch: pauses, re-lists, then sees the rollout done', async (gone) => {
    const t0 = Date.now()
    const fs = await startFaultServer('web', { watch: () => (Date.now() - t0 < 2500 ? gone : 'event') })
    try {
      setTimeout(() => fs.markDone(), 2500)
      const r = await rolloutStatus({ ...conn(fs.kubeconfigPath), waitFor: 10_000 })
      expect(r.status).toBe('pass')
      expect(r.evidence.watch?.expired).toBeGreaterThanOrEqual(1)
      // Before: a LIST and a WATCH per millisecond or so (~800 pairs/s). Now a re-list per pause.
      expect(fs.counts.list).toBeLessThan(8)
      expect(fs.counts.watch).toBeLessThan(8)
      const lists = fs.log.filter((e) => e.kind === 'list').map((e) => e.at)
      for (let i = 1; i < lists.length; i++) expect(lists[i]! - lists[i - 1]!).toBeGreaterThanOrEqual(780)
    } finally {
      await fs.close()
    }
  })

  it('a watch that stays open but silent while the object changes: a resync (re-list) sees it done', async () => {
    const fs = await startFaultServer('web', { watch: 'silent' })
    try {
      setTimeout(() => fs.markDone(), 300)
      const r = await rolloutStatus({ ...conn(fs.kubeconfigPath), waitFor: 8000 })
      expect(r.status).toBe('pass')
      expect(r.message).toBe('deployment "web" successfully rolled out')
      expect(r.evidence.watch?.resyncs).toBe(1)
      expect(fs.counts.list).toBe(2)
      // The silence bound for an 8 s wait is 2 s (a quarter of it, at most 10 s).
      expect(r.durationMs).toBeGreaterThanOrEqual(1900)
      expect(r.durationMs).toBeLessThan(3500)
    } finally {
      await fs.close()
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
    const r = await rolloutStatus({ kubeconfig, name: 'web', waitFor: 5000, requestTimeout: 1000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/cannot reach the Kubernetes API server at http:\/\/127.0.0.1:1: ECONNREFUSED/)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('rejects an unsupported kind and a missing context', async () => {
    await expect(rolloutStatus({ kubeconfig: sim.kubeconfigPath, name: 'x', workload: 'CronJob' as never })).rejects.toThrow(/Deployment, StatefulSet and DaemonSet/)
    await expect(rolloutStatus({ kubeconfig: sim.kubeconfigPath, name: 'x', context: 'prod' })).rejects.toThrow(/context "prod" not found/)
  })

  it('401 says the credentials are wrong', async () => {
    const locked = await startKubeSim({ token: 'right-token' })
    try {
      const { readFile, writeFile } = await import('node:fs/promises')
      const cfg = (await readFile(locked.kubeconfigPath, 'utf8')).replace('right-token', 'wrong-token')
      await writeFile(locked.kubeconfigPath, cfg)
      const r = await rolloutStatus({ kubeconfig: locked.kubeconfigPath, name: 'web', waitFor: 2000 })
      expect(r.message).toMatch(/not authenticated to the Kubernetes API at .* \(401 Unauthorized\)/)
    } finally {
      await locked.close()
    }
  })
})

describe('rolloutWaitEnd: the deadline policy', () => {
  const now = 1_000_000
  it.each<[string, number | undefined, number | undefined, number]>([
    ['no waitFor, 30 s left: until 1 s before the deadline', undefined, now + 30_000, now + 29_000],
    ['no waitFor, 3 s left: a tenth is kept for the verdict', undefined, now + 3000, now + 2700],
    ['no waitFor, 1 s left: at least 200 ms are kept', undefined, now + 1000, now + 800],
    ['waitFor inside the deadline', 5000, now + 30_000, now + 5000],
    ['waitFor past the deadline is cut to it', 60_000, now + 30_000, now + 29_000],
    ['waitFor without a deadline (a library call)', 5000, undefined, now + 5000],
    ['neither', undefined, undefined, now + NO_DEADLINE_WAIT_MS],
  ])('%s', (_name, waitFor, deadline, end) => {
    expect(rolloutWaitEnd(waitFor, deadline, now)).toBe(end)
  })
})

describe('kind: kube-rollout', () => {
  const ctx = () => testBuildContext(process.cwd())

  it('builds a runnable check from a target entry (waitFor as a duration)', async () => {
    sim.put(deployment('entry', { replicas: 1 }))
    const spec = await buildKind({ id: 'r', kind: 'kube-rollout', name: 'entry', waitFor: '5s', kubeconfig: sim.kubeconfigPath }, ctx())
    expect(spec.title).toBe('Deployment entry rolled out')
    expect((await spec.run(AbortSignal.timeout(10_000), Date.now() + 10_000)).status).toBe('pass')
  })

  it("without waitFor it waits until the check's timeout, less a margin, and says what it waited for", async () => {
    sim.put(deployment('slowpoke', { replicas: 1, image: 'registry.local/app:does-not-exist', progressDeadlineSeconds: 100_000 }))
    const spec = await buildKind({ id: 'r', kind: 'kube-rollout', name: 'slowpoke', failFast: false, kubeconfig: sim.kubeconfigPath, timeout: '3s' }, ctx())
    const [r] = (await runChecks([spec])).results
    expect(r!.status).toBe('fail')
    // Not the runner's bare "timed out after 3000 ms": the rollout's own verdict, 300 ms before it.
    expect(r!.message).toMatch(/^timed out .*after 2\.\ds/)
    expect(r!.message).toContain('Waiting for deployment "slowpoke" rollout to finish')
    expect(r!.durationMs).toBeGreaterThan(2000)
    expect(r!.durationMs).toBeLessThan(3000)
  })

  it('a cross-field rule is a configuration error naming the path and line in a target file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rbk-rollout-'))
    const file = join(dir, 't.yaml')
    await writeFile(file, `checks:\n  - id: r\n    kind: kube-rollout\n    name: web\n    workload: StatefulSet\n    revision: 3\n    kubeconfig: ${sim.kubeconfigPath}\n`)
    const loaded = await loadTarget(file)
    const target = resolveVariables(loaded, { env: {}, redactor: new Redactor() })
    let err: unknown
    try {
      buildChecks(loaded, target, { reportDir: dir, redactor: new Redactor() })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).describe()).toContain('checks[0].revision (line 6): only a Deployment has a revision to pin (kubectl --revision): leave out revision, or set workload to Deployment')
  })

  it('the same rule on the command line names the flags: exit 2, nothing checked', async () => {
    const run = await runCli(['check', 'kube-rollout', 'web', '--workload', 'StatefulSet', '--revision', '3', '--kubeconfig', sim.kubeconfigPath])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--revision: only a Deployment has a revision to pin (kubectl --revision): leave out --revision, or set --workload to Deployment')
  })
})

describe('kube-rollout: a hang names its phase when the check timeout is shorter than requestTimeout', () => {
  const ctx = () => testBuildContext(process.cwd())

  it('a list that never answers: "request timed out", not the runner\'s bare timeout', async () => {
    const api = await startSilentApiServer()
    try {
      const spec = await buildKind({ id: 'r', kind: 'kube-rollout', name: 'web', kubeconfig: api.kubeconfig, timeout: '2s' }, ctx())
      const [r] = (await runChecks([spec])).results
      expect(r!.status).toBe('fail')
      expect(r!.message).toMatch(/^Kubernetes API at http:\/\/127\.0\.0\.1:\d+ did not answer list deployments in namespace default: request timed out after \d+ ms$/)
    } finally {
      await api.close()
    }
  })

  it('a watch that never starts: the rollout times out naming the watch', async () => {
    const web = { ...deployment('web', { replicas: 1 }), metadata: { name: 'web', namespace: 'default', generation: 1, resourceVersion: '7' }, status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0, unavailableReplicas: 1 } }
    // Lists are answered (the deployment is still rolling out); watches hang before their headers.
    const api = await startSilentApiServer((req) => (req.url?.includes('watch=true') ? undefined : req.url?.includes('/deployments') ? { kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: { resourceVersion: '7' }, items: [web] } : { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] }))
    try {
      const spec = await buildKind({ id: 'r', kind: 'kube-rollout', name: 'web', failFast: false, kubeconfig: api.kubeconfig, timeout: '3s' }, ctx())
      const [r] = (await runChecks([spec])).results
      expect(r!.status).toBe('fail')
      expect(r!.message).toContain('Waiting for deployment "web" rollout to finish')
      expect(r!.message).toMatch(/\(last error: watch did not start within \d+ ms\)$/)
      expect(api.requests.some((q) => q.includes('watch=true'))).toBe(true)
    } finally {
      await api.close()
    }
  })
})
