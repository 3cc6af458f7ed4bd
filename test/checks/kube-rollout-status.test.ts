import { describe, expect, it } from 'vitest'
import { daemonSetRolloutState, deploymentRolloutState, statefulSetRolloutState } from '../../checks/kube-rollout-status.ts'

// Cases are kubectl's own (polymorphichelpers/rollout_status_test.go), messages without the trailing newline.
describe('deploymentRolloutState (kubectl TestDeploymentStatusViewerStatus)', () => {
  it.each([
    ['test1', 0, 1, { observedGeneration: 1, replicas: 1, updatedReplicas: 0, availableReplicas: 1, unavailableReplicas: 0 }, 'Waiting for deployment "foo" rollout to finish: 0 out of 1 new replicas have been updated...', false],
    ['test2', 1, 1, { observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 2, unavailableReplicas: 0 }, 'Waiting for deployment "foo" rollout to finish: 1 old replicas are pending termination...', false],
    ['test3', 1, 2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1, unavailableReplicas: 1 }, 'Waiting for deployment "foo" rollout to finish: 1 of 2 updated replicas are available...', false],
    ['test4', 1, 2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 0 }, 'deployment "foo" successfully rolled out', true],
    ['test5', 2, 2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 0 }, 'Waiting for deployment spec update to be observed...', false],
    // readyReplicas is never consulted
    ['ready ignored', 1, 2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 0 }, 'deployment "foo" successfully rolled out', true],
    // empty status of a brand-new object: generation 1 > observedGeneration 0
    ['new object', 1, 3, {}, 'Waiting for deployment spec update to be observed...', false],
  ])('%s', (_name, generation, replicas, status, msg, done) => {
    const s = deploymentRolloutState({ metadata: { name: 'foo', generation }, spec: { replicas }, status })
    expect(s).toEqual({ done, message: msg })
  })

  it.each([
    ['deadline exceeded wins over counts', { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }, 1, 0, 'deployment "foo" exceeded its progress deadline'],
    ['deadline not judged before the spec is observed', { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }, 2, 0, undefined],
    ['revision mismatch', { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, 1, 3, 'desired revision (3) is different from the running revision (2)'],
  ])('%s', (_name, status, generation, revision, error) => {
    const s = deploymentRolloutState({ metadata: { name: 'foo', generation, annotations: { 'deployment.kubernetes.io/revision': '2' } }, spec: { replicas: 1 }, status }, revision)
    expect(s.error).toBe(error)
    if (error) expect(s.done).toBe(false)
  })

  it('unset spec.replicas skips the updated-replicas test', () => {
    expect(deploymentRolloutState({ metadata: { name: 'foo', generation: 1 }, spec: {}, status: { observedGeneration: 1, replicas: 0, updatedReplicas: 0, availableReplicas: 0 } }).done).toBe(true)
  })
})

describe('daemonSetRolloutState (kubectl TestDaemonSetStatusViewerStatus)', () => {
  it.each([
    ['test1', 0, { observedGeneration: 1, updatedNumberScheduled: 0, desiredNumberScheduled: 1, numberAvailable: 0 }, 'Waiting for daemon set "foo" rollout to finish: 0 out of 1 new pods have been updated...', false],
    ['test2', 1, { observedGeneration: 1, updatedNumberScheduled: 2, desiredNumberScheduled: 2, numberAvailable: 1 }, 'Waiting for daemon set "foo" rollout to finish: 1 of 2 updated pods are available...', false],
    ['test3', 1, { observedGeneration: 1, updatedNumberScheduled: 2, desiredNumberScheduled: 2, numberAvailable: 2 }, 'daemon set "foo" successfully rolled out', true],
    ['test4', 2, { observedGeneration: 1, updatedNumberScheduled: 2, desiredNumberScheduled: 2, numberAvailable: 2 }, 'Waiting for daemon set spec update to be observed...', false],
  ])('%s', (_name, generation, status, msg, done) => {
    expect(daemonSetRolloutState({ metadata: { name: 'foo', generation }, spec: { updateStrategy: { type: 'RollingUpdate' } }, status })).toEqual({ done, message: msg })
  })

  it('OnDelete is an error (TestDaemonSetStatusViewerStatusWithWrongUpdateStrategyType)', () => {
    expect(daemonSetRolloutState({ metadata: { name: 'foo' }, spec: { updateStrategy: { type: 'OnDelete' } } }).error).toBe('rollout status is only available for RollingUpdate strategy type')
  })
})

describe('statefulSetRolloutState (kubectl TestStatefulSetStatusViewerStatus)', () => {
  const RU = { type: 'RollingUpdate' }
  it.each([
    ['on delete returns an error', 1, { type: 'OnDelete' }, { observedGeneration: 1, replicas: 0, readyReplicas: 1, currentReplicas: 0, updatedReplicas: 0 }, '', true, true],
    ['unobserved update is not complete', 2, RU, { observedGeneration: 1, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 0 }, 'Waiting for statefulset spec update to be observed...', false, false],
    ['if all pods are not ready the update is not complete', 1, RU, { observedGeneration: 2, replicas: 3, readyReplicas: 2, currentReplicas: 3, updatedReplicas: 0 }, 'Waiting for 1 pods to be ready...', false, false],
    ['partition update completes when all replicas above the partition are updated', 1, { ...RU, rollingUpdate: { partition: 2 } }, { observedGeneration: 2, replicas: 3, readyReplicas: 3, currentReplicas: 2, updatedReplicas: 1 }, 'partitioned roll out complete: 1 new pods have been updated...', true, false],
    // kubectl's table says done:true here but only asserts "not done when it should not be"; the function returns false.
    ['partition update is in progress if all pods above the partition have not been updated', 1, { ...RU, rollingUpdate: { partition: 2 } }, { observedGeneration: 2, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 0 }, 'Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated...', false, false],
    ['update completes when all replicas are current', 1, RU, { observedGeneration: 2, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: 'foo', updateRevision: 'foo' }, 'statefulset rolling update complete 3 pods at revision foo...', true, false],
    ['revision differs without a rollingUpdate block', 1, RU, { observedGeneration: 1, replicas: 3, readyReplicas: 3, currentReplicas: 2, updatedReplicas: 1, currentRevision: 'a', updateRevision: 'b' }, 'waiting for statefulset rolling update to complete 1 pods at revision b...', false, false],
    ['observedGeneration 0 is never observed', 0, RU, { observedGeneration: 0, replicas: 3, readyReplicas: 3 }, 'Waiting for statefulset spec update to be observed...', false, false],
    ['rollingUpdate without partition reports the partitioned message', 1, { ...RU, rollingUpdate: {} }, { observedGeneration: 1, replicas: 3, readyReplicas: 3, updatedReplicas: 3 }, 'partitioned roll out complete: 3 new pods have been updated...', true, false],
  ])('%s', (_name, generation, updateStrategy, status, msg, done, isErr) => {
    const s = statefulSetRolloutState({ metadata: { name: 'foo', generation }, spec: { replicas: 3, updateStrategy }, status })
    expect(s.message).toBe(msg)
    expect(s.done).toBe(done)
    expect(Boolean(s.error)).toBe(isErr)
  })
})
