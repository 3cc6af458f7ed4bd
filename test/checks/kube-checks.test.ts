import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certificateReady } from '../../checks/kube-certificate.ts'
import { judgeEvents, noWarningEvents } from '../../checks/kube-events.ts'
import { judgePods, podsHealthy } from '../../checks/kube-pods.ts'
import { hpaHealthy, ingressReady, judgeHpa, judgeIngress, judgeSecretKeys, resourceExists, secretHasKeys } from '../../checks/kube-resources.ts'
import { FAULT_ANNOTATION, type KubeSim, startKubeSim } from '../../sandbox/kube-sim/index.ts'
import { deployment } from './kube-fixtures.ts'

let sim: KubeSim
const conn = () => ({ kubeconfig: sim.kubeconfigPath, namespace: 'shop' })
const waitFor = async (what: () => boolean, ms = 5000) => {
  const end = Date.now() + ms
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

beforeAll(async () => {
  sim = await startKubeSim({ namespaces: ['default', 'shop', 'cert-manager'] })
  sim.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app-sa', namespace: 'shop' } })
  sim.put({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'shop' }, spec: { podSelector: {} } })
  sim.put({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt-prod' }, spec: { acme: {} } })
  sim.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-secrets', namespace: 'shop' }, type: 'Opaque', data: { DATABASE_URL: Buffer.from('postgres://app:s3cr3t-value@db/app').toString('base64'), API_KEY: '' } })
  sim.put({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'api-tls', namespace: 'shop' }, spec: { secretName: 'api-tls', dnsNames: ['api.example.com'], issuerRef: { name: 'letsencrypt-prod', kind: 'ClusterIssuer' } } })
  sim.put({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'broken-tls', namespace: 'shop', annotations: { [FAULT_ANNOTATION]: 'NeverReady' } }, spec: { secretName: 'broken-tls', issuerRef: { name: 'letsencrypt-prod', kind: 'ClusterIssuer' } } })
  sim.put({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop' }, spec: { ingressClassName: 'nginx', tls: [{ hosts: ['shop.example.com'], secretName: 'api-tls' }], rules: [{ host: 'shop.example.com' }] } })
  sim.put(deployment('web', { ns: 'shop', replicas: 2 }))
  sim.put(deployment('crashy', { ns: 'shop', replicas: 1, fault: 'CrashLoopBackOff' }))
  sim.put({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'shop' }, spec: { minReplicas: 2, maxReplicas: 5, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } } })
  await waitFor(() => (sim.store.get('deployments', 'shop', 'web')?.status?.availableReplicas ?? 0) === 2)
})
afterAll(async () => {
  await sim?.close()
})

describe('podsHealthy', () => {
  it('passes for Running 1/1 pods and reports rows like kubectl get pods', async () => {
    const r = await podsHealthy({ ...conn(), selector: 'app=web', minPods: 2 })
    expect(r.status).toBe('pass')
    expect(r.evidence.pods).toHaveLength(2)
    expect(r.evidence.pods[0]).toMatchObject({ ready: '1/1', status: 'Running', restarts: 0, node: 'sim-node-1' })
  })
  it('fails a crash loop with the reason', async () => {
    await new Promise((r) => setTimeout(r, 1400))
    const r = await podsHealthy({ ...conn(), selector: 'app=crashy', fatalRestarts: 2 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/container app: CrashLoopBackOff \(\d+ restarts, last terminated: Error\)/)
    expect(r.evidence.pods[0]!.status).toBe('CrashLoopBackOff')
  })
  it('reports an unschedulable pod as such once the grace period is over', async () => {
    sim.put(deployment('pending', { ns: 'shop', replicas: 1, fault: 'Unschedulable' }))
    await new Promise((r) => setTimeout(r, 400))
    const r = await podsHealthy({ ...conn(), selector: 'app=pending', fatalGrace: 200 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^pod pending-\S+: Unschedulable: 0\/1 nodes are available: 1 Insufficient cpu/)
    expect(r.evidence.pods[0]!.status).toBe('Pending')
  })
  it('fails when too few pods match', async () => {
    const r = await podsHealthy({ ...conn(), selector: 'app=nothing' })
    expect(r.message).toBe('0 pods with app=nothing in shop, expected at least 1')
  })
  it.each([
    ['not ready', [{ metadata: { name: 'a' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: false, state: { running: {} } }] } }], 'fail', /1 of 1 pods in ns not ready: a 0\/1 Running/],
    ['restart budget', [{ metadata: { name: 'a' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 4, state: { running: {} }, lastState: { terminated: { reason: 'OOMKilled' } } }] } }], 'fail', /pod a restarted 4 times \(at most 3 allowed\), last terminated: OOMKilled/],
    ['healthy', [{ metadata: { name: 'a' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, state: { running: {} } }] } }], 'pass', /1 pods in ns Running and Ready \(1\/1\)/],
  ])('judgePods: %s', (_n, pods, status, msg) => {
    const v = judgePods(pods as never, { now: Date.now(), minPods: 1, maxRestarts: 3, fatalGrace: 60_000, fatalRestarts: 3 }, { namespace: 'ns', selector: '' })
    expect(v.status).toBe(status)
    expect(v.message).toMatch(msg)
  })
})

