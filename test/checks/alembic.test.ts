import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alembicVersion, judgeAlembic } from '../../checks/alembic.ts'
import { buildRevisionMap, loadMigrationScripts } from '../../clients/alembic-scripts.ts'
import { ConfigError } from '../../lib/errors.ts'
import { Redactor } from '../../lib/redact.ts'
import type { RunningPostgres } from '../../sandbox/data-services.ts'
import { buildChecks } from '../../smoke/build-checks.ts'
import { loadTarget } from '../../smoke/target-file.ts'
import { resolveVariables } from '../../smoke/variables.ts'
import { runCli } from '../helpers/cli.ts'
import { closedPort, noPostgres, pythonHas, runPython, withPostgres } from '../helpers/services.ts'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const HEAD = '6f7a8b9c0d06'

describe('judgeAlembic', () => {
  const rev = (revision: string, down: string[] = []) => ({ revision, downRevisions: down, branchLabels: [], dependsOn: [], file: `${revision}.py` })
  const linear = buildRevisionMap([rev('a'), rev('b', ['a']), rev('c', ['b'])])
  const split = buildRevisionMap([rev('a'), rev('b', ['a']), rev('c', ['a'])])
  const merged = buildRevisionMap([rev('a'), rev('b', ['a']), rev('c', ['a']), rev('m', ['b', 'c'])])
  it.each([
    ['table missing', { tableExists: false, rows: [] }, linear, 'fail', /does not exist: no migration was ever applied \(3 pending: a, b, c\)/],
    ['empty table', { tableExists: true, rows: [] }, linear, 'fail', /is empty/],
    ['at head', { tableExists: true, rows: ['c'] }, linear, 'pass', /at head c/],
    ['behind by 2', { tableExists: true, rows: ['a'] }, linear, 'fail', /behind by 2 revisions: a → b → c/],
    ['behind by 1', { tableExists: true, rows: ['b'] }, linear, 'fail', /behind by 1 revision: b → c/],
    ['unknown revision', { tableExists: true, rows: ['z9'] }, linear, 'fail', /revision z9, which the migration scripts do not know: the code is older than the database/],
    ['several heads in the scripts', { tableExists: true, rows: ['b', 'c'] }, split, 'fail', /2 heads \(b, c\): a merge migration is missing/],
    ['two rows below a merge', { tableExists: true, rows: ['b', 'c'] }, merged, 'fail', /2 rows \(b, c: unmerged branches applied\); database is behind by 1 revision: b, c → m/],
  ] as const)('%s', (_name, obs, scripts, status, message) => {
    const v = judgeAlembic({ ...obs, rows: [...obs.rows] }, { heads: scripts.heads, scripts })
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
  })

  // b2 depends on a3, the head of another branch: after `alembic upgrade heads` the table holds b2 alone.
  const dependsOnHead = buildRevisionMap([rev('a1'), rev('a2', ['a1']), rev('a3', ['a2']), rev('b1'), { ...rev('b2', ['b1']), dependsOn: ['a3'] }])
  it.each([
    ['at heads through depends_on (one row)', ['b2'], 'pass', /database is at heads a3, b2 \(row b2; a3 through depends_on\)/],
    ['both heads as rows: a3 is a stale row', ['a3', 'b2'], 'fail', /stale row a3 in alembic_version: a3 is an ancestor of b2 \(through depends_on\); alembic would not leave it there/],
    ['a stale row on the same branch, and behind', ['a1', 'a2'], 'fail', /stale row a1 .*a1 is an ancestor of a2; .*; database is behind by 3 revisions: a1, a2 → a3 → b1 → b2/],
    ['two branches applied, behind', ['a2', 'b1'], 'fail', /^database is behind by 2 revisions: a2, b1 → a3 → b2 \(head a3, b2\)$/],
  ] as const)('allowMultipleHeads, %s', (_name, rows, status, message) => {
    const v = judgeAlembic({ tableExists: true, rows: [...rows] }, { heads: dependsOnHead.heads, scripts: dependsOnHead, allowMultipleHeads: true })
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
  })

  it('without allowMultipleHeads an effective head still needs a merge (alembic upgrade head refuses), and the message says why', () => {
    const v = judgeAlembic({ tableExists: true, rows: ['b2'] }, { heads: dependsOnHead.heads, scripts: dependsOnHead })
    expect(v.status).toBe('fail')
    expect(v.message).toMatch(/2 heads \(a3, b2\): a merge migration is missing \(alembic merge heads\); a3 is a head although b2 depends on it/)
  })

  it('several heads may be allowed explicitly', () => {
    expect(judgeAlembic({ tableExists: true, rows: ['c', 'b'] }, { heads: split.heads, scripts: split, allowMultipleHeads: true }).status).toBe('pass')
  })

  it.each([
    [['abc'], ['abc'], 'pass'],
    [['abc'], ['def'], 'fail'],
    [['a', 'b'], ['b', 'a'], 'pass'],
    [['a'], ['a', 'b'], 'fail'],
  ])('expected ids %j vs rows %j → %s', (heads, rows, status) => {
    expect(judgeAlembic({ tableExists: true, rows }, { heads }).status).toBe(status)
  })
})

