import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { groupingUrl, parsePushgatewayUrl, pushMetrics } from '../../clients/pushgateway.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { startSilentServer } from '../helpers/services.ts'

describe('groupingUrl', () => {
  it.each([
    ['http://gw:9091', [['target', 'staging']], 'http://gw:9091/metrics/job/runbook_kit/target/staging'],
    ['http://gw:9091/', [['target', 'staging'], ['shard', '2']], 'http://gw:9091/metrics/job/runbook_kit/target/staging/shard/2'],
    ['https://gw.example/prefix/', [['target', 'eu west']], 'https://gw.example/prefix/metrics/job/runbook_kit/target/eu%20west'],
    // The Pushgateway README: a value with a slash, or an empty one, goes base64url-encoded.
    ['http://gw:9091', [['target', 'prod/eu']], 'http://gw:9091/metrics/job/runbook_kit/target@base64/cHJvZC9ldQ'],
    ['http://gw:9091', [['target', '']], 'http://gw:9091/metrics/job/runbook_kit/target@base64/='],
  ] as [string, [string, string][], string][])('%s + %j', (base, grouping, expected) => {
    expect(groupingUrl(base, 'runbook_kit', grouping)).toBe(expected)
  })

  it.each(['ftp://gw', 'gw:9091', 'http://gw:9091/?x=1', ''])('rejects %j', (url) => {
    expect(() => parsePushgatewayUrl(url)).toThrow(InvalidArgumentError)
  })
})

describe('pushMetrics', () => {
  let seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = []
  let status = 200
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body })
      res.writeHead(status)
      res.end(status === 200 ? '' : 'pushed metrics are invalid or inconsistent with existing metrics')
    })
  })
  let base = ''
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('PUTs the exposition with the text-format content type; credentials in the URL become a Basic header', async () => {
    seen = []
    const url = base.replace('http://', 'http://pusher:s3cr%40t@')
    const res = await pushMetrics({ url, job: 'runbook_kit', grouping: [['target', 'a']], body: 'x 1\n' })
    expect(res).toEqual({ ok: true, url: `${base.replace('http://', 'http://pusher:***@')}/metrics/job/runbook_kit/target/a`, status: 200 })
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/metrics/job/runbook_kit/target/a', body: 'x 1\n' })
    expect(seen[0]!.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('pusher:s3cr@t').toString('base64')}`)
  })

  it('returns the server\'s refusal as data', async () => {
    status = 400
    const res = await pushMetrics({ url: base, job: 'runbook_kit', body: 'x 1\n' })
    status = 200
    expect(res).toEqual({ ok: false, url: `${base}/metrics/job/runbook_kit`, reason: 'HTTP 400: pushed metrics are invalid or inconsistent with existing metrics' })
  })

  it('gives up after its timeout and says so', async () => {
    const silent = await startSilentServer()
    try {
      const started = Date.now()
      const res = await pushMetrics({ url: `http://127.0.0.1:${silent.port}`, job: 'runbook_kit', body: 'x 1\n', timeoutMs: 300 })
      expect(res).toMatchObject({ ok: false, reason: 'no answer within 300 ms' })
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      await silent.close()
    }
  })
})
