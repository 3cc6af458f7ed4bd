import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { judgeTcp, tcpConnect } from '../../checks/tcp.ts'
import { runCli } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'

describe('judgeTcp', () => {
  it.each([
    [{ address: 'db:5432', connectMs: 3 }, undefined, 'pass', 'db:5432 connected in 3 ms'],
    [{ address: 'db:5432', connectMs: 30 }, 20, 'fail', 'db:5432 connected in 30 ms, over the 20 ms budget'],
    [{ address: 'db:5432', connectMs: 20 }, 20, 'pass', 'db:5432 connected in 20 ms'],
    [{ address: 'db:5432', error: { code: 'ECONNREFUSED', message: 'connection refused' } }, undefined, 'fail', 'db:5432 does not accept connections: connection refused'],
  ] as const)('%j within %s ms: %s', (obs, max, status, message) => {
    const v = judgeTcp(obs, max)
    expect(v.status).toBe(status)
    expect(v.message).toBe(message)
  })
})

describe('tcp kind against loopback servers', () => {
  let open: Server
  let openPort = 0
  beforeAll(async () => {
    open = createServer((s) => s.end())
    await new Promise<void>((r) => open.listen(0, '127.0.0.1', r))
    openPort = (open.address() as { port: number }).port
  })
  afterAll(() => {
    open.close()
  })

  it('an open port passes; a closed one fails with the reason', async () => {
    expect((await tcpConnect({ address: `127.0.0.1:${openPort}` })).status).toBe('pass')
    const closed = await tcpConnect({ address: '127.0.0.1:1' })
    expect(closed.status).toBe('fail')
    expect(closed.evidence.error).toBe('ECONNREFUSED')
  })

  it('builds from a target entry through the one build path (duration as written, default title)', async () => {
    const spec = await buildKind({ id: 'db-port', kind: 'tcp', address: `127.0.0.1:${openPort}`, connectTimeout: '2s' }, testBuildContext('/tmp'))
    expect(spec.title).toBe(`127.0.0.1:${openPort} accepts TCP connections`)
    expect((await spec.run(AbortSignal.timeout(5000))).status).toBe('pass')
  })

  it('an address without a port is a configuration error, as a flag on the command line', async () => {
    const run = await runCli(['check', 'tcp', '127.0.0.1'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('has no port: write host:port')
    const ok = await runCli(['check', 'tcp', `127.0.0.1:${openPort}`, '--json'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ kind: 'tcp', status: 'pass', evidence: { address: `127.0.0.1:${openPort}` } })
  })
})
