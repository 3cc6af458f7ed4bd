import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maskPassword, parsePostgresUrl } from '../../clients/postgres.ts'
import { judgePostgres, postgresConnect } from '../../checks/postgres.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import type { RunningPostgres } from '../../sandbox/data-services.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { closedPort, noPostgres, startSilentServer, withPostgres } from '../helpers/services.ts'

describe('parsePostgresUrl', () => {
  it.each([
    ['postgresql://app:s3cret@db.internal:6543/orders', { host: 'db.internal', port: 6543, database: 'orders', user: 'app', password: 's3cret', driver: undefined, sslmode: undefined }],
    ['postgres://app@db/orders?sslmode=verify-full&sslrootcert=/ca.pem', { host: 'db', port: 5432, user: 'app', password: undefined, sslmode: 'verify-full', sslrootcert: '/ca.pem' }],
    ['postgresql+asyncpg://app:p%40ss@db/orders?ssl=require', { driver: 'asyncpg', password: 'p@ss', sslmode: 'require' }],
    ['postgresql+psycopg2://app:x@db/orders', { driver: 'psycopg2' }],
  ])('%s', (url, expected) => {
    expect(parsePostgresUrl(url)).toMatchObject(expected)
    expect(parsePostgresUrl(url).maskedUrl).not.toMatch(/s3cret|p%40ss|:x@/)
  })

  it.each(['mysql://a:b@h/db', 'http://h', '', 'postgresql://h/db?sslmode=sometimes'])('rejects %j', (url) => {
    expect(() => parsePostgresUrl(url)).toThrow(InvalidArgumentError)
  })

  it('masks the password but keeps the user', () => {
    expect(maskPassword('postgresql+asyncpg://app:hunter22@db:5432/x')).toBe('postgresql+asyncpg://app:***@db:5432/x')
  })
})

describe('judgePostgres', () => {
  const ok = { connected: true, tls: false, serverVersion: '15.8', serverVersionNum: 150008, latencyMs: 2 }
  const none = { maxLatency: 0, minServerVersion: 0, requireTls: false }
  it.each([
    [ok, none, 'pass', /PostgreSQL 15\.8/],
    [{ connected: false, error: 'cannot connect to h:1: refused' }, none, 'fail', /refused/],
    [ok, { ...none, requireTls: true }, 'fail', /without TLS/],
    [ok, { ...none, minServerVersion: 16 }, 'fail', /older than the required 16/],
    [ok, { ...none, minServerVersion: 15 }, 'pass', /connected/],
    [{ ...ok, latencyMs: 80 }, { ...none, maxLatency: 50 }, 'fail', /80 ms exceeds 50 ms/],
  ] as const)('%j %j → %s', (obs, limits, status, message) => {
    const v = judgePostgres(obs, limits)
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
  })
})

describe.skipIf(noPostgres)('postgresConnect against a real PostgreSQL', () => {
  let pg: RunningPostgres
  beforeAll(async () => {
    pg = await withPostgres({ password: 'correct-horse-battery' })
  })
  afterAll(async () => {
    await pg?.stop()
  })

  it('connects, reports version and latency, and masks the password', async () => {
    const r = await postgresConnect({ url: pg.url })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.serverVersion).toMatch(/^\d+\.\d+/)
    expect(r.evidence.serverVersionNum).toBeGreaterThan(100000)
    expect(r.evidence.latencyMs).toBeGreaterThanOrEqual(0)
    expect(r.evidence.tls).toBe(false)
    expect(r.evidence.inRecovery).toBe(false)
    expect(r.evidence.url).toContain(':***@')
    expect(JSON.stringify(r)).not.toContain('correct-horse-battery')
  })

  it('builds from a target-file entry: durations as written, the default title, the password registered', async () => {
    const ctx = testBuildContext('/tmp')
    const spec = await buildKind({ id: 'db', kind: 'postgres', url: pg.url.replace('postgresql://', 'postgresql+asyncpg://'), connectTimeout: '3s', maxLatency: '5s', minServerVersion: 12 }, ctx)
    expect(spec.title).toBe(`PostgreSQL at 127.0.0.1:${pg.port}/${pg.database} accepts connections`)
    expect(ctx.redactor.redact('pw correct-horse-battery')).toBe('pw ***')
    const r = await spec.run(AbortSignal.timeout(10_000))
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.maxLatencyMs).toBe(5000)
  })

  it('accepts the SQLAlchemy driver suffix (postgresql+asyncpg://)', async () => {
    const r = await postgresConnect({ url: pg.url.replace('postgresql://', 'postgresql+asyncpg://') })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.url).toMatch(/^postgresql\+asyncpg:\/\/postgres:\*\*\*@/)
  })

  it('fails on a wrong password with "authentication failed" and no password anywhere', async () => {
    const url = pg.url.replace('correct-horse-battery', 'wrong-staple-42')
    const r = await postgresConnect({ url })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/authentication failed/)
    const json = JSON.stringify(r)
    expect(json).not.toContain('wrong-staple-42')
    expect(json).not.toContain('correct-horse-battery')
  })

  it('fails when the server version is older than required', async () => {
    const r = await postgresConnect({ url: pg.url, minServerVersion: 99 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/older than the required 99/)
  })

  it('fails sslmode=require against a server without TLS', async () => {
    const r = await postgresConnect({ url: `${pg.url}?sslmode=require` })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/does not support TLS/)
    expect(r.evidence.sslmode).toBe('require')
  })
})

describe('postgresConnect when the server is down or mute', () => {
  it('fails fast when nothing listens', async () => {
    const port = await closedPort()
    const started = Date.now()
    const r = await postgresConnect({ url: `postgresql://u:topsecretpw@127.0.0.1:${port}/db`, connectTimeout: 2000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/ECONNREFUSED/)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(JSON.stringify(r)).not.toContain('topsecretpw')
  })

  it('times out against a server that accepts TCP and never speaks', async () => {
    const silent = await startSilentServer()
    try {
      const started = Date.now()
      const r = await postgresConnect({ url: `postgresql://u:p@127.0.0.1:${silent.port}/db`, connectTimeout: 400 })
      const took = Date.now() - started
      expect(r.status).toBe('fail')
      expect(r.message).toMatch(/connect timed out after 400 ms/)
      expect(took).toBeGreaterThanOrEqual(350)
      expect(took).toBeLessThan(3000)
    } finally {
      await silent.close()
    }
  })

  it('stops when its signal is aborted', async () => {
    const silent = await startSilentServer()
    try {
      const started = Date.now()
      const r = await postgresConnect({ url: `postgresql://u:p@127.0.0.1:${silent.port}/db`, connectTimeout: 10_000, signal: AbortSignal.timeout(200) })
      expect(Date.now() - started).toBeLessThan(3000)
      expect(r.status).toBe('error')
      expect(r.message).toMatch(/aborted/)
    } finally {
      await silent.close()
    }
  })

  it('rejects bad options with InvalidArgumentError', async () => {
    await expect(postgresConnect({ url: 'postgresql://h/db', connectTimeout: -1 })).rejects.toThrow(InvalidArgumentError)
    await expect(postgresConnect({ url: 'postgresql://h/db', pings: 0 })).rejects.toThrow(InvalidArgumentError)
  })
})
