import { describe, expect, it } from 'vitest'
import { humanAge, lastTerminationReason, printPod, type PodLike } from '../../clients/kube-print.ts'
import { describeProblem, podProblems } from '../../checks/kube-pod-problems.ts'

const running = { running: { startedAt: '2026-01-01T00:00:00Z' } }
const ready = (name: string, restartCount = 0) => ({ name, ready: true, started: true, restartCount, state: running })
const waiting = (name: string, reason: string, restartCount = 0, extra: object = {}) => ({ name, ready: false, restartCount, state: { waiting: { reason } }, ...extra })
const pod = (status: NonNullable<PodLike['status']>, spec: NonNullable<PodLike['spec']> = { containers: [{ name: 'app' }, { name: 'proxy' }] }, meta: object = {}): PodLike => ({
  metadata: { name: 'web-1', creationTimestamp: '2026-01-01T00:00:00Z', ...meta },
  spec,
  status,
})
const readyCond = [{ type: 'Ready', status: 'True' }]

describe('printPod: the STATUS/READY/RESTARTS columns of kubectl get pods', () => {
  it.each<[string, PodLike, string, string, number]>([
    ['all running', pod({ phase: 'Running', conditions: readyCond, containerStatuses: [ready('app'), ready('proxy', 2)] }), 'Running', '2/2', 2],
    ['one crash-looping', pod({ phase: 'Running', containerStatuses: [ready('app'), waiting('proxy', 'CrashLoopBackOff', 5)] }), 'CrashLoopBackOff', '1/2', 5],
    ['last container wins when walking backwards', pod({ phase: 'Pending', containerStatuses: [waiting('app', 'ImagePullBackOff'), waiting('proxy', 'ContainerCreating')] }), 'ImagePullBackOff', '0/2', 0],
    ['pending with no statuses', pod({ phase: 'Pending' }), 'Pending', '0/2', 0],
    ['status.reason overrides phase', pod({ phase: 'Failed', reason: 'Evicted' }), 'Evicted', '0/2', 0],
    ['scheduling gated', pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }), 'SchedulingGated', '0/2', 0],
    ['terminated with reason', pod({ phase: 'Running', containerStatuses: [ready('app'), { name: 'proxy', restartCount: 1, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }), 'OOMKilled', '1/2', 1],
    ['terminated with signal', pod({ phase: 'Running', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, signal: 9 } } }] }, { containers: [{ name: 'app' }] }), 'Signal:9', '0/1', 0],
    ['terminated with exit code', pod({ phase: 'Running', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 3 } } }] }, { containers: [{ name: 'app' }] }), 'ExitCode:3', '0/1', 0],
    ['completed with a running sidecar and Ready', pod({ phase: 'Running', conditions: readyCond, containerStatuses: [ready('app'), { name: 'proxy', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), 'Running', '1/2', 0],
    ['completed with a running sidecar not Ready', pod({ phase: 'Running', containerStatuses: [ready('app'), { name: 'proxy', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), 'NotReady', '1/2', 0],
    ['init container waiting', pod({ phase: 'Pending', initContainerStatuses: [waiting('migrate', 'CrashLoopBackOff', 3)], containerStatuses: [waiting('app', 'PodInitializing')] }, { initContainers: [{ name: 'migrate' }], containers: [{ name: 'app' }] }), 'Init:CrashLoopBackOff', '0/1', 3],
    ['init container failed with reason', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, { initContainers: [{ name: 'migrate' }], containers: [{ name: 'app' }] }), 'Init:Error', '0/1', 0],
    ['init container failed without reason', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 2 } } }] }, { initContainers: [{ name: 'migrate' }], containers: [{ name: 'app' }] }), 'Init:ExitCode:2', '0/1', 0],
    ['init container killed by signal', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 143, signal: 15, reason: '' } } }] }, { initContainers: [{ name: 'migrate' }], containers: [{ name: 'app' }] }), 'Init:Signal:15', '0/1', 0],
    ['second init container running', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }, { name: 'b', state: running }] }, { initContainers: [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'app' }] }), 'Init:1/2', '0/1', 0],
    ['init waiting PodInitializing counts as in progress', pod({ phase: 'Pending', initContainerStatuses: [waiting('a', 'PodInitializing')] }, { initContainers: [{ name: 'a' }], containers: [{ name: 'app' }] }), 'Init:0/1', '0/1', 0],
    ['restartable sidecar init container counts in READY', pod({ phase: 'Running', conditions: [...readyCond, { type: 'Initialized', status: 'True' }], initContainerStatuses: [{ name: 'mesh', ready: true, started: true, restartCount: 1, state: running }], containerStatuses: [ready('app')] }, { initContainers: [{ name: 'mesh', restartPolicy: 'Always' }], containers: [{ name: 'app' }] }), 'Running', '2/2', 1],
    ['terminating', pod({ phase: 'Running', containerStatuses: [ready('app'), ready('proxy')] }, undefined, { deletionTimestamp: '2026-01-01T00:01:00Z' }), 'Terminating', '2/2', 0],
    ['node lost', pod({ phase: 'Running', reason: 'NodeLost' }, undefined, { deletionTimestamp: '2026-01-01T00:01:00Z' }), 'Unknown', '0/2', 0],
    ['terminal pod being deleted keeps its phase', pod({ phase: 'Succeeded' }, undefined, { deletionTimestamp: new Date('2026-01-01T00:01:00Z') }), 'Succeeded', '0/2', 0],
  ])('%s', (_name, p, status, readyCol, restarts) => {
    const out = printPod(p)
    expect(out.status).toBe(status)
    expect(out.ready).toBe(readyCol)
    expect(out.restarts).toBe(restarts)
  })
})

