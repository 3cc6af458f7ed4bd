import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildRevisionMap, currentHeads, loadMigrationScripts, parseMigrationSource, parsePyLiteral, pendingRevisions, staleRows } from '../../clients/alembic-scripts.ts'
import { ConfigError } from '../../lib/errors.ts'
import { pythonHas, runPython } from '../helpers/services.ts'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const dir = (name: string) => join(FIXTURES, 'alembic', name)

describe('parsePyLiteral', () => {
  it.each([
    ['None', null],
    ["'abc'", 'abc'],
    ['"abc"', 'abc'],
    ["u'abc'", 'abc'],
    ["('abc')", 'abc'],
    ["('a', 'b')", ['a', 'b']],
    ["('a',)", ['a']],
    ["['a', \"b\",]", ['a', 'b']],
    ["{'x'}", ['x']],
    ["'a', 'b'", ['a', 'b']],
    ["'ab' 'cd'", 'abcd'],
    ['()', []],
  ])('%s', (text, expected) => {
    expect(parsePyLiteral(text)).toEqual(expected)
  })

  it.each(['compute()', "f'{x}'", '42', "('a' 'b'", 'os.environ["X"]'])('rejects %s', (text) => {
    expect(() => parsePyLiteral(text)).toThrow()
  })
})

describe('parseMigrationSource', () => {
  it.each([
    ['legacy quotes', "revision = 'abc123'\ndown_revision = None\n", { revision: 'abc123', downRevisions: [] }],
    ['annotated', 'revision: str = "abc123"\ndown_revision: Union[str, None] = "0001"\n', { revision: 'abc123', downRevisions: ['0001'] }],
    ['annotated merge over lines', 'revision: str = "m1"\ndown_revision: Union[str, Sequence[str], None] = (\n    "a",  # left\n    "b",\n)\n', { downRevisions: ['a', 'b'] }],
    ['branch labels and depends_on', "revision = 'r'\ndown_revision = 'q'\nbranch_labels = ('x', 'y')\ndepends_on = 'dep'\n", { branchLabels: ['x', 'y'], dependsOn: ['dep'] }],
    ['docstring is not code', '"""\nrevision = \'fake\'\n"""\nrevision = \'real\'\ndown_revision = None\n', { revision: 'real' }],
    ['indented code is not module level', "revision = 'r'\ndown_revision = None\ndef f():\n    revision = 'inner'\n", { revision: 'r' }],
    ['semicolons', "revision = 'r'; down_revision = 'p'\n", { revision: 'r', downRevisions: ['p'] }],
  ])('%s', (_name, source, expected) => {
    expect(parseMigrationSource(source, 'x.py')).toMatchObject(expected)
  })

  it('takes the revision from a hex file name when the variable is missing (Alembic legacy rule)', () => {
    expect(parseMigrationSource('down_revision = None\n', 'ae1027a6acf.py').revision).toBe('ae1027a6acf')
  })

  it.each([
    ['no revision and a non-hex name', 'down_revision = None\n', 'add_users.py', /could not determine revision id/],
    ['computed down_revision', "revision = 'r'\ndown_revision = compute()\n", 'r_x.py', /down_revision = compute\(\) is not a literal/],
    ['unterminated string', "revision = 'r\ndown_revision = None\n", 'r_x.py', /unterminated string/],
    ['unclosed bracket', "revision = 'r'\ndown_revision = ('a',\n", 'r_x.py', /unclosed bracket/],
    ['no down_revision', "revision = 'r'\n", 'r_x.py', /no module-level down_revision/],
    ['revision not a string', "revision = ('a', 'b')\ndown_revision = None\n", 'r_x.py', /revision must be a non-empty string/],
  ])('%s → ConfigError naming the file', (_name, source, file, message) => {
    let err: unknown
    try {
      parseMigrationSource(source, file, `/migrations/versions/${file}`)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).file).toBe(`/migrations/versions/${file}`)
    expect((err as ConfigError).message).toMatch(message)
  })
})

