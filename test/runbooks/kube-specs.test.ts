import { describe, expect, it } from 'vitest'
import { imageTag, judgeVersion } from '../../runbooks/kube-specs.ts'

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