const hasAlembic = (await pythonHas('alembic')) && (await pythonHas('psycopg2'))

// The check must agree with the real `alembic current` / `alembic heads` at every point of a real
// history (linear part, a branch, a merge), applied by the real Alembic to a throwaway PostgreSQL.
describe.skipIf(noPostgres || !hasAlembic)('alembicVersion against migrations applied by Alembic', () => {
  let pg: RunningPostgres
  let work: string
  let project: string
  let olderCode: string
  let unmergedCode: string
  const alembic = async (dir: string, ...args: string[]) => {
    const out = await runPython(['-m', 'alembic', '-c', join(dir, 'alembic.ini'), ...args], { env: { RBK_ALEMBIC_URL: pg.url.replace('postgresql://', 'postgresql+psycopg2://') } })
    return out
  }
  /** Revision ids from `alembic current` / `alembic heads` output ("<rev> (head) (mergepoint)"). */
  const ids = (stdout: string) => stdout.split('\n').map((l) => l.trim().split(/\s/)[0]!).filter((x) => /^[0-9a-f]{12}$/.test(x)).sort()
  const check = (dir: string, extra: Partial<Parameters<typeof alembicVersion>[0]> = {}) => alembicVersion({ url: pg.url, migrationsDir: dir, ...extra })

  beforeAll(async () => {
    pg = await withPostgres()
    work = mkdtempSync(join(tmpdir(), 'rbk-alembic-'))
    project = join(work, 'project')
    cpSync(join(FIXTURES, 'alembic-project'), project, { recursive: true })
    // The same project as it was before the branch: the "code older than the database" case.
    olderCode = join(work, 'older')
    cpSync(project, olderCode, { recursive: true })
    for (const f of ['4d5e6f7a8b04_audit_log.py', '5e6f7a8b9c05_reports.py', '6f7a8b9c0d06_merge_audit_and_reports.py']) rmSync(join(olderCode, 'versions', f))
    // The branch without its merge migration: two heads.
    unmergedCode = join(work, 'unmerged')
    cpSync(project, unmergedCode, { recursive: true })
    rmSync(join(unmergedCode, 'versions', '6f7a8b9c0d06_merge_audit_and_reports.py'))
  })
  afterAll(async () => {
    await pg?.stop()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('alembic heads and the static computation agree', async () => {
    const heads = await alembic(project, 'heads')
    expect(heads.code, heads.stderr).toBe(0)
    expect(ids(heads.stdout)).toEqual([HEAD])
    const unmerged = await alembic(unmergedCode, 'heads')
    expect(ids(unmerged.stdout)).toEqual(['4d5e6f7a8b04', '5e6f7a8b9c05'])
  })

  it('before any migration: table missing, alembic current prints nothing', async () => {
    const current = await alembic(project, 'current')
    expect(current.code, current.stderr).toBe(0)
    expect(ids(current.stdout)).toEqual([])
    const r = await check(project)
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/version table alembic_version does not exist: no migration was ever applied \(6 pending/)
    expect(r.evidence.tableExists).toBe(false)
  })

  it.each([
    ['2b3c4d5e6f02', ['2b3c4d5e6f02'], /behind by 4 revisions: 2b3c4d5e6f02 → 3c4d5e6f7a03 → 4d5e6f7a8b04 → 5e6f7a8b9c05 → 6f7a8b9c0d06/, ['3c4d5e6f7a03', '4d5e6f7a8b04', '5e6f7a8b9c05', HEAD]],
    ['4d5e6f7a8b04', ['4d5e6f7a8b04'], /behind by 2 revisions: 4d5e6f7a8b04 → 5e6f7a8b9c05 → 6f7a8b9c0d06/, ['5e6f7a8b9c05', HEAD]],
    ['5e6f7a8b9c05', ['4d5e6f7a8b04', '5e6f7a8b9c05'], /version table has 2 rows \(4d5e6f7a8b04, 5e6f7a8b9c05: unmerged branches applied\); database is behind by 1 revision/, [HEAD]],
  ])('after alembic upgrade %s: behind, as alembic current shows', async (target, rows, message, pending) => {
    const up = await alembic(project, 'upgrade', target)
    expect(up.code, up.stderr).toBe(0)
    const current = await alembic(project, 'current')
    expect(ids(current.stdout)).toEqual(rows)
    const r = await check(project)
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(message)
    expect(r.evidence.databaseRevisions).toEqual(ids(current.stdout))
    expect(r.evidence.pending).toEqual(pending)
  })

  it('after alembic upgrade heads: passes, rows equal alembic current and alembic heads', async () => {
    expect((await alembic(project, 'upgrade', 'heads')).code).toBe(0)
    const current = await alembic(project, 'current')
    const heads = await alembic(project, 'heads')
    expect(ids(current.stdout)).toEqual(ids(heads.stdout))
    const r = await check(project)
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.databaseRevisions).toEqual(ids(current.stdout))
    expect(r.evidence.expectedHeads).toEqual(ids(heads.stdout))
    expect(r.evidence.pending).toEqual([])
    // The same verdict with the head given as an id, and with the versions folder itself.
    expect((await alembicVersion({ url: pg.url, expected: HEAD })).status).toBe('pass')
    expect((await check(join(project, 'versions'))).status).toBe('pass')
  })

  it('code older than the database: unknown revision (alembic current cannot locate it either)', async () => {
    const current = await alembic(olderCode, 'current')
    expect(current.code).not.toBe(0)
    expect(current.stderr).toMatch(/Can't locate revision identified by '6f7a8b9c0d06'/)
    const r = await check(olderCode)
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/database is at revision 6f7a8b9c0d06, which the migration scripts do not know: the code is older than the database/)
    expect(r.evidence.unknownRevisions).toEqual([HEAD])
  })

  it('two heads applied and no merge migration: several heads (alembic heads lists both)', async () => {
    // `downgrade -1` from a merge point is an "Ambiguous walk" for Alembic; stamp both parents instead.
    const stamp = await alembic(project, 'stamp', '--purge', '4d5e6f7a8b04', '5e6f7a8b9c05')
    expect(stamp.code, stamp.stdout + stamp.stderr).toBe(0)
    const current = await alembic(unmergedCode, 'current')
    expect(ids(current.stdout)).toEqual(['4d5e6f7a8b04', '5e6f7a8b9c05'])
    const r = await check(unmergedCode)
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/the migration scripts have 2 heads \(4d5e6f7a8b04, 5e6f7a8b9c05\): a merge migration is missing/)
    // The database is at every head, which `alembic current --check-heads` accepts; allowMultipleHeads says so too.
    expect((await check(unmergedCode, { allowMultipleHeads: true })).status).toBe('pass')
    // Against the full project the same rows are one merge behind.
    const full = await check(project)
    expect(full.message).toMatch(/behind by 1 revision: 4d5e6f7a8b04, 5e6f7a8b9c05 → 6f7a8b9c0d06/)
  })

  it('expected revision ids that differ from the rows fail with both sides named', async () => {
    const r = await alembicVersion({ url: pg.url, expected: [HEAD] })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/database is at 4d5e6f7a8b04, 5e6f7a8b9c05, expected 6f7a8b9c0d06/)
  })

  it('a configurable version table: a missing one is reported by name', async () => {
    const r = await alembicVersion({ url: pg.url, expected: HEAD, table: 'other_version', schema: 'public' })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/public\.other_version does not exist/)
  })

  it('a malformed migration file is a configuration error naming the file', async () => {
    const r = await check(join(FIXTURES, 'alembic', 'malformed'))
    expect(r.status).toBe('error')
    expect(r.message).toMatch(/bbbb00000002_broken\.py: malformed migration file/)
  })
})

