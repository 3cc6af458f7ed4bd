import type { Comparison, SqlQueryOptions, SqlValue } from '../../checks/sql-query.ts'
import { postgresConnection, postgresProperties, type PostgresEntryFields, untyped } from './data-shared.ts'
import type { CheckKind } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/sql-query.ts')

/** A `kind: sql` entry of a target file. */
export interface SqlCheckEntry extends PostgresEntryFields {
  query: string
  params?: SqlValue[]
  rows?: number
  minRows?: number
  maxRows?: number
  column?: string
  row?: number
  op?: Comparison
  value?: SqlValue
  evidenceRows?: number
}

const scalar = { type: ['string', 'number', 'boolean', 'null'] }
const count = { type: 'integer', minimum: 0 }

export const sqlKind: CheckKind<SqlCheckEntry> = {
  kind: 'sql',
  description: 'a read-only SQL query (READ ONLY transaction, rolled back) meets a row-count or value expectation',
  properties: {
    ...postgresProperties,
    query: { type: 'string', minLength: 1, description: 'one SQL statement; $1, $2... refer to params; a write is refused' },
    params: { type: 'array', items: scalar, description: 'query parameters' },
    rows: { ...count, description: 'exact row count expected' },
    minRows: { ...count, description: 'minimum row count' },
    maxRows: { ...count, description: 'maximum row count' },
    column: { type: 'string', minLength: 1, description: 'column whose value is compared with value' },
    row: { ...count, description: 'which row (0-based) column is read from (default 0)' },
    op: { type: 'string', enum: ['<', '<=', '==', '!=', '>=', '>'], description: 'comparison applied as <cell> op <value> (default ==)' },
    value: { ...scalar, description: 'threshold or expected value for column (required with column)' },
    evidenceRows: { ...count, description: 'rows copied into the evidence (default 10)' },
  },
  required: ['url', 'query'],
  title: (entry) => (entry.column !== undefined ? `SQL: ${entry.column} ${entry.op ?? '=='} ${JSON.stringify(entry.value)}` : 'SQL query meets its expectation'),
  build(entry, ctx) {
    const opts: SqlQueryOptions = { ...postgresConnection(entry, ctx), query: entry.query }
    for (const k of ['params', 'rows', 'minRows', 'maxRows', 'column', 'row', 'op', 'evidenceRows'] as const) {
      if (entry[k] !== undefined) (opts as unknown as Record<string, unknown>)[k] = entry[k]
    }
    if (Object.hasOwn(entry, 'value')) opts.value = entry.value ?? null
    return untyped(async (signal) => (await load()).sqlQuery({ ...opts, signal }))
  },
}
