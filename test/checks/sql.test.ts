import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { judgeSqlResult, sqlQuery } from '../../checks/sql.ts'
import { ConfigError, InvalidArgumentError } from '../../lib/errors.ts'
import { Redactor } from '../../lib/redact.ts'
import { runChecks } from '../../lib/runner.ts'
import type { RunningPostgres } from '../../sandbox/data-services.ts'
import { buildChecks } from '../../smoke/build-checks.ts'
import { loadTarget } from '../../smoke/target-file.ts'
import { resolveVariables } from '../../smoke/variables.ts'
import { runCli } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { noPostgres, withPostgres } from '../helpers/services.ts'

describe('judgeSqlResult', () => {
  const res = { rowCount: 2, rows: [{ n: '42', ok: true, name: 'a' }, { n: '7', ok: false, name: 'b' }] }
  const e = { row: 0, op: '==' as const }
  it.each([
    [{ ...e }, 'pass', /2 rows/],
    [{ ...e, rows: 2 }, 'pass', /2 rows/],
    [{ ...e, rows: 1 }, 'fail', /expected 1 row, got 2/],
    [{ ...e, minRows: 3 }, 'fail', /at least 3/],
    [{ ...e, maxRows: 1 }, 'fail', /at most 1/],
    [{ ...e, column: 'n', value: 42 }, 'pass', /n = "42"/],
    [{ ...e, column: 'n', op: '<' as const, value: 100 }, 'pass', /expected < 100/],
    [{ ...e, column: 'n', op: '>' as const, value: 100 }, 'fail', /expected > 100/],
    [{ ...e, column: 'n', row: 1, op: '<=' as const, value: 7 }, 'pass', /"7"/],
    [{ ...e, column: 'ok', value: true }, 'pass', /ok = true/],
    [{ ...e, column: 'name', op: '!=' as const, value: 'b' }, 'pass', /name/],
    [{ ...e, column: 'missing', value: 1 }, 'error', /no column "missing"/],
    [{ ...e, column: 'n', row: 5, value: 1 }, 'fail', /no row 5/],
    [{ ...e, column: 'name', op: '<' as const, value: 3 }, 'error', /cannot compare/],
  ])('%j → %s', (expectation, status, message) => {
    const v = judgeSqlResult(res, expectation)
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
  })
})

