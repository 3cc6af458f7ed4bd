import { dirname, resolve } from 'node:path'
import { Ajv } from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redactor } from '../../lib/redact.ts'
import type { CheckResult } from '../../lib/result.ts'
import { findPostgresBinaries, findRedisServer, NO_POSTGRES_REASON, SANDBOX_MIGRATIONS_DIR, seedSandboxData, type RunningPostgres, type RunningRedis } from '../../sandbox/data-services.ts'
import { alembicKind } from '../../smoke/kinds/alembic.ts'
import { parseBytes } from '../../smoke/kinds/data-shared.ts'
import { postgresKind } from '../../smoke/kinds/postgres.ts'
import { queueDepthKind } from '../../smoke/kinds/queue-depth.ts'
import { redisKind } from '../../smoke/kinds/redis.ts'
import { rlsKind } from '../../smoke/kinds/rls.ts'
import { sqlKind } from '../../smoke/kinds/sql.ts'
import type { BuildContext, CheckKind } from '../../smoke/kinds/types.ts'
import { noPostgres, noRedis, withPostgres, withRedis } from '../helpers/services.ts'

const KINDS: CheckKind[] = [postgresKind, alembicKind, rlsKind, sqlKind, redisKind, queueDepthKind]

function context(redactor = new Redactor()): BuildContext {
  const targetFile = resolve('smoke/targets/sandbox.yaml')
  return { target: 'sandbox', targetFile, tls: {}, reportDir: '/tmp', redactor, resolvePath: (p) => resolve(dirname(targetFile), p) }
}

async function run(kind: CheckKind, entry: Record<string, unknown>, ctx = context()): Promise<CheckResult> {
  const full = { id: kind.kind, kind: kind.kind, ...entry }
  return kind.build(full, ctx).run(AbortSignal.timeout(20_000))
}

describe('data check kinds: schemas', () => {
  it.each(KINDS.map((k) => [k.kind, k]))('%s: a valid JSON Schema, every property described, required ones exist', (_name, kind) => {
    const ajv = new Ajv({ strict: false })
    const schema = { type: 'object', properties: { id: { type: 'string' }, kind: { type: 'string' }, ...kind.properties }, required: kind.required ?? [], additionalProperties: false }
    expect(() => ajv.compile(schema)).not.toThrow()
    for (const [name, prop] of Object.entries(kind.properties)) expect((prop as { description?: string }).description, name).toBeTruthy()
    for (const r of kind.required ?? []) expect(Object.keys(kind.properties)).toContain(r)
  })

  it.each([
    [400_000_000, 400_000_000],
    ['400MB', 400_000_000],
    ['400MiB', 400 * 1024 * 1024],
    ['1.5GB', 1_500_000_000],
  ])('parseBytes(%j)', (input, expected) => {
    expect(parseBytes(input)).toBe(expected)
  })

  it('registers URL passwords for redaction at build time', () => {
    const redactor = new Redactor()
    postgresKind.build({ id: 'p', kind: 'postgres', url: 'postgresql+asyncpg://app:build-time-secret@db/x' }, context(redactor))
    redisKind.build({ id: 'r', kind: 'redis', url: 'rediss://u:redis-build-secret@cache:6380' }, context(redactor))
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

  it.each([
    [postgresKind, {}],
    [alembicKind, { migrationsDir: SANDBOX_MIGRATIONS_DIR }],
    [rlsKind, { requireForced: true }],
    [sqlKind, { query: 'SELECT count(*) AS n FROM invoices', column: 'n', op: '>=', value: 0 }],
  ])('$kind', async (kind, entry) => {
    const r = await run(kind, { url: pg.url, ...entry })
    expect(r.status, r.message).toBe('pass')
  })

  it('redis and queue-depth (celery) see the seeded messages', async () => {
    expect((await run(redisKind, { url: redis.url, maxMemory: '400MB' })).status).toBe('pass')
    const q = await run(queueDepthKind, { url: redis.url, adapter: 'celery', max: 10 })
    expect(q.status, q.message).toBe('pass')
    expect(q.evidence.depth).toBe(3)
    const drained = await run(queueDepthKind, { url: redis.url, adapter: 'celery', max: 0 })
    expect(drained.status).toBe('fail')
  })

  it('seeding twice is idempotent for the database', async () => {
    await seedSandboxData({ databaseUrl: pg.url })
    expect((await run(alembicKind, { url: pg.url, migrationsDir: SANDBOX_MIGRATIONS_DIR })).status).toBe('pass')
  })
})
