import { dirname, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseBytes } from '../../lib/bytes.ts'
import { compileSchema } from '../../lib/config.ts'
import { Redactor } from '../../lib/redact.ts'
import type { CheckResult } from '../../lib/result.ts'
import { findPostgresBinaries, findRedisServer, NO_POSTGRES_REASON, SANDBOX_MIGRATIONS_DIR, seedSandboxData, type RunningPostgres, type RunningRedis } from '../../sandbox/data-services.ts'
import { loadKind } from '../../checks/registry.ts'
import { kindEntrySchema } from '../../smoke/target-schema.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { noPostgres, noRedis, withPostgres, withRedis } from '../helpers/services.ts'

const KINDS = ['postgres', 'alembic', 'rls', 'sql', 'redis', 'queue-depth'] as const
type DataKind = (typeof KINDS)[number]

const context = (redactor = new Redactor()) => testBuildContext(dirname(resolve('smoke/targets/sandbox.yaml')), { reportDir: '/tmp', redactor })

async function run(kind: DataKind, entry: Record<string, unknown>, ctx = context()): Promise<CheckResult> {
  return (await buildKind({ id: kind, kind, ...entry }, ctx)).run(AbortSignal.timeout(20_000))
}

describe('data check kinds: schemas', () => {
  it.each(KINDS)('%s: a valid entry schema (ajv strict), every option described, url required', async (name) => {
    const kind = (await loadKind(name))!
    expect(() => compileSchema(kindEntrySchema(kind))).not.toThrow()
    const options = kind.options as { properties: Record<string, { description?: string }>; required?: string[] }
    for (const [field, prop] of Object.entries(options.properties)) expect(prop.description, field).toBeTruthy()
    expect(options.required).toContain('url')
  })

  it.each([
    [400_000_000, 400_000_000],
    ['400MB', 400_000_000],
    ['400MiB', 400 * 1024 * 1024],
    ['1.5GB', 1_500_000_000],
  ])('parseBytes(%j) (the Bytes field of maxMemory)', (input, expected) => {
    expect(parseBytes(input)).toBe(expected)
  })

  it('registers URL passwords for redaction at build time', async () => {
    const redactor = new Redactor()
    await buildKind({ id: 'p', kind: 'postgres', url: 'postgresql+asyncpg://app:build-time-secret@db/x' }, context(redactor))
    await buildKind({ id: 'r', kind: 'redis', url: 'rediss://u:redis-build-secret@cache:6380' }, context(redactor))
    expect(redactor.redact('build-time-secret and redis-build-secret')).toBe('*** and ***')
  })

  it('find* say why a server is missing', () => {
    expect(findPostgresBinaries().found ?? findPostgresBinaries().reason).toBeTruthy()
    expect(findRedisServer().found ?? findRedisServer().reason).toBeTruthy()
    expect(NO_POSTGRES_REASON).toBe('no PostgreSQL server found: install postgresql, or set SANDBOX_DATABASE_URL to a throwaway database')
  })
})

describe.skipIf(noPostgres || noRedis)('the seeded sandbox data passes every data check kind', () => {
  let pg: RunningPostgres
  let redis: RunningRedis
  beforeAll(async () => {
    ;[pg, redis] = await Promise.all([withPostgres(), withRedis()])
    const seeded = await seedSandboxData({ databaseUrl: pg.url, redisUrl: redis.url })
    expect(seeded).toMatchObject({ alembicHead: '0002b2c3d4e5', rlsTables: ['tenants', 'invoices'], celeryEnqueued: 3 })
  })
  afterAll(async () => {
    await Promise.all([pg?.stop(), redis?.stop()])
  })

  it.each<[DataKind, Record<string, unknown>]>([
    ['postgres', {}],
    ['alembic', { migrationsDir: SANDBOX_MIGRATIONS_DIR }],
    ['rls', { requireForced: true }],
    ['sql', { query: 'SELECT count(*) AS n FROM invoices', column: 'n', op: '>=', value: 0 }],
  ])('%s', async (kind, entry) => {
    const r = await run(kind, { url: pg.url, ...entry })
    expect(r.status, r.message).toBe('pass')
  })

  it('redis and queue-depth (celery) see the seeded messages', async () => {
    expect((await run('redis', { url: redis.url, maxMemory: '400MB' })).status).toBe('pass')
    const q = await run('queue-depth', { url: redis.url, adapter: 'celery', max: 10 })
    expect(q.status, q.message).toBe('pass')
    expect(q.evidence.depth).toBe(3)
    const drained = await run('queue-depth', { url: redis.url, adapter: 'celery', max: 0 })
    expect(drained.status).toBe('fail')
  })

  it('seeding twice is idempotent for the database', async () => {
    await seedSandboxData({ databaseUrl: pg.url })
    expect((await run('alembic', { url: pg.url, migrationsDir: SANDBOX_MIGRATIONS_DIR })).status).toBe('pass')
  })
})
