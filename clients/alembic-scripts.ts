import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { ConfigError } from '../lib/errors.ts'

/**
 * Static reading of an Alembic versions folder: the revision graph and its heads, computed the way
 * Alembic's `ScriptDirectory` / `RevisionMap` does, without running Python. Only module-level
 * literal assignments are read (`revision`, `down_revision`, `branch_labels`, `depends_on`), in
 * both the legacy (`revision = 'abc'`) and the annotated (`revision: str = "abc"`) templates.
 */

/** One migration script. */
export interface ScriptRevision {
  revision: string
  /** Parents through `down_revision` (empty for a base; two or more for a merge point). */
  downRevisions: string[]
  branchLabels: string[]
  /**
   * `depends_on` entries. In a map built by `buildRevisionMap`, branch labels are resolved to the
   * revision that declares them, as Alembic's `_add_depends_on` does.
   */
  dependsOn: string[]
  /** File name inside the versions folder. */
  file: string
}

export interface MigrationScripts {
  /** The versions folder that was read. */
  versionsDir: string
  revisions: Map<string, ScriptRevision>
  /** Revisions no other revision names as its `down_revision`, in file order. */
  heads: string[]
  /** Revisions with no `down_revision`. */
  bases: string[]
  /** Non-fatal findings, e.g. "Revision X referenced from Y is not present" (Alembic's warning). */
  warnings: string[]
}

/** Alembic's `_only_source_rev_file`: any `*.py` except `__init__` and editor lock files (`.#`). */
const SOURCE_FILE = /^(?!\.#|__init__)(.*\.py)$/
/** Alembic's `_legacy_rev`: a file named after its hex revision id, used when `revision` is absent. */
const LEGACY_NAME = /^([a-f0-9]+)\.py$/
const FIELDS = ['revision', 'down_revision', 'branch_labels', 'depends_on'] as const
type Field = (typeof FIELDS)[number]
type PyValue = null | string | PyValue[]

/**
 * Reads a migrations location: either the versions folder itself or an Alembic script directory
 * that contains `versions/`. Throws ConfigError naming the file for a malformed migration.
 */
export function loadMigrationScripts(dir: string): MigrationScripts {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`migrations directory not found: ${dir}`, { file: dir })
  const nested = join(dir, 'versions')
  const versionsDir = existsSync(nested) && statSync(nested).isDirectory() && !hasMigrationFiles(dir) ? nested : dir
  const files = readdirSync(versionsDir)
    .filter((f) => SOURCE_FILE.test(f) && statSync(join(versionsDir, f)).isFile())
    .sort()
  const revisions: ScriptRevision[] = files.map((f) => parseMigrationSource(readFileSync(join(versionsDir, f), 'utf8'), f, join(versionsDir, f)))
  return buildRevisionMap(revisions, versionsDir)
}

function hasMigrationFiles(dir: string): boolean {
  return readdirSync(dir).some((f) => SOURCE_FILE.test(f) && f !== 'env.py')
}

/**
 * Builds the graph and computes heads and bases. Throws ConfigError for duplicate revision ids
 * and self references (Alembic refuses both); missing parents are warnings, as in Alembic.
 */
export function buildRevisionMap(list: readonly ScriptRevision[], versionsDir = ''): MigrationScripts {
  const revisions = new Map<string, ScriptRevision>()
  for (const r of list) {
    const prior = revisions.get(r.revision)
    if (prior) throw new ConfigError(`revision ${r.revision} is defined twice: in ${prior.file} and ${r.file}`, { file: join(versionsDir, r.file) })
    if (r.downRevisions.includes(r.revision) || r.dependsOn.includes(r.revision)) {
      throw new ConfigError(`revision ${r.revision} refers to itself`, { file: join(versionsDir, r.file) })
    }
    revisions.set(r.revision, r)
  }
  // Alembic's _map_branch_labels: a label names the revision that declares it, and depends_on may use it.
  const labels = new Map<string, string>()
  for (const r of revisions.values()) {
    for (const label of r.branchLabels) {
      const owner = labels.get(label)
      if (owner !== undefined) throw new ConfigError(`branch label "${label}" in revision ${r.revision} is already used by revision ${owner}`, { file: join(versionsDir, r.file) })
      labels.set(label, r.revision)
    }
  }
  for (const [id, r] of revisions) {
    if (r.dependsOn.some((d) => !revisions.has(d) && labels.has(d))) {
      revisions.set(id, { ...r, dependsOn: r.dependsOn.map((d) => (revisions.has(d) ? d : (labels.get(d) ?? d))) })
    }
  }
  const warnings: string[] = []
  const parents = new Set<string>()
  for (const r of revisions.values()) {
    for (const d of [...r.downRevisions, ...r.dependsOn]) {
      if (!revisions.has(d)) warnings.push(`Revision ${d} referenced from ${r.revision} is not present`)
    }
    // depends_on does not make its target a non-head (Alembic keeps it in `heads`).
    for (const d of r.downRevisions) parents.add(d)
  }
  const all = [...revisions.values()]
  return {
    versionsDir,
    revisions,
    heads: all.filter((r) => !parents.has(r.revision)).map((r) => r.revision),
    bases: all.filter((r) => r.downRevisions.length === 0).map((r) => r.revision),
    warnings,
  }
}

