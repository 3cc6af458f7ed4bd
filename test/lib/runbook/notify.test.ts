import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redactor } from '../../../lib/redact.ts'
import { notify } from '../../../lib/runbook/notify.ts'

describe('notify', () => {
  let server: Server
  let url = ''
  const bodies: string[] = []
  let status = 200
  beforeAll(async () => {
    server = createServer((req, res) => {
      let b = ''
      req.on('data', (d) => (b += d))
      req.on('end', () => {
        bodies.push(b)
        res.statusCode = status
        res.end('ok')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/secretpath`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('posts Slack-style JSON with secrets masked', async () => {
    const redactor = new Redactor()
    redactor.add('hunter2-secret')
    status = 200
    expect(await notify('failure', 'deploy failed: hunter2-secret', { url, redactor })).toBeUndefined()
    expect(JSON.parse(bodies.at(-1)!)).toEqual({ text: ':x: deploy failed: ***' })
  })
  it('a rejected or unreachable webhook is a warning, not an exception', async () => {
    const redactor = new Redactor()
    status = 500
    expect(await notify('start', 'x', { url, redactor })).toBe('notification (start) not accepted: HTTP 500')
    const w = await notify('start', 'x', { url: 'http://127.0.0.1:1/hook', redactor, timeout: 1000 })
    expect(w).toMatch(/^notification \(start\) failed: /)
  })
})
