// clients/kube.ts: every request's timeout is capped against the deadline, so a hang names its phase.
import { beforeAll, describe, expect, it } from 'vitest'
import { createKubeClient, describeKubeError, kubeLibrary, watchUntil } from '../../clients/kube.ts'
import { TimeoutError } from '../../lib/errors.ts'
import { startSilentApiServer } from '../checks/kube-fixtures.ts'

describe('createKubeClient against a server that accepts and never answers', () => {
  // The first import of the library takes a second: not part of the deadlines below.
  beforeAll(() => kubeLibrary())

  it('a request capped by a deadline shorter than requestTimeout rejects with the request phase', async () => {
    const api = await startSilentApiServer()
    try {
      const client = await createKubeClient({ kubeconfig: api.kubeconfig, requestTimeout: 10_000, deadline: Date.now() + 800 })
      const started = Date.now()
      const err = await client.request((call) => client.core.listNamespacedPod({ namespace: 'default' }, call)).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).phase).toBe('request')
      expect((err as TimeoutError).message).toMatch(/^request timed out after (6|7)\d\d ms$/)
      expect(Date.now() - started).toBeLessThan(1500)
      expect(describeKubeError(err, { verb: 'list', resource: 'pods', kind: 'pod', namespace: 'default' }, client.server).message).toBe(
        `Kubernetes API at ${client.server} did not answer list pods in namespace default: ${(err as TimeoutError).message}`,
      )
    } finally {
      await api.close()
    }
  })

  it('without a deadline the request keeps its own requestTimeout', async () => {
    const api = await startSilentApiServer()
    try {
      const client = await createKubeClient({ kubeconfig: api.kubeconfig, requestTimeout: 300 })
      await expect(client.request((call) => client.core.listNamespacedPod({ namespace: 'default' }, call))).rejects.toThrow('request timed out after 300 ms')
    } finally {
      await api.close()
    }
  })

  it("the caller's signal is an interruption, not a timeout", async () => {
    const api = await startSilentApiServer()
    try {
      const client = await createKubeClient({ kubeconfig: api.kubeconfig, signal: AbortSignal.timeout(200) })
      const err = await client.request((call) => client.core.listNamespacedPod({ namespace: 'default' }, call)).catch((e: unknown) => e)
      expect(err).not.toBeInstanceOf(TimeoutError)
    } finally {
      await api.close()
    }
  })

  it('a watch that never starts is given up within the time left, naming the watch', async () => {
    const list = { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '3' }, items: [] }
    const api = await startSilentApiServer((req) => (req.url?.includes('watch=true') ? undefined : list))
    try {
      const client = await createKubeClient({ kubeconfig: api.kubeconfig, requestTimeout: 10_000, deadline: Date.now() + 1000 })
      const res = await watchUntil({
        client,
        timeoutMs: 1000,
        path: '/api/v1/namespaces/default/pods',
        list: () => client.request((call) => client.core.listNamespacedPod({ namespace: 'default' }, call)),
        evaluate: () => undefined,
      })
      expect(res.outcome).toBe('timeout')
      expect(res.stats.lastError).toMatch(/^watch did not start within [1-9]\d{2} ms$/)
    } finally {
      await api.close()
    }
  })
})
