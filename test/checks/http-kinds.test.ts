import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BuildContext } from '../../checks/kind.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'

describe('kinds resolve under a baseUrl with a path prefix (a gateway route)', () => {
  let server: Server
  let origin = ''
  const paths: string[] = []
  beforeAll(async () => {
    // Only /staging/... exists, as behind a gateway that routes by prefix.
    server = createServer((req, res) => {
      paths.push(req.url ?? '')
      req.resume()
      req.on('end', () => {
        if (!req.url?.startsWith('/staging/')) return void res.writeHead(404).end()
        if (req.url === '/staging/metrics') return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('up 1\n')
        res.writeHead(req.method === 'POST' ? 401 : 200, { 'content-type': 'application/json' }).end('{"status":"healthy"}')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  })
  const ctx = (): BuildContext => testBuildContext('/tmp', { baseUrl: `${origin}/staging` })

  it('http: /health → /staging/health, and the title says so', async () => {
    const entry = { id: 'h', kind: 'http', url: '/health' }
    const spec = await buildKind(entry, ctx())
    expect(spec.title).toBe(`GET ${origin}/staging/health answers 200`)
    const r = await spec.run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
    expect(paths.at(-1)).toBe('/staging/health')
  })

  it('metrics: the default /metrics path goes under the prefix', async () => {
    const r = await (await buildKind({ id: 'm', kind: 'metrics' }, ctx())).run(AbortSignal.timeout(5000))
    expect(paths.at(-1)).toBe('/staging/metrics')
    expect(r.status, r.message).toBe('pass')
  })

  it('webhook: the default path goes under the prefix', async () => {
    paths.length = 0
    await (await buildKind({ id: 'w', kind: 'webhook', secret: 's' }, ctx())).run(AbortSignal.timeout(5000))
    expect(paths).toEqual(['/staging/webhook/servicedesk'])
  })

  it('latency and security-headers resolve the same way', async () => {
    paths.length = 0
    await (await buildKind({ id: 'l', kind: 'latency', url: 'health', requests: 2, concurrency: 1 }, ctx())).run(AbortSignal.timeout(5000))
    await (await buildKind({ id: 's', kind: 'security-headers', url: '/' }, ctx())).run(AbortSignal.timeout(5000))
    expect(paths).toEqual(['/staging/health', '/staging/health', '/staging/'])
  })
})
