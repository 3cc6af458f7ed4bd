import type { RowLevelSecurityOptions } from '../../checks/row-level-security.ts'
import { postgresConnection, postgresProperties, type PostgresEntryFields, untyped } from './data-shared.ts'
import type { CheckKind } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/row-level-security.ts')

/** A `kind: rls` entry of a target file. */
export interface RlsCheckEntry extends PostgresEntryFields {
  schema?: string
  tenantColumn?: string
  tables?: string[]
  requireForced?: boolean
  requirePolicy?: boolean
}

export const rlsKind: CheckKind<RlsCheckEntry> = {
  kind: 'rls',
  description: 'row-level security is enabled (optionally forced) with a policy on every tenant table of a schema',
  positional: 'url',
  properties: {
    ...postgresProperties,
    schema: { type: 'string', minLength: 1, description: 'schema to inspect (default public)' },
    tenantColumn: { type: 'string', description: 'tables with this column are tenant tables (default tenant_id; empty = only the listed tables)' },
    tables: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'tables that must be protected whether or not they have the tenant column' },
    requireForced: { type: 'boolean', description: 'also require FORCE ROW LEVEL SECURITY so the owner cannot bypass it (default false)' },
    requirePolicy: { type: 'boolean', description: 'require at least one policy per table (default true)' },
  },
  required: ['url'],
  title: (entry) => `Row-level security protects tenant tables in ${entry.schema ?? 'public'}`,
  build(entry, ctx) {
    const opts: RowLevelSecurityOptions = postgresConnection(entry, ctx)
    if (entry.schema !== undefined) opts.schema = entry.schema
    if (entry.tenantColumn !== undefined) opts.tenantColumn = entry.tenantColumn
    if (entry.tables !== undefined) opts.tables = entry.tables
    if (entry.requireForced !== undefined) opts.requireForced = entry.requireForced
    if (entry.requirePolicy !== undefined) opts.requirePolicy = entry.requirePolicy
    return untyped(async (signal) => (await load()).rowLevelSecurity({ ...opts, signal }))
  },
}