describe('podProblems: fatal waiting reasons', () => {
  const created = Date.parse('2026-01-01T00:00:00Z')
  const policy = (ageMs: number) => ({ now: created + ageMs, graceMs: 60_000, fatalRestarts: 3 })
  it.each<[string, PodLike, number, string[]]>([
    ['InvalidImageName is fatal at once', pod({ containerStatuses: [waiting('app', 'InvalidImageName')] }), 1000, ['app:InvalidImageName:now']],
    ['ErrImageNeverPull is fatal at once', pod({ containerStatuses: [waiting('app', 'ErrImageNeverPull')] }), 1000, ['app:ErrImageNeverPull:now']],
    ['CreateContainerConfigError is fatal at once', pod({ containerStatuses: [waiting('app', 'CreateContainerConfigError')] }), 1000, ['app:CreateContainerConfigError:now']],
    ['ImagePullBackOff within grace is pending', pod({ containerStatuses: [waiting('app', 'ImagePullBackOff')] }), 1000, ['app:ImagePullBackOff:pending']],
    ['ImagePullBackOff after grace is fatal', pod({ containerStatuses: [waiting('app', 'ImagePullBackOff')] }), 61_000, ['app:ImagePullBackOff:grace']],
    ['ErrImagePull after grace is fatal', pod({ containerStatuses: [waiting('app', 'ErrImagePull')] }), 61_000, ['app:ErrImagePull:grace']],
    ['CrashLoopBackOff at the restart budget is fatal inside grace', pod({ containerStatuses: [waiting('app', 'CrashLoopBackOff', 3)] }), 1000, ['app:CrashLoopBackOff:grace']],
    ['CrashLoopBackOff below the restart budget is pending', pod({ containerStatuses: [waiting('app', 'CrashLoopBackOff', 2)] }), 1000, ['app:CrashLoopBackOff:pending']],
    ['RunContainerError after grace', pod({ containerStatuses: [waiting('app', 'RunContainerError')] }), 61_000, ['app:RunContainerError:grace']],
    ['CreateContainerError after grace', pod({ containerStatuses: [waiting('app', 'CreateContainerError')] }), 61_000, ['app:CreateContainerError:grace']],
    ['benign reasons are not problems', pod({ containerStatuses: [waiting('app', 'ContainerCreating'), waiting('proxy', 'PodInitializing')] }), 600_000, []],
    ['init containers are included', pod({ initContainerStatuses: [waiting('migrate', 'CrashLoopBackOff', 4)], containerStatuses: [waiting('app', 'PodInitializing')] }), 1000, ['migrate:CrashLoopBackOff:grace']],
    ['unschedulable is reported after grace', pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] }), 61_000, ['-:Unschedulable:grace']],
    ['unschedulable inside grace is pending', pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }), 1000, ['-:Unschedulable:pending']],
    ['healthy pod has none', pod({ phase: 'Running', containerStatuses: [ready('app', 10)] }), 600_000, []],
  ])('%s', (_name, p, age, expected) => {
    expect(podProblems(p, policy(age)).map((x) => `${x.container ?? '-'}:${x.reason}:${x.severity}`)).toEqual(expected)
  })

  it('describes a crash loop with its last termination reason', () => {
    const p = pod({ containerStatuses: [waiting('app', 'CrashLoopBackOff', 5, { lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-01T00:00:30Z' } } })] })
    const [problem] = podProblems(p, policy(1000))
    expect(describeProblem(problem!)).toBe('pod web-1 container app: CrashLoopBackOff (5 restarts, last terminated: OOMKilled)')
    expect(lastTerminationReason(p)).toBe('OOMKilled')
  })
})

describe('humanAge', () => {
  it.each([[0, '0s'], [45_000, '45s'], [119_000, '119s'], [200_000, '3m20s'], [600_000, '10m'], [3 * 3600_000, '3h'], [3 * 3600_000 + 60_000 * 5, '3h5m'], [50 * 3600_000, '2d2h'], [10 * 86_400_000, '10d']])('%i ms → %s', (ms, s) => {
    expect(humanAge(ms)).toBe(s)
  })
})