/**
 * Parses one migration file's source. `file` is the name used for the legacy-name fallback and
 * in messages; `path` (default `file`) is what a ConfigError names.
 */
export function parseMigrationSource(source: string, file: string, path = file): ScriptRevision {
  let assignments: Map<string, string>
  try {
    assignments = topLevelAssignments(source)
  } catch (err) {
    throw new ConfigError(`malformed migration file: ${(err as Error).message}`, { file: path, cause: err })
  }
  const values = new Map<Field, PyValue>()
  for (const field of FIELDS) {
    const raw = assignments.get(field)
    if (raw === undefined) continue
    try {
      values.set(field, parsePyLiteral(raw))
    } catch (err) {
      throw new ConfigError(`malformed migration file: ${field} = ${raw.trim().slice(0, 80)} is not a literal string, tuple, list or None (${(err as Error).message})`, { file: path, cause: err })
    }
  }
  let revision: string
  const rev = values.get('revision')
  if (rev === undefined) {
    // Alembic's legacy fallback: take the id from a hex file name.
    const m = LEGACY_NAME.exec(basename(file))
    if (!m) throw new ConfigError(`malformed migration file: could not determine revision id (no module-level "revision = '...'")`, { file: path })
    revision = m[1]!
  } else if (typeof rev === 'string' && rev.length > 0) {
    revision = rev
  } else {
    throw new ConfigError(`malformed migration file: revision must be a non-empty string`, { file: path })
  }
  if (/[@:,\s]|^-|^(head|heads|base|current)$/.test(revision) || revision.includes('..')) {
    throw new ConfigError(`malformed migration file: revision id "${revision}" contains characters or a name Alembic does not allow`, { file: path })
  }
  const asList = (field: Field): string[] => {
    const v = values.get(field)
    if (v === undefined || v === null) return []
    if (typeof v === 'string') return [v]
    if (v.every((x): x is string => typeof x === 'string')) return v
    throw new ConfigError(`malformed migration file: ${field} must be None, a string, or a tuple/list of strings`, { file: path })
  }
  if (!assignments.has('down_revision')) throw new ConfigError(`malformed migration file: no module-level down_revision (use down_revision = None for a base)`, { file: path })
  return { revision, downRevisions: asList('down_revision'), branchLabels: asList('branch_labels'), dependsOn: asList('depends_on'), file: basename(file) }
}

/**
 * Every revision that must be applied, from the database's current revisions up to `targets`
 * (default: the heads), in dependency order (base first). Follows `down_revision` and
 * `depends_on`, as `alembic upgrade` does. Unknown ids are ignored here; callers check them.
 */
export function pendingRevisions(scripts: MigrationScripts, current: readonly string[], targets: readonly string[] = scripts.heads): string[] {
  const applied = new Set<string>()
  for (const c of current) for (const a of ancestors(scripts, c)) applied.add(a)
  const order: string[] = []
  const seen = new Set<string>()
  const visit = (id: string) => {
    if (seen.has(id) || applied.has(id)) return
    seen.add(id)
    const r = scripts.revisions.get(id)
    if (!r) return
    for (const d of [...r.downRevisions, ...r.dependsOn]) visit(d)
    order.push(id)
  }
  for (const t of targets) visit(t)
  return order
}