describe('buildRevisionMap and pendingRevisions', () => {
  const rev = (revision: string, down: string[] = [], dependsOn: string[] = []) => ({ revision, downRevisions: down, branchLabels: [], dependsOn, file: `${revision}.py` })

  it.each([
    ['linear', [rev('a'), rev('b', ['a']), rev('c', ['b'])], ['c'], ['a']],
    ['branch', [rev('a'), rev('b', ['a']), rev('c', ['a'])], ['b', 'c'], ['a']],
    ['merge', [rev('a'), rev('b', ['a']), rev('c', ['a']), rev('m', ['b', 'c'])], ['m'], ['a']],
    ['depends_on keeps the head (Alembic heads, not real heads)', [rev('a'), rev('b'), rev('c', ['a'], ['b'])], ['b', 'c'], ['a', 'b']],
    ['two bases', [rev('a'), rev('x'), rev('b', ['a', 'x'])], ['b'], ['a', 'x']],
  ])('%s', (_name, list, heads, bases) => {
    const m = buildRevisionMap(list)
    expect(m.heads).toEqual(heads)
    expect(m.bases).toEqual(bases)
  })

  it('warns about a missing parent like Alembic', () => {
    expect(buildRevisionMap([rev('b', ['gone'])]).warnings).toEqual(['Revision gone referenced from b is not present'])
  })

  it.each([
    ['duplicate ids', [rev('a'), rev('a')], /defined twice/],
    ['self reference', [rev('a', ['a'])], /refers to itself/],
  ])('%s is a ConfigError', (_name, list, message) => {
    expect(() => buildRevisionMap(list)).toThrow(ConfigError)
    expect(() => buildRevisionMap(list)).toThrow(message)
  })

  const graph = buildRevisionMap([rev('a'), rev('b', ['a']), rev('c', ['b']), rev('d1', ['c']), rev('d2', ['c'], ['b']), rev('m', ['d1', 'd2'])])
  it.each([
    [[], ['a', 'b', 'c', 'd1', 'd2', 'm']],
    [['b'], ['c', 'd1', 'd2', 'm']],
    [['d1'], ['d2', 'm']],
    [['d1', 'd2'], ['m']],
    [['m'], []],
  ])('from %j the path to head is %j', (current, pending) => {
    expect(pendingRevisions(graph, current)).toEqual(pending)
  })
})

describe('currentHeads (alembic current) and staleRows', () => {
  const rev = (revision: string, down: string[] = [], dependsOn: string[] = [], branchLabels: string[] = []) => ({ revision, downRevisions: down, branchLabels, dependsOn, file: `${revision}.py` })
  // b2 depends on a3, the head of the other branch: a3 is an "effective head".
  const dependsOnHead = buildRevisionMap([rev('a1'), rev('a2', ['a1']), rev('a3', ['a2']), rev('b1'), rev('b2', ['b1'], ['a3'])])
  const merged = buildRevisionMap([rev('a1'), rev('a2', ['a1']), rev('b1', ['a1']), rev('m1', ['a2', 'b1']), rev('x1'), rev('x2', ['x1'], ['m1'])])
  it.each([
    ['the one row after upgrade heads', dependsOnHead, ['b2'], ['a3', 'b2']],
    ['a dependency that is not a head is not shown', dependsOnHead, ['a2', 'b1'], ['a2', 'b1']],
    ['the depends_on target of a middle revision', merged, ['x2'], ['m1', 'x2']],
    ['merge parents are hidden by the merge', merged, ['m1', 'x1'], ['m1', 'x1']],
    ['unknown rows are left out', dependsOnHead, ['zz'], []],
  ])('%s', (_name, scripts, rows, current) => {
    expect(currentHeads(scripts, rows)).toEqual(current)
  })

  it.each([
    ['none at heads', dependsOnHead, ['b2'], []],
    ['a dependency kept beside its dependent', dependsOnHead, ['a3', 'b2'], [{ revision: 'a3', below: 'b2', via: 'depends_on' }]],
    ['an ancestor on the same branch', dependsOnHead, ['a1', 'a3'], [{ revision: 'a1', below: 'a3', via: 'down_revision' }]],
    ['a merge parent beside the merge', merged, ['a2', 'm1'], [{ revision: 'a2', below: 'm1', via: 'down_revision' }]],
    ['two live branches are not stale', dependsOnHead, ['a2', 'b1'], []],
  ])('stale: %s', (_name, scripts, rows, stale) => {
    expect(staleRows(scripts, rows)).toEqual(stale)
  })

  it('depends_on may name a branch label: it resolves to the revision that declares it (Alembic _add_depends_on)', () => {
    const m = buildRevisionMap([rev('c1', [], [], ['core']), rev('c2', ['c1']), rev('p1'), rev('p2', ['p1'], ['core'])])
    expect(m.revisions.get('p2')!.dependsOn).toEqual(['c1'])
    expect(m.warnings).toEqual([])
    expect(pendingRevisions(m, ['p2'])).toEqual(['c2'])
  })

  it('a branch label used twice is a ConfigError, as in Alembic', () => {
    expect(() => buildRevisionMap([rev('a', [], [], ['x']), rev('b', [], [], ['x'])])).toThrow(/branch label "x" in revision b is already used by revision a/)
  })
})