describe.skipIf(noPostgres)('sqlQuery against a real PostgreSQL', () => {
  let server: RunningPostgres
  const count = async () => {
    const c = new pg.Client({ connectionString: server.url })
    await c.connect()
    const r = await c.query('SELECT count(*)::int AS n FROM jobs')
    await c.end()
    return r.rows[0].n as number
  }
  beforeAll(async () => {
    server = await withPostgres()
    const c = new pg.Client({ connectionString: server.url })
    await c.connect()
    await c.query("CREATE TABLE jobs (id serial PRIMARY KEY, state text, created timestamptz DEFAULT now()); INSERT INTO jobs (state) VALUES ('done'), ('done'), ('failed')")
    await c.end()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('checks a value with a threshold, with parameters', async () => {
    const r = await sqlQuery({ url: server.url, query: 'SELECT count(*) AS failed FROM jobs WHERE state = $1', params: ['failed'], column: 'failed', op: '<=', value: 1 })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.actual).toBe('1')
    expect(r.evidence.rows).toEqual([{ failed: '1' }])
    const over = await sqlQuery({ url: server.url, query: 'SELECT count(*) AS failed FROM jobs WHERE state = $1', params: ['failed'], column: 'failed', op: '<', value: 1 })
    expect(over.status).toBe('fail')
  })

  it('checks a row count and keeps rows JSON-safe', async () => {
    const r = await sqlQuery({ url: server.url, query: 'SELECT id, created FROM jobs ORDER BY id', rows: 3, evidenceRows: 2 })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.rowCount).toBe(3)
    expect(r.evidence.rows).toHaveLength(2)
    expect(typeof r.evidence.rows![0]!.created).toBe('string')
  })

  it.each([
    ['INSERT', "INSERT INTO jobs (state) VALUES ('x')"],
    ['UPDATE', "UPDATE jobs SET state = 'x'"],
    ['DELETE', 'DELETE FROM jobs'],
    ['DDL', 'CREATE TABLE evil (id int)'],
    ['nextval', "SELECT nextval('jobs_id_seq')"],
    ['writable CTE', "WITH d AS (DELETE FROM jobs RETURNING 1) SELECT count(*) FROM d"],
  ])('a write (%s) is refused: error "query tried to write", nothing changes', async (_name, query) => {
    const r = await sqlQuery({ url: server.url, query })
    expect(r.status).toBe('error')
    expect(r.message).toMatch(/^query tried to write: /)
    expect(r.evidence.sqlstate).toBe('25006')
    expect(await count()).toBe(3)
  })

  it.each([
    ['a COMMIT smuggled after the SELECT', "SELECT 1; COMMIT; DELETE FROM jobs"],
    ['switching the transaction to read-write', 'SET TRANSACTION READ WRITE'],
  ])('%s cannot escape the read-only transaction', async (_name, query) => {
    const r = await sqlQuery({ url: server.url, query })
    expect(r.status).toBe('error')
    expect(await count()).toBe(3)
  })

  it('a query error is an error with the server message', async () => {
    const r = await sqlQuery({ url: server.url, query: 'SELECT * FROM no_such_table' })
    expect(r.status).toBe('error')
    expect(r.message).toMatch(/relation "no_such_table" does not exist/)
  })

  it('a slow query fails at the query timeout', async () => {
    const started = Date.now()
    const r = await sqlQuery({ url: server.url, query: 'SELECT pg_sleep(5)', queryTimeout: 300 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/did not finish within 300 ms/)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('a hung query inside a 1 s check timeout (10 s queryTimeout) names the query phase, not the runner timeout', async () => {
    const spec = await buildKind({ id: 'slow', kind: 'sql', url: server.url, query: 'SELECT pg_sleep(5)', timeout: '1s' }, testBuildContext('/tmp'))
    const r = (await runChecks([spec])).results[0]!
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^query did not finish within \d{1,3} ms$/)
    expect(r.durationMs).toBeLessThan(1000)
  })

  it('builds from a target-file entry: params, the value compared, the default title', async () => {
    const spec = await buildKind({ id: 'q', kind: 'sql', url: server.url, query: 'SELECT count(*)::int AS n FROM jobs WHERE state = $1', params: ['done'], column: 'n', op: '>=', value: 2 }, testBuildContext('/tmp'))
    expect(spec.title).toBe('SQL: n >= 2')
    const r = await spec.run(AbortSignal.timeout(10_000))
    expect(r.status, r.message).toBe('pass')
  })

  it('rejects inconsistent options', async () => {
    await expect(sqlQuery({ url: server.url, query: 'SELECT 1', column: 'x' })).rejects.toThrow(InvalidArgumentError)
    await expect(sqlQuery({ url: server.url, query: '' })).rejects.toThrow(InvalidArgumentError)
    await expect(sqlQuery({ url: server.url, query: 'SELECT 1', op: '=~' as never, column: 'a', value: 1 })).rejects.toThrow(InvalidArgumentError)
  })
})

describe('the sql kind: cross-field rules are configuration errors named for their audience', () => {
  const URL = 'postgresql://u@127.0.0.1:1/db'

  it('on the command line: --column without --value names both flags, exit 2, nothing checked', async () => {
    const run = await runCli(['check', 'sql', '--url', URL, '--query', 'SELECT 1 AS n', '--column', 'n'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--column: --value is required with --column')
    expect(run.stdout).not.toMatch(/FAIL|PASS/)
  })

  it('in a target file: the entry path and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbk-sql-kind-'))
    try {
      const file = join(dir, 't.yaml')
      writeFileSync(file, `checks:\n  - id: jobs\n    kind: sql\n    url: ${URL}\n    query: SELECT 1 AS n\n    value: 3\n`)
      const loaded = await loadTarget(file)
      const target = resolveVariables(loaded, { env: {}, redactor: new Redactor() })
      const err = (() => {
        try {
          buildChecks(loaded, target, { reportDir: dir, redactor: new Redactor() })
        } catch (e) {
          return e
        }
      })()
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).describe()).toContain('checks[0].value (line 6): column is required with value')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