/** A migration for the generated folders below: `down` and `dependsOn` as Alembic takes them. */
interface GraphRev {
  id: string
  down?: string | string[]
  dependsOn?: string | string[]
  labels?: string[]
}
const py = (v: string | string[] | undefined) => (v === undefined ? 'None' : typeof v === 'string' ? `'${v}'` : `(${v.map((x) => `'${x}'`).join(', ')},)`)
const r = (id: string, down?: string | string[], dependsOn?: string | string[], labels?: string[]): GraphRev => ({ id, ...(down ? { down } : {}), ...(dependsOn ? { dependsOn } : {}), ...(labels ? { labels } : {}) })

/**
 * Revision graphs with depends_on across branches and merges. The check must say "at heads" exactly
 * when Alembic does, at every state the real `alembic upgrade` / `downgrade` leaves, plus rows
 * Alembic would not leave (a stale ancestor row inserted by hand).
 */
const GRAPHS: Record<string, GraphRev[]> = {
  // a3 is only an "effective head": b2 depends on it, so `alembic upgrade heads` keeps one row, b2.
  'depends-on-head': [r('a1'), r('a2', 'a1'), r('a3', 'a2'), r('b1'), r('b2', 'b1', 'a3')],
  // Depends on a middle revision: two real heads, two rows.
  'depends-on-mid': [r('a1'), r('a2', 'a1'), r('a3', 'a2'), r('b1'), r('b2', 'b1', 'a2')],
  // depends_on names a branch label, which Alembic resolves to the revision that declares it.
  'depends-on-label': [r('c1', undefined, undefined, ['core']), r('c2', 'c1'), r('p1'), r('p2', 'p1', 'core')],
  // A branch, its merge, and another base that depends on one side of the merged branch.
  'merge-and-depends': [r('a1'), r('a2', 'a1'), r('b1', 'a1'), r('m1', ['a2', 'b1']), r('x1'), r('x2', 'x1', 'b1')],
  // The merge itself is an effective head: x2 depends on it.
  'depends-on-merge': [r('a1'), r('a2', 'a1'), r('b1', 'a1'), r('m1', ['a2', 'b1']), r('x1'), r('x2', 'x1', 'm1')],
  // Baseline: one linear branch.
  linear: [r('l1'), r('l2', 'l1'), r('l3', 'l2')],
}