describe('loadMigrationScripts on fixture folders', () => {
  it.each([
    ['legacy', ['3a7d5c1b9e20'], 4],
    ['annotated', ['bbbb00000002'], 2],
    ['two-heads', ['bbbb00000002', 'cccc00000003'], 3],
  ])('%s: heads %j', (name, heads, count) => {
    const s = loadMigrationScripts(dir(name))
    expect([...s.heads].sort()).toEqual(heads)
    expect(s.revisions.size).toBe(count)
  })

  it('reads the legacy folder like Alembic: hex file name, ignores __init__.py and non-.py files, docstrings and indented code', () => {
    const s = loadMigrationScripts(dir('legacy'))
    expect([...s.revisions.keys()].sort()).toEqual(['1975ea83b712', '3a7d5c1b9e20', 'ae1027a6acf', 'c0ffee000001'])
    expect(s.revisions.get('c0ffee000001')).toMatchObject({ downRevisions: ['ae1027a6acf'], branchLabels: ['side'] })
    expect(s.revisions.get('3a7d5c1b9e20')!.downRevisions).toEqual(['1975ea83b712', 'c0ffee000001'])
  })

  it('accepts an Alembic script directory and uses its versions/ folder', () => {
    const s = loadMigrationScripts(join(FIXTURES, 'alembic-project'))
    expect(s.versionsDir).toBe(join(FIXTURES, 'alembic-project', 'versions'))
    expect(s.heads).toEqual(['6f7a8b9c0d06'])
  })

  it('a malformed migration is a ConfigError naming the file', () => {
    let err: unknown
    try {
      loadMigrationScripts(dir('malformed'))
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).file).toMatch(/bbbb00000002_broken\.py$/)
    expect((err as ConfigError).describe()).toMatch(/bbbb00000002_broken\.py: malformed migration file/)
  })

  it('a missing folder is a ConfigError', () => {
    expect(() => loadMigrationScripts(dir('no-such-folder'))).toThrow(ConfigError)
  })
})

// Fidelity: the static reading must agree with Alembic's own ScriptDirectory.
const hasAlembic = await pythonHas('alembic')
describe.skipIf(!hasAlembic)('agrees with Alembic (Debian python3-alembic) on heads', () => {
  it.each([['legacy'], ['annotated'], ['two-heads'], ['../alembic-project/versions']])('%s', async (name) => {
    const script = 'import sys, json\nfrom alembic.script import ScriptDirectory\nd = ScriptDirectory(sys.argv[1], version_locations=[sys.argv[1]])\nprint(json.dumps(sorted(d.get_heads())))'
    const out = await runPython(['-c', script, dir(name)])
    expect(out.code, out.stderr).toBe(0)
    expect([...loadMigrationScripts(dir(name)).heads].sort()).toEqual(JSON.parse(out.stdout))
  })
})
