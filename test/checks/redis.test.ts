import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseRedisUrl } from '../../clients/redis.ts'
import { judgeRedis, parseInfo, redisPing } from '../../checks/redis.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import type { RunningRedis } from '../../sandbox/data-services.ts'
import { createCa, issueCert } from '../../sandbox/pki.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { closedPort, noRedis, startSilentServer, withRedis } from '../helpers/services.ts'

const PASSWORD = 'redis-default-pass-9'

describe('parseRedisUrl', () => {
  it.each([
    ['redis://127.0.0.1:6380', { host: '127.0.0.1', port: 6380, db: 0, tls: false, username: undefined, password: undefined }],
    ['rediss://app:s%40cret@cache.internal/3', { host: 'cache.internal', port: 6379, db: 3, tls: true, username: 'app', password: 's@cret', maskedUrl: 'rediss://app:***@cache.internal/3' }],
    ['redis://:only-pass@h:1', { username: undefined, password: 'only-pass', maskedUrl: 'redis://:***@h:1' }],
  ])('%s', (url, expected) => {
    expect(parseRedisUrl(url)).toMatchObject(expected)
  })
  it.each(['http://h', 'h:6379', 'redis://h/x'])('rejects %s', (url) => {
    expect(() => parseRedisUrl(url)).toThrow(InvalidArgumentError)
  })
})

describe('judgeRedis', () => {
  it.each([
    [{ connected: true, pingMs: 1, usedMemory: 1_000_000 }, { maxLatency: 0, maxMemory: 0 }, 'pass', /PONG in 1 ms, used memory 976\.6 KiB/],
    [{ connected: true, pingMs: 1, usedMemory: 500 * 1024 * 1024 }, { maxLatency: 0, maxMemory: 400 * 1024 * 1024 }, 'fail', /used memory 500 MiB is at or above the limit 400 MiB/],
    [{ connected: true, pingMs: 1, usedMemory: 10 }, { maxLatency: 0, maxMemory: 400 * 1024 * 1024 }, 'pass', /of 400 MiB allowed/],
    [{ connected: true, pingMs: 30, usedMemory: 10 }, { maxLatency: 20, maxMemory: 0 }, 'fail', /30 ms exceeds 20 ms/],
    [{ connected: false, error: 'cannot connect: x' }, { maxLatency: 0, maxMemory: 0 }, 'fail', /cannot connect/],
  ] as const)('%j %j → %s', (obs, limits, status, message) => {
    const v = judgeRedis(obs, limits)
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
  })

  it('parses INFO', () => {
    expect(parseInfo('# Memory\r\nused_memory:123\r\nused_memory_human:123B\r\n\r\n# Server\r\nredis_version:7.0.15\r\n')).toEqual({ used_memory: '123', used_memory_human: '123B', redis_version: '7.0.15' })
  })
})

describe.skipIf(noRedis)('redisPing against a real redis-server (password, ACL user, TLS)', () => {
  let redis: RunningRedis
  let dir: string
  let caFile: string
  beforeAll(async () => {
    const ca = createCa()
    dir = mkdtempSync(join(tmpdir(), 'rbk-redis-test-'))
    caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, ca.certPem)
    redis = await withRedis({ password: PASSWORD, tls: issueCert({ issuer: ca, commonName: '127.0.0.1', hosts: ['127.0.0.1'] }) })
    const admin = new Redis(redis.url)
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>app-user-pass-7', '~*', '+@all')
    await admin.quit()
  })
  afterAll(async () => {
    await redis?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('PONG, memory and version; the password is masked', async () => {
    const r = await redisPing({ url: redis.url, maxMemory: 400 * 1024 * 1024 })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.pingMs).toBeGreaterThanOrEqual(0)
    expect(r.evidence.usedMemory).toBeGreaterThan(0)
    expect(r.evidence.redisVersion).toMatch(/^\d+\./)
    expect(r.evidence.role).toBe('master')
    expect(r.evidence.url).toBe(`redis://:***@127.0.0.1:${redis.port}`)
    expect(JSON.stringify(r)).not.toContain(PASSWORD)
  })

  it('builds from a target-file entry: maxMemory as written (1KiB), the default title, the password registered', async () => {
    const ctx = testBuildContext(dir)
    const spec = await buildKind({ id: 'redis', kind: 'redis', url: redis.url, maxMemory: '1KiB', maxLatency: '5s' }, ctx)
    expect(spec.title).toBe(`Redis at 127.0.0.1:${redis.port} answers PING`)
    expect(ctx.redactor.redact(`auth ${PASSWORD}`)).toBe('auth ***')
    const r = await spec.run(AbortSignal.timeout(10_000))
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/is at or above the limit 1 KiB/)
  })

  it('fails when used memory is over the limit', async () => {
    const r = await redisPing({ url: redis.url, maxMemory: 1024 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/is at or above the limit 1 KiB/)
  })

  it('an ACL user and password from the URL', async () => {
    const r = await redisPing({ url: `redis://app:app-user-pass-7@127.0.0.1:${redis.port}/2` })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.db).toBe(2)
    expect(JSON.stringify(r)).not.toContain('app-user-pass-7')
  })

  it('a wrong password fails with "authentication failed" and no password anywhere', async () => {
    const r = await redisPing({ url: `redis://app:not-the-pass-5@127.0.0.1:${redis.port}` })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/authentication failed/)
    const json = JSON.stringify(r)
    expect(json).not.toContain('not-the-pass-5')
    expect(json).not.toContain(PASSWORD)
  })

  it('no password where one is required', async () => {
    const r = await redisPing({ url: `redis://127.0.0.1:${redis.port}` })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/authentication required/)
  })

  it('rediss:// with the CA file', async () => {
    const r = await redisPing({ url: redis.tlsUrl!, ca: caFile })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.tls).toBe(true)
  })

  it('rediss:// without the CA fails on the certificate', async () => {
    const r = await redisPing({ url: redis.tlsUrl!, connectTimeout: 2000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/certificate/i)
  })
})

describe('redisPing when Redis is down or mute', () => {
  it('fails fast when nothing listens', async () => {
    const started = Date.now()
    const r = await redisPing({ url: `redis://:pw-not-shown@127.0.0.1:${await closedPort()}`, connectTimeout: 2000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/ECONNREFUSED/)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(JSON.stringify(r)).not.toContain('pw-not-shown')
  })

  it('times out against a server that accepts TCP and never speaks', async () => {
    const silent = await startSilentServer()
    try {
      const started = Date.now()
      const r = await redisPing({ url: `redis://127.0.0.1:${silent.port}`, connectTimeout: 400 })
      expect(r.status).toBe('fail')
      expect(r.message).toMatch(/connect timed out after 400 ms/)
      expect(Date.now() - started).toBeLessThan(3000)
    } finally {
      await silent.close()
    }
  })

  it('stops when its signal is aborted', async () => {
    const silent = await startSilentServer()
    try {
      const started = Date.now()
      const r = await redisPing({ url: `redis://127.0.0.1:${silent.port}`, connectTimeout: 10_000, signal: AbortSignal.timeout(200) })
      expect(r.status).toBe('error')
      expect(r.message).toMatch(/aborted/)
      expect(Date.now() - started).toBeLessThan(3000)
    } finally {
      await silent.close()
    }
  })
})
