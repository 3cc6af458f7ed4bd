import { optionProblem } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { connectOrExplain, POSTGRES_CONNECTION_FIELDS, preparePostgresConnection, validateConnectionOptions, type PostgresSession, preloadPostgres } from '../clients/postgres.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: rls` — `rowLevelSecurity`: every tenant table of a schema has RLS enabled
 * (`relrowsecurity`), optionally forced (`relforcerowsecurity`: the owner cannot bypass it), and at
 * least one policy.
 */

export const RlsOptions = Options({
  ...POSTGRES_CONNECTION_FIELDS,
  schema: Type.Optional(Type.String({ minLength: 1, default: 'public', description: 'schema to inspect' })),
  tenantColumn: Type.Optional(Type.String({ default: 'tenant_id', description: 'tables with this column are tenant tables; empty = only the listed tables' })),
  tables: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'tables that must be protected whether or not they have the tenant column' })),
  requireForced: Type.Optional(Type.Boolean({ default: false, description: 'also require FORCE ROW LEVEL SECURITY, so the table owner cannot bypass it' })),
  requirePolicy: Type.Optional(Type.Boolean({ default: true, description: 'require at least one policy per table (RLS without a policy denies everything)' })),
})
export type RowLevelSecurityOptions = Static<typeof RlsOptions> & RunContext

const DEFAULTS = defaultsOf(RlsOptions, 'schema', 'tenantColumn', 'requireForced', 'requirePolicy')

export const rlsKind = defineKind({
  kind: 'rls',
  description: 'row-level security is enabled (optionally forced) with a policy on every tenant table of a schema',
  options: RlsOptions,
  preload: preloadPostgres,
  positional: 'url',
  prepare: preparePostgresConnection,
  validate: validateRowLevelSecurityOptions,
  title: rlsTitle,
  run: (o, rt) => rowLevelSecurity({ ...o, ...rt }),
})

/** The default title: "Row-level security protects tenant tables in <schema>". */
export function rlsTitle(o: Pick<RowLevelSecurityOptions, 'schema'>): string {
  return `Row-level security protects tenant tables in ${o.schema ?? DEFAULTS.schema}`
}

/** The option rules (the kind's validate and rowLevelSecurity both run them); OptionsError names the field. */
export function validateRowLevelSecurityOptions(opts: RowLevelSecurityOptions): void {
  const o = { ...DEFAULTS, ...stripUndefined(opts) }
  validateConnectionOptions(o)
  if (!o.schema) throw optionProblem('schema', 'must not be empty')
  if (o.tables !== undefined && (!Array.isArray(o.tables) || o.tables.some((t) => typeof t !== 'string' || !t))) throw optionProblem('tables', 'must be a list of table names')
  if (!o.tenantColumn && (o.tables ?? []).length === 0) throw optionProblem([], 'give a {tenantColumn} or a list of {tables}')
}

/** One table as observed in pg_class / pg_policy. */
export interface RlsTableRow {
  table: string
  /** False for a table listed in `tables` that does not exist. */
  exists: boolean
  /** Why it is checked: has the tenant column, or listed explicitly. */
  reason: 'tenant column' | 'listed'
  enabled: boolean
  forced: boolean
  policies: number
  /** What is wrong with it; empty when it passes. */
  problems: string[]
}

export interface RlsEvidence {
  url: string
  schema: string
  tenantColumn: string
  requireForced: boolean
  tables?: RlsTableRow[]
  error?: string
}

/** Pure judgement over the observed tables. */
export function judgeRowLevelSecurity(rows: Omit<RlsTableRow, 'problems'>[], rules: { requireForced: boolean; requirePolicy: boolean; schema: string; tenantColumn: string }): Verdict<{ tables: RlsTableRow[] }> {
  const tables: RlsTableRow[] = rows.map((r) => {
    const problems: string[] = []
    if (!r.exists) problems.push('table does not exist')
    else {
      if (!r.enabled) problems.push('RLS not enabled')
      else if (rules.requireForced && !r.forced) problems.push('RLS not forced (the owner bypasses it)')
      if (rules.requirePolicy && r.policies === 0) problems.push('no policy')
    }
    return { ...r, problems }
  })
  if (tables.length === 0) {
    return { status: 'fail', message: `no table in schema ${rules.schema} has a ${rules.tenantColumn || 'tenant'} column and none is listed: nothing is protected (wrong schema or column name?)`, evidence: { tables } }
  }
  const bad = tables.filter((t) => t.problems.length > 0)
  if (bad.length > 0) {
    return { status: 'fail', message: `${bad.length} of ${tables.length} tables unprotected: ${bad.map((t) => `${t.table} (${t.problems.join(', ')})`).join('; ')}`, evidence: { tables } }
  }
  return { status: 'pass', message: `${tables.length} table${tables.length === 1 ? '' : 's'} with RLS enabled${rules.requireForced ? ' and forced' : ''}${rules.requirePolicy ? ' and a policy' : ''}`, evidence: { tables } }
}

/** Inspects the catalog and judges every tenant table. */
export async function rowLevelSecurity(opts: RowLevelSecurityOptions): Promise<CheckResult<RlsEvidence>> {
  const o = { ...DEFAULTS, tables: [] as string[], ...stripUndefined(opts) }
  validateRowLevelSecurityOptions(o)
  const { parsed } = validateConnectionOptions(o)
  const base: RlsEvidence = { url: parsed.maskedUrl, schema: o.schema, tenantColumn: o.tenantColumn, requireForced: o.requireForced }
  return timed<RlsEvidence>({ id: o.id ?? 'rls', title: o.title ?? rlsTitle(o), kind: 'rls' }, async () => {
    const opened = await connectOrExplain(o, parsed)
    if ('error' in opened) return { status: 'fail', message: opened.error, evidence: { ...base, error: opened.error } }
    const { session } = opened
    let rows: Omit<RlsTableRow, 'problems'>[]
    try {
      rows = await observe(session, o.schema, o.tenantColumn, o.tables)
    } finally {
      await session.close()
    }
    const verdict = judgeRowLevelSecurity(rows, o)
    return { status: verdict.status, message: verdict.message, evidence: { ...base, ...verdict.evidence } }
  })
}

async function observe(session: PostgresSession, schema: string, tenantColumn: string, listed: string[]): Promise<Omit<RlsTableRow, 'problems'>[]> {
  // Ordinary and partitioned tables; the policy count comes from pg_policy (pg_policies is a view over it).
  const res = await session.query<{ table: string; enabled: boolean; forced: boolean; policies: number; has_tenant: boolean }>(
    `SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
            (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped) AS has_tenant
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
    [schema, tenantColumn],
  )
  const byName = new Map(res.rows.map((r) => [r.table, r]))
  const out: Omit<RlsTableRow, 'problems'>[] = []
  for (const r of res.rows) {
    if (tenantColumn && r.has_tenant) out.push({ table: r.table, exists: true, reason: 'tenant column', enabled: r.enabled, forced: r.forced, policies: r.policies })
  }
  for (const t of listed) {
    if (out.some((x) => x.table === t)) continue
    const r = byName.get(t)
    out.push(r ? { table: t, exists: true, reason: 'listed', enabled: r.enabled, forced: r.forced, policies: r.policies } : { table: t, exists: false, reason: 'listed', enabled: false, forced: false, policies: 0 })
  }
  return out
}