describe('certificateReady', () => {
  it('passes once cert-manager (simulated) has issued it', async () => {
    await waitFor(() => sim.store.get('certificates', 'shop', 'api-tls')?.status?.conditions?.[0]?.status === 'True')
    const r = await certificateReady({ ...conn(), name: 'api-tls' })
    expect(r.status).toBe('pass')
    expect(r.evidence).toMatchObject({ ready: 'True', readyReason: 'Ready', secretName: 'api-tls', issuer: 'ClusterIssuer/letsencrypt-prod' })
  })
  it('fails a certificate that never becomes ready, with the Issuing failure', async () => {
    await waitFor(() => sim.store.get('certificates', 'shop', 'broken-tls')?.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Issuing' && c.status === 'False'))
    const r = await certificateReady({ ...conn(), name: 'broken-tls' })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/certificate broken-tls is not ready \(Ready=False, DoesNotExist/)
  })
  it('names a missing certificate', async () => {
    expect((await certificateReady({ ...conn(), name: 'nope' })).message).toBe('certificate nope not found in namespace shop')
  })
})

describe('resourceExists', () => {
  it.each([
    ['ServiceAccount', 'app-sa', 'pass', 'ServiceAccount app-sa exists in namespace shop'],
    ['ClusterIssuer', 'letsencrypt-prod', 'pass', 'ClusterIssuer letsencrypt-prod exists'],
    ['Namespace', 'shop', 'pass', 'Namespace shop exists'],
    ['ServiceAccount', 'ghost', 'fail', 'serviceaccount ghost not found in namespace shop'],
    ['ClusterIssuer', 'letsencrypt-staging', 'fail', 'clusterissuer letsencrypt-staging not found'],
  ])('%s %s', async (kind, name, status, message) => {
    const r = await resourceExists({ ...conn(), kind, name })
    expect(r.status).toBe(status)
    expect(r.message).toBe(message)
  })
  it('lists with a minimum count (network policies)', async () => {
    expect((await resourceExists({ ...conn(), kind: 'NetworkPolicy' })).status).toBe('pass')
    const r = await resourceExists({ ...conn(), kind: 'NetworkPolicy', minCount: 3 })
    expect(r.message).toBe('1 NetworkPolicy objects in namespace shop, expected at least 3')
  })
  it('a kind the server does not serve is a clear failure', async () => {
    const r = await resourceExists({ ...conn(), kind: 'Gateway', apiVersion: 'gateway.networking.k8s.io/v1', name: 'x' })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/does not serve|not serve|gateway/i)
  })
})

describe('secretHasKeys', () => {
  it('passes with key names only: no value reaches the result', async () => {
    const r = await secretHasKeys({ ...conn(), name: 'app-secrets', keys: ['DATABASE_URL'] })
    expect(r.status).toBe('pass')
    expect(r.evidence.keys).toEqual(['API_KEY', 'DATABASE_URL'])
    const text = JSON.stringify(r)
    expect(text).not.toContain('s3cr3t-value')
    expect(text).not.toContain(Buffer.from('postgres://app:s3cr3t-value@db/app').toString('base64'))
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

describe('ingressReady and hpaHealthy', () => {
  it('ingress gets an address and names the TLS secret', async () => {
    await waitFor(() => Boolean(sim.store.get('ingresses', 'shop', 'web')?.status?.loadBalancer?.ingress))
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
  it('hpa within bounds and active', async () => {
    await waitFor(() => Boolean(sim.store.get('horizontalpodautoscalers', 'shop', 'web')?.status?.conditions))
    const r = await hpaHealthy({ ...conn(), name: 'web' })
    expect(r.status).toBe('pass')
    expect(r.evidence).toMatchObject({ currentReplicas: 2, minReplicas: 2, maxReplicas: 5, target: 'Deployment/web' })
  })
  it.each([
    ['inactive', { spec: { minReplicas: 1, maxReplicas: 3 }, status: { currentReplicas: 1, conditions: [{ type: 'AbleToScale', status: 'True' }, { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'no metrics' }] } }, /ScalingActive=False \(FailedGetResourceMetric: no metrics\)/],
    ['above max', { spec: { minReplicas: 1, maxReplicas: 3 }, status: { currentReplicas: 4, conditions: [{ type: 'AbleToScale', status: 'True' }, { type: 'ScalingActive', status: 'True' }] } }, /4 replicas, outside 1..3/],
    ['no conditions', { spec: { maxReplicas: 3 }, status: {} }, /no AbleToScale condition yet/],
  ])('judgeHpa: %s', (_n, h, msg) => {
    expect(judgeHpa(h, { name: 'h', namespace: 'n' }).message).toMatch(msg)
  })
})

describe('noWarningEvents', () => {
  it('reports the crash loop warnings since a time, as a table', async () => {
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