/** `id` and everything below it (through down_revision and depends_on; only down_revision when `viaDependsOn` is false). */
export function ancestors(scripts: MigrationScripts, id: string, viaDependsOn = true): Set<string> {
  const out = new Set<string>()
  const stack = [id]
  while (stack.length > 0) {
    const cur = stack.pop()!
    if (out.has(cur)) continue
    out.add(cur)
    const r = scripts.revisions.get(cur)
    if (r) stack.push(...r.downRevisions, ...(viaDependsOn ? r.dependsOn : []))
  }
  return out
}

/**
 * What `alembic current` prints for these version table rows (RevisionMap `_get_all_current`): the
 * rows and everything they imply through down_revision and depends_on, keeping only revisions with
 * no down_revision descendant in that set. A database is at heads exactly when this equals
 * `scripts.heads`: a revision that is a head only because others merely depend on it (an
 * "effective head") is applied, but has no row of its own. Unknown rows are left out; sorted.
 */
export function currentHeads(scripts: MigrationScripts, rows: readonly string[]): string[] {
  const applied = new Set<string>()
  for (const row of rows) if (scripts.revisions.has(row)) for (const a of ancestors(scripts, row)) applied.add(a)
  const below = new Set<string>()
  for (const a of applied) for (const b of ancestors(scripts, a, false)) if (b !== a) below.add(b)
  return [...applied].filter((a) => !below.has(a)).sort()
}

/** A version table row that is an ancestor of another row: Alembic's HeadMaintainer never leaves one. */
export interface StaleRow {
  revision: string
  /** The row it is an ancestor of. */
  below: string
  /** How: through down_revision alone, or only with a depends_on on the way. */
  via: 'down_revision' | 'depends_on'
}

/**
 * Rows that are ancestors of other rows. `alembic upgrade` keeps one row per head of what is
 * applied (a merge deletes the rows it merges, a dependency's row is replaced by its dependent's),
 * so such a row was written by hand or by a failed tool; Alembic's own `upgrade` then refuses
 * ("Requested revision Y overlaps with other requested revisions X"). Sorted by revision.
 */
export function staleRows(scripts: MigrationScripts, rows: readonly string[]): StaleRow[] {
  const known = [...new Set(rows)].filter((r) => scripts.revisions.has(r)).sort()
  const out: StaleRow[] = []
  for (const x of known) {
    const above = known.find((y) => y !== x && ancestors(scripts, y).has(x))
    if (above === undefined) continue
    out.push({ revision: x, below: above, via: ancestors(scripts, above, false).has(x) ? 'down_revision' : 'depends_on' })
  }
  return out
}

/**
 * Module-level `name = value` / `name: annotation = value` statements, as raw value text. Skips
 * strings (docstrings included), comments and indented code; a value spans lines while brackets
 * are open. Throws for an unterminated string or bracket.
 */
function topLevelAssignments(source: string): Map<string, string> {
  const out = new Map<string, string>()
  const statements = splitStatements(source)
  for (const st of statements) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(:|=(?!=))/.exec(st)
    if (!m) continue
    const name = m[1]!
    let rest = st.slice(m[0].length)
    if (m[2] === ':') {
      // Skip the annotation up to the first top-level `=` (annotations hold brackets and commas).
      const eq = topLevelEquals(rest)
      if (eq < 0) continue // a bare annotation declares nothing
      rest = rest.slice(eq + 1)
    }
    out.set(name, rest)
  }
  return out
}

function topLevelEquals(text: string): number {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '[' || c === '(' || c === '{') depth++
    else if (c === ']' || c === ')' || c === '}') depth--
    else if (c === '=' && depth === 0 && text[i + 1] !== '=' && !'<>!='.includes(text[i - 1] ?? '')) return i
  }
  return -1
}

