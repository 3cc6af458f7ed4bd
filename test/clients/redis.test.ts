import { execFile } from 'node:child_process'
import { createServer, type Server, type Socket } from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRedis } from '../../clients/redis.ts'
import { TimeoutError } from '../../lib/errors.ts'
import { runChecks } from '../../lib/runner.ts'
import { repoRoot } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { startSilentServer } from '../helpers/services.ts'

/**
 * A Redis server that completes the handshake (ioredis's CLIENT SETNAME and INFO ready check) and
 * then never answers the commands named in `mute`: a hang after connecting.
 */
async function startMuteRedis(mute: readonly string[]): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
    let buffered = ''
    s.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1')
      // Commands arrive as RESP arrays of bulk strings: *<n>\r\n($<len>\r\n<arg>\r\n){n}
      for (;;) {
        const m = /^\*(\d+)\r\n/.exec(buffered)
        if (!m) return
        let at = m[0].length
        const args: string[] = []
        for (let i = 0; i < Number(m[1]); i++) {
          const len = /^\$(\d+)\r\n/.exec(buffered.slice(at))
          if (!len || buffered.length < at + len[0].length + Number(len[1]) + 2) return
          at += len[0].length
          args.push(buffered.slice(at, at + Number(len[1])))
          at += Number(len[1]) + 2
        }
        buffered = buffered.slice(at)
        const name = (args[0] ?? '').toUpperCase()
        if (mute.includes(name)) continue
        if (name === 'INFO') {
          const info = '# Server\r\nredis_version:7.0.0\r\nloading:0\r\n'
          s.write(`$${info.length}\r\n${info}\r\n`)
        } else s.write('+OK\r\n')
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

describe('the Redis client caps its phases against the deadline, so a hang names its phase', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>
  let mute: Awaited<ReturnType<typeof startMuteRedis>>
  beforeAll(async () => {
    ;[silent, mute] = await Promise.all([startSilentServer(), startMuteRedis(['PING', 'LLEN', 'HLEN', 'EXISTS'])])
  })
  afterAll(async () => {
    await Promise.all([silent?.close(), mute?.close()])
  })

  const runWithTimeout = async (entry: Record<string, unknown>, timeout: string) => {
    const spec = await buildKind({ id: 'x', kind: 'redis', ...entry, timeout }, testBuildContext('/tmp'))
    const { results } = await runChecks([spec])
    return results[0]!
  }

  it('connect: a server that accepts TCP and never answers, 1 s check timeout, 5 s connectTimeout', async () => {
    const r = await runWithTimeout({ url: `redis://127.0.0.1:${silent.port}` }, '1s')
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^cannot connect to Redis at 127\.0\.0\.1:\d+: connect timed out after \d{1,3} ms/)
    expect(r.durationMs).toBeLessThan(1000)
  })

  it('command: a server that completes the handshake and never answers PING, 1 s check timeout, 5 s commandTimeout', async () => {
    const r = await runWithTimeout({ url: `redis://127.0.0.1:${mute.port}` }, '1s')
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^connected, but a command failed: command timed out after \d{1,3} ms$/)
    expect(r.durationMs).toBeLessThan(1000)
  })

  it('command: pipelined commands (queue-depth) too', async () => {
    const spec = await buildKind({ id: 'q', kind: 'queue-depth', url: `redis://127.0.0.1:${mute.port}`, adapter: 'celery', timeout: '1s' }, testBuildContext('/tmp'))
    const r = (await runChecks([spec])).results[0]!
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^connected, but reading the queue failed: command timed out after \d{1,3} ms$/)
  })

  it('each command gets its own commandTimeout (within the deadline): TimeoutError phase command', async () => {
    const session = await openRedis({ url: `redis://127.0.0.1:${mute.port}`, commandTimeout: 200, deadline: Date.now() + 10_000 })
    try {
      const started = Date.now()
      const err = await session.client.ping().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TimeoutError)
      expect(err).toMatchObject({ phase: 'command', timeoutMs: 200, message: 'command timed out after 200 ms' })
      expect(Date.now() - started).toBeLessThan(1000)
    } finally {
      session.close()
    }
  })
})

describe('ioredis loads lazily', () => {
  it('reading the declarations of the Redis kinds does not load ioredis (the registry imports every kind it lists)', async () => {
    // A resolve hook that refuses ioredis: the kinds must load and declare without it.
    const hook = "export async function resolve(s, c, next) { if (/^ioredis(\\/|$)/.test(s)) throw new Error('loaded ' + s); return next(s, c) }"
    const code = [
      "import { register } from 'node:module'",
      `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))`,
      "const { loadKinds } = await import('./checks/registry.ts')",
      "const kinds = await loadKinds(['redis', 'queue-depth'])",
      "const refused = await import('ioredis').then(() => 'not refused', (e) => e.message)",
      'console.log(JSON.stringify({ kinds: kinds.map((k) => k.kind + ":" + Object.keys(k.options.properties).length), refused }))',
    ].join('\n')
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repoRoot, timeout: 30_000 })
    const out = JSON.parse(stdout) as { kinds: string[]; refused: string }
    expect(out.kinds).toEqual([expect.stringMatching(/^redis:\d+$/), expect.stringMatching(/^queue-depth:\d+$/)])
    expect(out.refused).toBe('loaded ioredis') // the hook works: ioredis was simply never asked for
  })
})
