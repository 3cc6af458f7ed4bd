import { InvalidArgumentError } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { connectOrExplain, validateConnectionOptions, type PostgresConnectionOptions, type PostgresSession } from '../clients/postgres.ts'
import { stripUndefined } from '../lib/object.ts'

/**
 * `rowLevelSecurity`: every tenant table of a schema has RLS enabled (`relrowsecurity`),
 * optionally forced (`relforcerowsecurity`: the owner cannot bypass it), and at least one policy.
 */

export interface RowLevelSecurityOptions extends PostgresConnectionOptions {
  /** Check id. Default `rls`. */
  id?: string
  /** Check title. Default "Row-level security protects tenant tables in <schema>". */
  title?: string
  /** Schema to inspect. Default `public`. */
  schema?: string
  /** Tables with this column are tenant tables. Default `tenant_id`; empty string = only `tables`. */
  tenantColumn?: string
  /** Tables that must be protected whether or not they have the tenant column. Default none. */
  tables?: string[]
  /** Also require FORCE ROW LEVEL SECURITY. Default false. */
  requireForced?: boolean
  /** Require at least one policy per table (RLS without a policy denies everything). Default true. */
  requirePolicy?: boolean
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

const DEFAULTS = Object.freeze({ schema: 'public', tenantColumn: 'tenant_id', tables: [] as string[], requireForced: false, requirePolicy: true })

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
  const o = { ...DEFAULTS, ...stripUndefined(opts) }
  const { parsed } = validateConnectionOptions(o)
  if (!o.schema) throw new InvalidArgumentError('schema must not be empty')
  if (!Array.isArray(o.tables) || o.tables.some((t) => typeof t !== 'string' || !t)) throw new InvalidArgumentError('tables must be a list of table names')
  if (!o.tenantColumn && o.tables.length === 0) throw new InvalidArgumentError('give a tenantColumn or a list of tables')
  const base: RlsEvidence = { url: parsed.maskedUrl, schema: o.schema, tenantColumn: o.tenantColumn, requireForced: o.requireForced }
  return timed<RlsEvidence>({ id: o.id ?? 'rls', title: o.title ?? `Row-level security protects tenant tables in ${o.schema}`, kind: 'rls' }, async () => {
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
