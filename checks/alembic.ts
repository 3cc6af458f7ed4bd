import { optionProblem } from '../lib/errors.ts'
import { currentHeads, loadMigrationScripts, pendingRevisions, staleRows, type MigrationScripts, type StaleRow } from '../clients/alembic-scripts.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { connectOrExplain, POSTGRES_CONNECTION_FIELDS, preparePostgresConnection, validateConnectionOptions, type PostgresSession, preloadPostgres } from '../clients/postgres.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, DirPath, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: alembic` — `alembicVersion`: the database's `alembic_version` rows against the expected
 * head(s), given as revision ids or computed statically from a migrations folder
 * (clients/alembic-scripts.ts).
 */

const IDENTIFIER = '^[A-Za-z_][A-Za-z0-9_$]*$'

export const AlembicOptions = Options({
  ...POSTGRES_CONNECTION_FIELDS,
  expected: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { description: 'expected revision id(s): the version table must hold exactly these; give this or migrationsDir' })),
  migrationsDir: Type.Optional(DirPath({ what: 'migrations folder', description: 'Alembic script location or its versions folder, whose head(s) are computed statically; give this or expected' })),
  table: Type.Optional(Type.String({ pattern: IDENTIFIER, default: 'alembic_version', description: "version table (Alembic's version_table)" })),
  schema: Type.Optional(Type.String({ pattern: IDENTIFIER, description: "schema of the version table (Alembic's version_table_schema; default: the connection's search_path)" })),
  allowMultipleHeads: Type.Optional(Type.Boolean({ default: false, description: 'pass when the scripts have several heads and the database is at all of them, as after alembic upgrade heads (a head that another revision depends_on needs no row of its own); off: a missing merge migration fails, as alembic upgrade head refuses several heads' })),
})
export type AlembicVersionOptions = Static<typeof AlembicOptions> & RunContext

export const alembicKind = defineKind({
  kind: 'alembic',
  description: "the database's alembic_version rows equal the expected revision(s) or the head(s) of a migrations folder, as alembic current/heads define it (depends_on, merges, branch labels); says what is wrong: table missing, behind by N and which, unknown revision, several heads, a stale row",
  options: AlembicOptions,
  preload: preloadPostgres,
  positional: 'url',
  prepare: preparePostgresConnection,
  validate: validateAlembicOptions,
  title: () => ALEMBIC_TITLE,
  run: (o, rt) => alembicVersion({ ...o, ...rt }),
})

const ALEMBIC_TITLE = 'Database migrations are at head'

/** The option rules (the kind's validate and alembicVersion both run them); OptionsError names the field. */
export function validateAlembicOptions(opts: AlembicVersionOptions): void {
  const o = { ...DEFAULTS, ...stripUndefined(opts) }
  validateConnectionOptions(o)
  const hasExpected = o.expected !== undefined && o.expected.length > 0
  if (hasExpected === (o.migrationsDir !== undefined)) throw optionProblem(hasExpected ? 'migrationsDir' : [], 'give exactly one of {expected} (revision ids) or {migrationsDir}')
  const identifier = new RegExp(IDENTIFIER)
  if (!identifier.test(o.table)) throw optionProblem('table', `must be a plain identifier, got ${o.table}`)
  if (o.schema !== undefined && !identifier.test(o.schema)) throw optionProblem('schema', `must be a plain identifier, got ${o.schema}`)
}

export interface AlembicEvidence {
  url: string
  table: string
  /** False when the version table does not exist. */
  tableExists?: boolean
  /** `version_num` rows, sorted. */
  databaseRevisions?: string[]
  /** Expected head(s): from `expected` or the scripts. */
  expectedHeads?: string[]
  /** Revisions to apply to reach head, base first (`alembic upgrade heads` would run these). */
  pending?: string[]
  /** Database revisions the scripts do not know. */
  unknownRevisions?: string[]
  /**
   * What `alembic current` would print for these rows (revision ids, sorted): the rows and the
   * revisions they imply through depends_on. At heads exactly when this equals `expectedHeads`.
   */
  current?: string[]
  /** Rows that are ancestors of other rows, which Alembic would not leave in the table. */
  staleRows?: StaleRow[]
  migrationsDir?: string
  scriptWarnings?: string[]
  error?: string
}

/** What the database holds. */
export interface AlembicObservation {
  tableExists: boolean
  rows: string[]
}

const DEFAULTS = defaultsOf(AlembicOptions, 'table', 'allowMultipleHeads')

/** Pure judgement: database rows against expected heads (and the script graph, when known). */
export function judgeAlembic(
  obs: AlembicObservation,
  expected: { heads: string[]; scripts?: MigrationScripts; allowMultipleHeads?: boolean; table?: string },
): Verdict<Pick<AlembicEvidence, 'pending' | 'unknownRevisions' | 'current' | 'staleRows'>> {
  const table = expected.table ?? 'alembic_version'
  const heads = [...expected.heads].sort()
  const rows = [...new Set(obs.rows)].sort()
  const scripts = expected.scripts
  if (!obs.tableExists) {
    const pending = scripts ? pendingRevisions(scripts, []) : undefined
    return { status: 'fail', message: `version table ${table} does not exist: no migration was ever applied${pending ? ` (${pending.length} pending: ${pending.join(', ')})` : ''}`, evidence: pending ? { pending } : {} }
  }
  if (scripts) {
    const unknown = rows.filter((r) => !scripts.revisions.has(r))
    if (unknown.length > 0) {
      return {
        status: 'fail',
        message: `the database is at revision ${unknown.join(', ')}, which the migration scripts do not know: the code is older than the database (e.g. after a rollback of the application, not of the schema)`,
        evidence: { unknownRevisions: unknown },
      }
    }
  }
  if (scripts && scripts.heads.length > 1 && !expected.allowMultipleHeads) {
    const pending = pendingRevisions(scripts, rows.filter((r) => scripts.revisions.has(r)))
    const needed = effectiveHeads(scripts)
    const why = needed.length > 0 ? `; ${needed.map((n) => `${n.head} is a head although ${n.dependents.join(', ')} depend${n.dependents.length === 1 ? 's' : ''} on it`).join('; ')} (alembic upgrade head refuses several heads, alembic upgrade heads applies them: allowMultipleHeads)` : ''
    return {
      status: 'fail',
      message: `the migration scripts have ${scripts.heads.length} heads (${[...scripts.heads].sort().join(', ')}): a merge migration is missing (alembic merge heads)${why}`,
      evidence: { pending },
    }
  }
  if (rows.length === 0) {
    const pending = scripts ? pendingRevisions(scripts, []) : undefined
    return { status: 'fail', message: `version table ${table} is empty: no revision is recorded${pending ? ` (${pending.length} pending: ${pending.join(', ')})` : ''}`, evidence: pending ? { pending } : {} }
  }
  if (!scripts) {
    if (sameSet(rows, heads)) return { status: 'pass', message: `database is at head ${heads.join(', ')}`, evidence: {} }
    return { status: 'fail', message: `database is at ${rows.join(', ')}, expected ${heads.join(', ')}`, evidence: {} }
  }
  // As Alembic sees it: what `alembic current` prints, what `alembic upgrade heads` would apply,
  // and rows its HeadMaintainer would never leave (an ancestor of another row).
  const current = currentHeads(scripts, rows)
  const pending = pendingRevisions(scripts, rows)
  const stale = staleRows(scripts, rows)
  if (pending.length === 0 && stale.length === 0) {
    const implied = heads.filter((h) => !rows.includes(h))
    const how = implied.length > 0 ? ` (${rows.length === 1 ? 'row' : 'rows'} ${rows.join(', ')}; ${implied.join(', ')} through depends_on)` : ''
    return { status: 'pass', message: `database is at ${heads.length === 1 ? 'head' : 'heads'} ${heads.join(', ')}${how}`, evidence: { pending, current } }
  }
  const parts: string[] = []
  for (const s of stale) {
    parts.push(`stale row ${s.revision} in ${table}: ${s.revision} is an ancestor of ${s.below}${s.via === 'depends_on' ? ' (through depends_on)' : ''}; alembic would not leave it there, and alembic upgrade refuses to run until the row is deleted`)
  }
  if (pending.length > 0) {
    const live = rows.filter((r) => !stale.some((s) => s.revision === r))
    // Several live rows below one scripted head: branches were applied and their merge was not.
    const several = live.length > 1 && heads.length === 1 ? `the version table has ${live.length} rows (${live.join(', ')}: unmerged branches applied); ` : ''
    const n = pending.length
    parts.push(`${several}database is behind by ${n} revision${n === 1 ? '' : 's'}: ${rows.join(', ')} → ${pending.join(' → ')} (head ${heads.join(', ')})`)
  }
  return { status: 'fail', message: parts.join('; '), evidence: { pending, current, ...(stale.length > 0 ? { staleRows: stale } : {}) } }
}

/** Heads that other revisions name in depends_on: Alembic's "effective heads". */
function effectiveHeads(scripts: MigrationScripts): { head: string; dependents: string[] }[] {
  return [...scripts.heads]
    .sort()
    .map((head) => ({ head, dependents: [...scripts.revisions.values()].filter((r) => r.dependsOn.includes(head)).map((r) => r.revision).sort() }))
    .filter((e) => e.dependents.length > 0)
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}

/** Reads the version table and compares it with the expected head(s). */
export async function alembicVersion(opts: AlembicVersionOptions): Promise<CheckResult<AlembicEvidence>> {
  const o = { ...DEFAULTS, ...stripUndefined(opts) }
  validateAlembicOptions(o)
  const { parsed } = validateConnectionOptions(o)
  // Scripts are read before connecting: a malformed migration file is a configuration error (ConfigError → status error).
  const title = o.title ?? ALEMBIC_TITLE
  return timed<AlembicEvidence>({ id: o.id ?? 'alembic', title, kind: 'alembic' }, async () => {
    const scripts = o.migrationsDir !== undefined ? loadMigrationScripts(o.migrationsDir) : undefined
    const heads = scripts ? scripts.heads : typeof o.expected === 'string' ? [o.expected] : [...(o.expected ?? [])]
    const qualified = o.schema ? `${o.schema}.${o.table}` : o.table
    const evidence: AlembicEvidence = { url: parsed.maskedUrl, table: qualified, expectedHeads: [...heads].sort() }
    if (o.migrationsDir !== undefined) evidence.migrationsDir = o.migrationsDir
    if (scripts && scripts.warnings.length > 0) evidence.scriptWarnings = scripts.warnings
    const opened = await connectOrExplain(o, parsed)
    if ('error' in opened) return { status: 'fail', message: opened.error, evidence: { ...evidence, error: opened.error } }
    const { session } = opened
    let obs: AlembicObservation
    try {
      obs = await readVersionTable(session, o.table, o.schema)
    } finally {
      await session.close()
    }
    const verdict = judgeAlembic(obs, { heads, scripts, allowMultipleHeads: o.allowMultipleHeads, table: qualified })
    return {
      status: verdict.status,
      message: verdict.message,
      evidence: { ...evidence, tableExists: obs.tableExists, databaseRevisions: [...obs.rows].sort(), ...verdict.evidence },
      ...(scripts && scripts.warnings.length > 0 ? { warnings: scripts.warnings } : {}),
    }
  })
}

async function readVersionTable(session: PostgresSession, table: string, schema: string | undefined): Promise<AlembicObservation> {
  const ident = session.client.escapeIdentifier(table)
  const qualified = schema ? `${session.client.escapeIdentifier(schema)}.${ident}` : ident
  const exists = await session.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [qualified])
  if (!exists.rows[0]?.oid) return { tableExists: false, rows: [] }
  const rows = await session.query<{ version_num: string }>(`SELECT version_num FROM ${qualified}`)
  return { tableExists: true, rows: rows.rows.map((r) => r.version_num) }
}
