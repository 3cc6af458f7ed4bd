// Fidelity: the real kubectl against the simulator, and our checks agreeing with kubectl.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certificateReady } from '../../checks/kube-certificate.ts'
import { podsHealthy } from '../../checks/kube-pods.ts'
import { rolloutStatus } from '../../checks/kube-rollout.ts'
import { type KubeSim, startKubeSim } from '../../sandbox/kube-sim/index.ts'
import { stringify } from 'yaml'
import { deployment } from '../checks/kube-fixtures.ts'

const run = promisify(execFile)
const KUBECTL = '/usr/bin/kubectl'
// kubectl comes from the machine image (CI installs Debian's kubernetes-client when it is missing).
const hasKubectl = existsSync(KUBECTL)

let sim: KubeSim
// kubectl before 1.29 validates apply with the protobuf OpenAPI v2 document, which the simulator does
// not serve (it serves a minimal OpenAPI v3 that newer kubectl uses for server-side validation).
let applyFlags: string[] = []
async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (args[0] === 'apply') args = [...args, ...applyFlags]
  try {
    const { stdout, stderr } = await run(KUBECTL, args, { env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, HOME: process.env.HOME ?? '/tmp' }, timeout: 30_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}
async function applyFile(name: string, obj: object): Promise<string> {
  const file = join(sim.kubeconfigPath, '..', `${name}.yaml`)
  await writeFile(file, stringify(obj))
  return file
}
const lastLine = (s: string) => s.trim().split('\n').filter(Boolean).pop() ?? ''
const conn = () => ({ kubeconfig: sim.kubeconfigPath })

beforeAll(async () => {
  // timeScale 50: a progressDeadlineSeconds of 100 lasts 2 s.
  if (!hasKubectl) return
  const { stdout } = await run(KUBECTL, ['version', '--client', '-o', 'json'])
  const minor = Number.parseInt((JSON.parse(stdout) as { clientVersion: { minor: string } }).clientVersion.minor, 10)
  if (minor < 29) applyFlags = ['--validate=false']
  sim = await startKubeSim({ timing: { timeScale: 50, certReadyMs: 1500 } })
})
afterAll(async () => {
  await sim?.close()
})

describe.skipIf(!hasKubectl)('kubectl against the simulator', () => {
  it('apply --server-side creates, re-apply leaves the object unchanged, get shows it', async () => {
    const file = await applyFile('web', deployment('web', { replicas: 2 }))
    const first = await kubectl('apply', '--server-side', '-f', file)
    expect(first.stderr).toBe('')
    expect(first.stdout.trim()).toBe('deployment.apps/web serverside-applied')
    // Re-applying the same manifest changes nothing (a ConfigMap: no controller writes to it).
    const cm = await applyFile('cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { LOG_LEVEL: 'info' } })
    expect((await kubectl('apply', '--server-side', '-f', cm)).code).toBe(0)
    const rv = sim.store.get('configmaps', 'default', 'settings')!.metadata.resourceVersion
    expect((await kubectl('apply', '--server-side', '-f', cm)).code).toBe(0)
    expect(sim.store.get('configmaps', 'default', 'settings')!.metadata.resourceVersion).toBe(rv)
    const gen = sim.store.get('deployments', 'default', 'web')!.metadata.generation
    expect((await kubectl('apply', '--server-side', '-f', file)).code).toBe(0)
    expect(sim.store.get('deployments', 'default', 'web')!.metadata.generation).toBe(gen)
    expect((await kubectl('apply', '--server-side', '--dry-run=server', '-f', await applyFile('dry', deployment('dry')))).stdout).toMatch(/deployment.apps\/dry serverside-applied \(server dry run\)/)
    expect(sim.store.get('deployments', 'default', 'dry')).toBeUndefined()
    const get = await kubectl('get', 'deploy', 'web')
    expect(get.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+\d\/2/)
  })

  it('done: kubectl rollout status and rolloutStatus agree', async () => {
    const k = await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s')
    const ours = await rolloutStatus({ ...conn(), name: 'web', waitFor: 20_000 })
    expect(k.code).toBe(0)
    expect(lastLine(k.stdout)).toBe('deployment "web" successfully rolled out')
    expect(ours.status).toBe('pass')
    expect(ours.message).toBe(lastLine(k.stdout))
    const pods = await kubectl('get', 'pods', '-l', 'app=web')
    expect(pods.stdout).toMatch(/web-\S+\s+1\/1\s+Running\s+0\s+/)
    expect((await podsHealthy({ ...conn(), selector: 'app=web', minPods: 2 })).status).toBe('pass')
  })

  it('rolling out: kubectl --watch=false prints the same line our one-shot check judges', async () => {
    await kubectl('apply', '--server-side', '-f', await applyFile('slow', deployment('slow', { replicas: 1, image: 'registry.local/app:does-not-exist', progressDeadlineSeconds: 100_000 })))
    await new Promise((r) => setTimeout(r, 300))
    const k = await kubectl('rollout', 'status', 'deployment/slow', '--watch=false')
    const ours = await rolloutStatus({ ...conn(), name: 'slow', waitFor: 0 })
    expect(k.code).toBe(0)
    expect(lastLine(k.stdout)).toBe('Waiting for deployment "slow" rollout to finish: 0 of 1 updated replicas are available...')
    expect(ours.status).toBe('fail')
    expect(ours.evidence.kubectl).toBe(lastLine(k.stdout))
    expect((await kubectl('get', 'pods', '-l', 'app=slow')).stdout).toMatch(/slow-\S+\s+0\/1\s+(ErrImagePull|ImagePullBackOff)\s+0/)
  })

  it('deadline exceeded: both fail with kubectl\'s error', async () => {
    await kubectl('apply', '--server-side', '-f', await applyFile('late', deployment('late', { replicas: 1, image: 'registry.local/app:does-not-exist', progressDeadlineSeconds: 100 })))
    const k = await kubectl('rollout', 'status', 'deployment/late', '--timeout=20s')
    const ours = await rolloutStatus({ ...conn(), name: 'late', waitFor: 20_000, failFast: false })
    expect(k.code).toBe(1)
    expect(k.stderr.trim()).toBe('error: deployment "late" exceeded its progress deadline')
    expect(ours.status).toBe('fail')
    expect(ours.message).toBe('deployment "late" exceeded its progress deadline')
  })

  it('crash loop: kubectl keeps waiting until its timeout, our check fails early with the reason, both see the same status line', async () => {
    const d = deployment('crash', { replicas: 1, fault: 'CrashLoopBackOff', progressDeadlineSeconds: 100_000 })
    await kubectl('apply', '--server-side', '-f', await applyFile('crash', d))
    const [k, ours] = await Promise.all([kubectl('rollout', 'status', 'deployment/crash', '--timeout=3s'), rolloutStatus({ ...conn(), name: 'crash', waitFor: 10_000, fatalRestarts: 2 })])
    expect(k.code).toBe(1)
    expect(k.stderr).toMatch(/timed out waiting for the condition/)
    expect(ours.status).toBe('fail')
    expect(ours.message).toMatch(/CrashLoopBackOff/)
    expect(ours.durationMs).toBeLessThan(3000)
    expect(lastLine(k.stdout)).toBe(ours.evidence.kubectl)
    expect((await kubectl('get', 'pods', '-l', 'app=crash')).stdout).toMatch(/crash-\S+\s+0\/1\s+CrashLoopBackOff\s+[1-9]/)
  })

  it('undo: kubectl rollout undo restores the previous template; both agree it is rolled out; a second undo to the same revision is skipped', async () => {
    expect((await kubectl('set', 'image', 'deployment/web', 'app=registry.local/app:does-not-exist')).code).toBe(0)
    await new Promise((r) => setTimeout(r, 300))
    const stuck = await rolloutStatus({ ...conn(), name: 'web', waitFor: 0 })
    expect(stuck.status).toBe('fail')
    const undo = await kubectl('rollout', 'undo', 'deployment/web')
    expect(undo.stdout.trim()).toBe('deployment.apps/web rolled back')
    const k = await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s')
    const ours = await rolloutStatus({ ...conn(), name: 'web', waitFor: 20_000 })
    expect(lastLine(k.stdout)).toBe('deployment "web" successfully rolled out')
    expect(ours.message).toBe('deployment "web" successfully rolled out')
    expect(ours.evidence.revision).toBe('3')
    const history = await kubectl('rollout', 'history', 'deployment/web')
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/)
    const again = await kubectl('rollout', 'undo', 'deployment/web', '--to-revision=3')
    expect(again.stdout.trim()).toBe('deployment.apps/web skipped rollback (current template already matches revision 3)')
  })

  it('StatefulSet and DaemonSet: rollout status agrees with kubectl, and kubectl rollout undo works through ControllerRevisions', async () => {
    const labels = (app: string) => ({ selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: `${app}:1` }] } } })
    await kubectl('apply', '--server-side', '-f', await applyFile('sts', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default' }, spec: { replicas: 2, serviceName: 'db', ...labels('db') } }))
    await kubectl('apply', '--server-side', '-f', await applyFile('ds', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' }, spec: labels('agent') }))
    for (const [kind, name] of [['StatefulSet', 'db'], ['DaemonSet', 'agent']] as const) {
      const k = await kubectl('rollout', 'status', `${kind.toLowerCase()}/${name}`, '--timeout=20s')
      const ours = await rolloutStatus({ ...conn(), workload: kind, name, waitFor: 20_000 })
      expect(ours.status).toBe('pass')
      expect(ours.message).toBe(lastLine(k.stdout))
      expect((await kubectl('set', 'image', `${kind.toLowerCase()}/${name}`, `c=${name}:2`)).code).toBe(0)
      expect((await rolloutStatus({ ...conn(), workload: kind, name, waitFor: 20_000 })).status).toBe('pass')
      expect((await kubectl('rollout', 'undo', `${kind.toLowerCase()}/${name}`)).stdout.trim()).toBe(`${kind.toLowerCase()}.apps/${name} rolled back`)
      expect((await rolloutStatus({ ...conn(), workload: kind, name, waitFor: 20_000 })).status).toBe('pass')
      expect((await kubectl('get', kind.toLowerCase(), name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).stdout).toBe(`${name}:1`)
    }
  })

  it('certificates: kubectl get certificate READY column agrees with certificateReady', async () => {
    const cert = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'api-tls', namespace: 'default' }, spec: { secretName: 'api-tls', dnsNames: ['api.example.com'], issuerRef: { name: 'letsencrypt-prod', kind: 'ClusterIssuer' } } }
    await kubectl('apply', '--server-side', '-f', await applyFile('cert', cert))
    const early = await kubectl('get', 'certificate', 'api-tls')
    expect(early.stdout).toMatch(/^NAME\s+READY\s+SECRET\s+AGE\napi-tls\s+(False|)\s*api-tls/)
    expect((await certificateReady({ ...conn(), name: 'api-tls' })).status).toBe('fail')
    await new Promise((r) => setTimeout(r, 1800))
    const later = await kubectl('get', 'certificate', 'api-tls', '-o', 'wide')
    expect(later.stdout).toMatch(/api-tls\s+True\s+api-tls\s+letsencrypt-prod\s+Certificate is up to date and has not expired/)
    expect((await certificateReady({ ...conn(), name: 'api-tls' })).status).toBe('pass')
  })

  it('kubectl itself survives dropped watches and expired resourceVersions in the simulator', async () => {
    sim.options.dropWatchesAfterMs = 150
    const expire = setInterval(() => sim.expireResourceVersions(), 200)
    try {
      await kubectl('apply', '--server-side', '-f', await applyFile('flaky', deployment('flaky', { replicas: 4 })))
      const k = await kubectl('rollout', 'status', 'deployment/flaky', '--timeout=20s')
      expect(lastLine(k.stdout)).toBe('deployment "flaky" successfully rolled out')
    } finally {
      clearInterval(expire)
      delete sim.options.dropWatchesAfterMs
    }
  })

  it('errors look like the API server\'s', async () => {
    expect((await kubectl('get', 'deploy', 'nope')).stderr.trim()).toBe('Error from server (NotFound): deployments.apps "nope" not found')
    sim.options.authorize = (a) => a.resource !== 'secrets'
    try {
      expect((await kubectl('get', 'secret', 'x')).stderr.trim()).toMatch(/^Error from server \(Forbidden\): secrets "x" is forbidden: User ".*" cannot get resource "secrets" in API group "" in the namespace "default"$/)
    } finally {
      delete sim.options.authorize
    }
  })
})