/** Top-level logical statements that start at column 0, with comments removed and strings kept verbatim. */
function splitStatements(source: string): string[] {
  const statements: string[] = []
  let cur = ''
  let depth = 0
  let atLineStart = true
  let indented = false
  let i = 0
  const n = source.length
  const flush = () => {
    if (!indented && cur.trim()) statements.push(cur.trim())
    cur = ''
  }
  while (i < n) {
    const c = source[i]!
    if (atLineStart && depth === 0) {
      indented = c === ' ' || c === '\t'
      atLineStart = false
    }
    if (c === '#') {
      while (i < n && source[i] !== '\n') i++
      continue
    }
    if (c === '"' || c === "'") {
      const end = stringEnd(source, i)
      cur += source.slice(i, end)
      i = end
      continue
    }
    if (c === '\\' && source[i + 1] === '\n') {
      i += 2
      continue
    }
    if (c === '(' || c === '[' || c === '{') depth++
    if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1)
    if (c === '\n') {
      if (depth === 0) {
        flush()
        atLineStart = true
      } else cur += ' '
      i++
      continue
    }
    if (c === ';' && depth === 0) {
      flush()
      i++
      continue
    }
    cur += c
    i++
  }
  if (depth > 0) throw new Error('unclosed bracket at end of file')
  flush()
  return statements
}

/** Index just past the string literal starting at `start` (single, double or triple quoted). */
function stringEnd(s: string, start: number): number {
  const q = s[start]!
  const triple = s.startsWith(q.repeat(3), start)
  const delim = triple ? q.repeat(3) : q
  let i = start + delim.length
  while (i < s.length) {
    if (s[i] === '\\') {
      i += 2
      continue
    }
    if (!triple && s[i] === '\n') break
    if (s.startsWith(delim, i)) return i + delim.length
    i++
  }
  const line = s.slice(0, start).split('\n').length
  throw new Error(`unterminated string starting on line ${line}`)
}

/** Parses None, string literals (with r/u/b prefixes, implicit concatenation) and tuples/lists/sets of them. */
export function parsePyLiteral(text: string): PyValue {
  let i = 0
  const s = text.trim()
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++
  }
  const value = (): PyValue => {
    ws()
    if (s.startsWith('None', i) && !/[A-Za-z0-9_]/.test(s[i + 4] ?? '')) {
      i += 4
      return null
    }
    const c = s[i]
    if (c === '(' || c === '[' || c === '{') {
      const close = c === '(' ? ')' : c === '[' ? ']' : '}'
      i++
      const items: PyValue[] = []
      let sawComma = false
      for (;;) {
        ws()
        if (s[i] === close) {
          i++
          break
        }
        items.push(value())
        ws()
        if (s[i] === ',') {
          sawComma = true
          i++
          continue
        }
        if (s[i] === close) {
          i++
          break
        }
        throw new Error(`unexpected ${JSON.stringify(s[i] ?? 'end')}`)
      }
      // `("abc")` is just a parenthesised string, not a tuple.
      if (c === '(' && items.length === 1 && !sawComma) return items[0]!
      return items
    }
    const m = /^([rRuUbB]{0,2})(['"])/.exec(s.slice(i))
    if (m && !/[fF]/.test(m[1]!)) {
      let out = ''
      while (i < s.length) {
        const mm = /^([rRuUbB]{0,2})(['"])/.exec(s.slice(i))
        if (!mm) break
        const raw = /[rR]/.test(mm[1]!)
        const start = i + mm[1]!.length
        const end = stringEnd(s, start)
        const triple = s.startsWith(mm[2]!.repeat(3), start)
        const body = s.slice(start + (triple ? 3 : 1), end - (triple ? 3 : 1))
        out += raw ? body : unescape(body)
        i = end
        ws()
      }
      return out
    }
    throw new Error(`unexpected ${JSON.stringify(s.slice(i, i + 20) || 'end')}`)
  }
  const v = value()
  ws()
  // A bare `'a', 'b'` is a tuple in Python.
  if (s[i] === ',') {
    const items: PyValue[] = [v]
    while (s[i] === ',') {
      i++
      ws()
      if (i >= s.length) break
      items.push(value())
      ws()
    }
    if (i < s.length) throw new Error(`unexpected ${JSON.stringify(s.slice(i, i + 20))}`)
    return items
  }
  if (i < s.length) throw new Error(`unexpected ${JSON.stringify(s.slice(i, i + 20))}`)
  return v
}

function unescape(body: string): string {
  return body.replace(/\\(.)/gs, (_m, ch: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '\n': '' })[ch] ?? `\\${ch}`)
}