interface AlembicState {
  schema: string
  tableExists: boolean
  rows: string[]
  stepErrors: string[]
  current: string[]
  heads: string[]
  upgradeHeads: { applied: string[]; error: string | null }
  upgradeHead: { applied: string[]; error: string | null }
}

describe.skipIf(noPostgres || !hasAlembic)('alembicVersion agrees with Alembic on depends_on and merges', () => {
  let pg: RunningPostgres
  let work: string
  const states = new Map<string, { dir: string; steps: string[][]; alembic: AlembicState }[]>()
  const tally = { states: 0, atHeads: 0 }
  /** Revision ids of `alembic current` / `alembic heads` lines ("b2 (head)", "a3 (effective head)"). */
  const revs = (lines: string[]) => lines.map((l) => l.trim().split(/\s/)[0]!).sort()

  beforeAll(async () => {
    pg = await withPostgres()
    work = mkdtempSync(join(tmpdir(), 'rbk-alembic-graphs-'))
    const url = pg.url.replace('postgresql://', 'postgresql+psycopg2://')
    for (const [name, graph] of Object.entries(GRAPHS)) {
      const dir = join(work, name)
      mkdirSync(join(dir, 'versions'), { recursive: true })
      cpSync(join(FIXTURES, 'alembic-graphs', 'env.py'), join(dir, 'env.py'))
      for (const g of graph) {
        writeFileSync(
          join(dir, 'versions', `${g.id}.py`),
          `revision = '${g.id}'\ndown_revision = ${py(g.down)}\nbranch_labels = ${py(g.labels)}\ndepends_on = ${py(g.dependsOn)}\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n`,
        )
      }
      const ids = graph.map((g) => g.id)
      const plans: string[][][] = [
        [],
        [['upgrade', 'heads']],
        ...ids.map((id) => [['upgrade', id]]),
        ...ids.map((id) => [['upgrade', 'heads'], ['downgrade', id]]),
        // A row Alembic would not leave: an ancestor of the rows, inserted by hand.
        ...ids.map((id) => [['upgrade', 'heads'], ['insert', id]]),
      ]
      const spec = { url, dir, states: plans.map((steps, i) => ({ schema: `${name.replaceAll('-', '_')}_${i}`, steps })) }
      const out = await runPython([join(FIXTURES, 'alembic-graphs', 'states.py'), JSON.stringify(spec)], { timeoutMs: 120_000 })
      if (out.code !== 0) throw new Error(`states.py failed: ${out.stderr}`)
      const results = JSON.parse(out.stdout) as AlembicState[]
      states.set(name, results.map((alembic, i) => ({ dir, steps: plans[i]!, alembic })))
    }
  }, 180_000)
  afterAll(async () => {
    await pg?.stop()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it.each(Object.keys(GRAPHS))('%s: the static heads equal alembic heads', (name) => {
    const first = states.get(name)![0]!
    const s = loadMigrationScripts(join(work, name))
    expect([...s.heads].sort()).toEqual(revs(first.alembic.heads))
  })

  it.each(Object.keys(GRAPHS))('%s: passes exactly when alembic current equals alembic heads and upgrade heads has nothing to do', async (name) => {
    const disagreements: unknown[] = []
    for (const { dir, steps, alembic } of states.get(name)!) {
      const atHeads = alembic.tableExists && JSON.stringify(revs(alembic.current)) === JSON.stringify(revs(alembic.heads)) && alembic.upgradeHeads.error === null && alembic.upgradeHeads.applied.length === 0
      const res = await alembicVersion({ url: pg.url, migrationsDir: dir, schema: alembic.schema, allowMultipleHeads: true })
      const strict = await alembicVersion({ url: pg.url, migrationsDir: dir, schema: alembic.schema })
      // Without allowMultipleHeads the deploy runs `alembic upgrade head`, which refuses several heads.
      const atHead = atHeads && alembic.upgradeHead.error === null && alembic.upgradeHead.applied.length === 0
      const pendingAgrees = alembic.upgradeHeads.error !== null || JSON.stringify([...(res.evidence.pending ?? [])].sort()) === JSON.stringify([...alembic.upgradeHeads.applied].sort())
      const rowsAgree = JSON.stringify(res.evidence.databaseRevisions ?? []) === JSON.stringify(alembic.rows)
      // A stale row makes Alembic's own upgrade refuse ("overlaps"); the check must name it as one.
      const staleNamed = !alembic.upgradeHeads.error?.includes('overlaps') || /stale row/.test(res.message)
      if ((res.status === 'pass') !== atHeads || (strict.status === 'pass') !== atHead || !pendingAgrees || !rowsAgree || !staleNamed) {
        disagreements.push({ steps, rows: alembic.rows, current: alembic.current, heads: alembic.heads, upgradeHeads: alembic.upgradeHeads, check: [res.status, res.message, res.evidence.pending], strict: [strict.status, strict.message] })
      }
      tally.states++
      if (atHeads) tally.atHeads++
    }
    if (process.env.RBK_ALEMBIC_TALLY) console.log(`${name}: ${states.get(name)!.length} states, ${disagreements.length} disagreements`)
    expect(disagreements).toEqual([])
  })

  it('depends-on-head at heads: one row, b2; a3 is applied as its dependency (the issue\'s case)', async () => {
    const { dir, alembic } = states.get('depends-on-head')![1]!
    expect(alembic.rows).toEqual(['b2'])
    expect([...alembic.current].sort()).toEqual(['a3 (effective head)', 'b2 (head)'])
    const res = await alembicVersion({ url: pg.url, migrationsDir: dir, schema: alembic.schema, allowMultipleHeads: true })
    expect(res.status, res.message).toBe('pass')
    expect(res.message).toMatch(/database is at heads a3, b2 \(row b2; a3 through depends_on\)/)
    expect(res.evidence.current).toEqual(['a3', 'b2'])
  })

  it('a stale ancestor row: named as such, and alembic upgrade refuses it too', async () => {
    const state = states.get('depends-on-head')!.find((s) => s.steps.some((st) => st[0] === 'insert' && st[1] === 'a3'))!
    expect(state.alembic.rows).toEqual(['a3', 'b2'])
    expect(state.alembic.upgradeHeads.error).toMatch(/Requested revision b2 overlaps with other requested revisions a3/)
    const res = await alembicVersion({ url: pg.url, migrationsDir: state.dir, schema: state.alembic.schema, allowMultipleHeads: true })
    expect(res.status).toBe('fail')
    expect(res.message).toMatch(/stale row a3 in .*alembic_version: a3 is an ancestor of b2 \(through depends_on\); alembic would not leave it there/)
    expect(res.message).not.toMatch(/unmerged/)
    expect(res.evidence.staleRows).toEqual([{ revision: 'a3', below: 'b2', via: 'depends_on' }])
  })
})

describe('alembicVersion when the database is down', () => {
  it('fails with the reason, within its timeout', async () => {
    const port = await closedPort()
    const r = await alembicVersion({ url: `postgresql://u:pw-never-shown@127.0.0.1:${port}/db`, expected: 'abc', connectTimeout: 1000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/)
    expect(JSON.stringify(r)).not.toContain('pw-never-shown')
  })

  it('needs exactly one of expected or migrationsDir', async () => {
    await expect(alembicVersion({ url: 'postgresql://h/db' })).rejects.toThrow(/exactly one/)
    await expect(alembicVersion({ url: 'postgresql://h/db', expected: 'a', migrationsDir: '/x' })).rejects.toThrow(/exactly one/)
  })
})

describe('the alembic kind: expected or migrationsDir, named for their audience', () => {
  const URL = 'postgresql://u@127.0.0.1:1/db'

  it('on the command line: both given names both flags, exit 2, nothing checked', async () => {
    const run = await runCli(['check', 'alembic', URL, '--expected', 'abc', '--migrations-dir', join(FIXTURES, 'alembic', 'two-heads')])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--migrations-dir: give exactly one of --expected (revision ids) or --migrations-dir')
  })

  it.each([
    ['neither', '', 'checks[0] (line 2): give exactly one of expected (revision ids) or migrationsDir'],
    ['both', '    expected: [abc, def]\n    migrationsDir: .\n', 'checks[0].migrationsDir (line 6): give exactly one of expected (revision ids) or migrationsDir'],
  ])('in a target file (%s): the entry path and line', async (_name, fields, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'rbk-alembic-kind-'))
    try {
      const file = join(dir, 't.yaml')
      writeFileSync(file, `checks:\n  - id: migrations\n    kind: alembic\n    url: ${URL}\n${fields}`)
      const loaded = await loadTarget(file)
      const target = resolveVariables(loaded, { env: {}, redactor: new Redactor() })
      let err: unknown
      try {
        buildChecks(loaded, target, { reportDir: dir, redactor: new Redactor() })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).describe()).toContain(message)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
