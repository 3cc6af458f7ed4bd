import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { judgeRowLevelSecurity, rowLevelSecurity } from '../../checks/rls.ts'
import type { RunningPostgres } from '../../sandbox/data-services.ts'
import { runCli } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { closedPort, noPostgres, withPostgres } from '../helpers/services.ts'

describe('judgeRowLevelSecurity', () => {
  const t = (table: string, enabled: boolean, forced: boolean, policies: number, exists = true) => ({ table, exists, reason: 'tenant column' as const, enabled, forced, policies })
  const rules = { requireForced: false, requirePolicy: true, schema: 'public', tenantColumn: 'tenant_id' }
  it.each([
    ['all protected', [t('a', true, false, 1)], rules, 'pass', /1 table with RLS enabled and a policy/],
    ['not enabled', [t('a', false, false, 1)], rules, 'fail', /a \(RLS not enabled\)/],
    ['not forced when required', [t('a', true, false, 1)], { ...rules, requireForced: true }, 'fail', /RLS not forced/],
    ['forced when required', [t('a', true, true, 2)], { ...rules, requireForced: true }, 'pass', /enabled and forced/],
    ['no policy', [t('a', true, true, 0)], rules, 'fail', /no policy/],
    ['no policy allowed', [t('a', true, true, 0)], { ...rules, requirePolicy: false }, 'pass', /RLS enabled/],
    ['missing listed table', [t('ghost', false, false, 0, false)], rules, 'fail', /ghost \(table does not exist\)/],
    ['nothing to protect', [], rules, 'fail', /no table in schema public has a tenant_id column/],
  ] as const)('%s', (_name, rows, r, status, message) => {
    const v = judgeRowLevelSecurity([...rows], r)
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
  })
})

describe.skipIf(noPostgres)('rowLevelSecurity against a real PostgreSQL', () => {
  let server: RunningPostgres
  beforeAll(async () => {
    server = await withPostgres()
    const c = new pg.Client({ connectionString: server.url })
    await c.connect()
    await c.query(`
      CREATE TABLE protected (id int, tenant_id text);
      ALTER TABLE protected ENABLE ROW LEVEL SECURITY;
      ALTER TABLE protected FORCE ROW LEVEL SECURITY;
      CREATE POLICY p ON protected USING (tenant_id = current_setting('app.tenant_id', true));
      CREATE TABLE enabled_only (id int, tenant_id text);
      ALTER TABLE enabled_only ENABLE ROW LEVEL SECURITY;
      CREATE POLICY p ON enabled_only USING (true);
      CREATE TABLE no_policy (id int, tenant_id text);
      ALTER TABLE no_policy ENABLE ROW LEVEL SECURITY;
      ALTER TABLE no_policy FORCE ROW LEVEL SECURITY;
      CREATE TABLE open_table (id int, tenant_id text);
      CREATE TABLE lookup (id int, name text);
      CREATE SCHEMA billing;
      CREATE TABLE billing.charges (id int, org text);
      ALTER TABLE billing.charges ENABLE ROW LEVEL SECURITY;
      ALTER TABLE billing.charges FORCE ROW LEVEL SECURITY;
      CREATE POLICY p ON billing.charges USING (org = current_user);
    `)
    await c.end()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('finds every tenant table and names each unprotected one', async () => {
    const r = await rowLevelSecurity({ url: server.url, requireForced: true })
    expect(r.status).toBe('fail')
    const rows = Object.fromEntries(r.evidence.tables!.map((t) => [t.table, t]))
    expect(Object.keys(rows).sort()).toEqual(['enabled_only', 'no_policy', 'open_table', 'protected'])
    expect(rows.protected).toMatchObject({ enabled: true, forced: true, policies: 1, problems: [] })
    expect(rows.enabled_only).toMatchObject({ enabled: true, forced: false, policies: 1, problems: ['RLS not forced (the owner bypasses it)'] })
    expect(rows.no_policy).toMatchObject({ enabled: true, forced: true, policies: 0, problems: ['no policy'] })
    expect(rows.open_table).toMatchObject({ enabled: false, problems: ['RLS not enabled', 'no policy'] })
    expect(r.message).toMatch(/3 of 4 tables unprotected/)
  })

  it('without requireForced an enabled table with a policy passes', async () => {
    const r = await rowLevelSecurity({ url: server.url, tables: ['protected', 'enabled_only'], tenantColumn: '' })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.tables!.map((t) => t.reason)).toEqual(['listed', 'listed'])
  })

  it('listed tables are checked even without the tenant column; a missing one fails', async () => {
    const r = await rowLevelSecurity({ url: server.url, tables: ['lookup', 'nope'], tenantColumn: '' })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/lookup \(RLS not enabled, no policy\); nope \(table does not exist\)/)
  })

  it('another schema and tenant column', async () => {
    const r = await rowLevelSecurity({ url: server.url, schema: 'billing', tenantColumn: 'org', requireForced: true })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.tables).toHaveLength(1)
  })

  it('builds from a target-file entry: listed tables only, default title', async () => {
    const spec = await buildKind({ id: 'rls', kind: 'rls', url: server.url, schema: 'billing', tenantColumn: '', tables: ['charges'], requireForced: true }, testBuildContext('/tmp'))
    expect(spec.title).toBe('Row-level security protects tenant tables in billing')
    const r = await spec.run(AbortSignal.timeout(10_000))
    expect(r.status, r.message).toBe('pass')
  })

  it('a schema without tenant tables fails instead of passing vacuously', async () => {
    const r = await rowLevelSecurity({ url: server.url, schema: 'billing' })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/no table in schema billing has a tenant_id column/)
  })
})

describe('rowLevelSecurity when the database is down', () => {
  it('fails with the reason', async () => {
    const r = await rowLevelSecurity({ url: `postgresql://u:p@127.0.0.1:${await closedPort()}/db`, connectTimeout: 1000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/ECONNREFUSED/)
  })
})

describe('the rls kind on the command line', () => {
  it('no tenant column and no tables: a configuration error naming both flags, exit 2', async () => {
    const run = await runCli(['check', 'rls', 'postgresql://u@127.0.0.1:1/db', '--tenant-column='])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('give a --tenant-column or a list of --tables')
  })
})
