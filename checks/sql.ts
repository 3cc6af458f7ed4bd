import { errorMessage, InterruptedError, optionProblem, TimeoutError } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { connectOrExplain, POSTGRES_CONNECTION_FIELDS, preparePostgresConnection, validateConnectionOptions, preloadPostgres } from '../clients/postgres.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: sql` — `sqlQuery`: one read-only query with an expectation on its result. It runs inside
 * a `READ ONLY` transaction that is always rolled back, as a single statement over the extended
 * protocol (no `; COMMIT; ...` smuggling), so a smoke suite can never write to the database.
 */

export type Comparison = '<' | '<=' | '==' | '!=' | '>=' | '>'
const COMPARISONS: readonly Comparison[] = ['<', '<=', '==', '!=', '>=', '>']
export type SqlValue = string | number | boolean | null

/** A query parameter or a compared value: on the command line `1` is a number, `true` a boolean, `null` null. */
const scalar = (description: string) => Type.Unsafe<SqlValue>({ type: ['string', 'number', 'boolean', 'null'], description })
const count = (o: { description: string; default?: number }) => Type.Integer({ minimum: 0, ...o })

export const SqlOptions = Options({
  ...POSTGRES_CONNECTION_FIELDS,
  query: Type.String({ minLength: 1, description: 'one SQL statement; $1, $2... refer to params; a write is refused' }),
  params: Type.Optional(Type.Array(scalar('a query parameter'), { description: 'query parameters' })),
  rows: Type.Optional(count({ description: 'exact row count expected' })),
  minRows: Type.Optional(count({ description: 'minimum row count' })),
  maxRows: Type.Optional(count({ description: 'maximum row count' })),
  column: Type.Optional(Type.String({ minLength: 1, description: 'column whose value is compared with value' })),
  row: Type.Optional(count({ default: 0, description: 'which row (0-based) column is read from' })),
  op: Type.Optional(Type.Unsafe<Comparison>({ type: 'string', enum: [...COMPARISONS], default: '==', description: 'comparison applied as <cell> op <value>' })),
  value: Type.Optional(scalar('threshold or expected value for column (required with column)')),
  evidenceRows: Type.Optional(count({ default: 10, description: 'rows copied into the evidence' })),
})
export type SqlQueryOptions = Static<typeof SqlOptions> & RunContext

const DEFAULTS = defaultsOf(SqlOptions, 'row', 'op', 'evidenceRows')

export const sqlKind = defineKind({
  kind: 'sql',
  description: 'a read-only SQL query (READ ONLY transaction, rolled back) meets a row-count or value expectation',
  options: SqlOptions,
  preload: preloadPostgres,
  prepare: preparePostgresConnection,
  validate: validateSqlQueryOptions,
  title: sqlTitle,
  run: (o, rt) => sqlQuery({ ...o, ...rt }),
})

/** The default title: "SQL: <column> <op> <value>", else "SQL query meets its expectation". */
export function sqlTitle(o: Pick<SqlQueryOptions, 'column' | 'op' | 'value'>): string {
  return o.column !== undefined ? `SQL: ${o.column} ${o.op ?? DEFAULTS.op} ${JSON.stringify(o.value)}` : 'SQL query meets its expectation'
}

/** The option rules (the kind's validate and sqlQuery both run them); OptionsError names the field. */
export function validateSqlQueryOptions(opts: SqlQueryOptions): void {
  const o = { ...DEFAULTS, ...stripUndefined(opts) }
  validateConnectionOptions(o)
  if (typeof o.query !== 'string' || o.query.trim() === '') throw optionProblem('query', 'is required')
  if (!COMPARISONS.includes(o.op)) throw optionProblem('op', `must be one of ${COMPARISONS.join(' ')}, got "${o.op}"`)
  for (const k of ['rows', 'minRows', 'maxRows', 'row', 'evidenceRows'] as const) {
    const v = o[k]
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw optionProblem(k, `must be a non-negative integer, got ${v}`)
  }
  // `value: null` is a value (compare with NULL); only a missing one is missing.
  if (o.column !== undefined && !Object.hasOwn(o, 'value')) throw optionProblem('column', '{value} is required with {column}')
  if (o.value !== undefined && o.column === undefined) throw optionProblem('value', '{column} is required with {value}')
}

export interface SqlEvidence {
  url: string
  query: string
  rowCount?: number
  columns?: string[]
  /** The first `evidenceRows` rows. */
  rows?: Record<string, unknown>[]
  /** The compared cell, when `column` is set. */
  actual?: unknown
  expectation?: string
  error?: string
  /** SQLSTATE of a failed query. */
  sqlstate?: string
}

/** PostgreSQL refuses writes in a read-only transaction with SQLSTATE 25006. */
const READ_ONLY_VIOLATION = '25006'

export interface SqlExpectation {
  rows?: number
  minRows?: number
  maxRows?: number
  column?: string
  row: number
  op: Comparison
  value?: SqlValue
}

/** Pure judgement of a result set. */
export function judgeSqlResult(result: { rowCount: number; rows: Record<string, unknown>[] }, e: SqlExpectation): Pick<Verdict, 'status' | 'message'> & { actual?: unknown } {
  const n = result.rowCount
  if (e.rows !== undefined && n !== e.rows) return { status: 'fail', message: `expected ${e.rows} row${e.rows === 1 ? '' : 's'}, got ${n}` }
  if (e.minRows !== undefined && n < e.minRows) return { status: 'fail', message: `expected at least ${e.minRows} rows, got ${n}` }
  if (e.maxRows !== undefined && n > e.maxRows) return { status: 'fail', message: `expected at most ${e.maxRows} rows, got ${n}` }
  if (e.column === undefined) return { status: 'pass', message: `${n} row${n === 1 ? '' : 's'}` }
  const row = result.rows[e.row]
  if (!row) return { status: 'fail', message: `no row ${e.row} to read ${e.column} from (${n} rows)` }
  if (!Object.hasOwn(row, e.column)) return { status: 'error', message: `the result has no column "${e.column}" (columns: ${Object.keys(row).join(', ')})` }
  const actual = row[e.column]
  const ok = compare(actual, e.op, e.value ?? null)
  if (ok === undefined) return { status: 'error', message: `cannot compare ${e.column} = ${JSON.stringify(actual)} ${e.op} ${JSON.stringify(e.value)}`, actual }
  const text = `${e.column} = ${JSON.stringify(actual)} (expected ${e.op} ${JSON.stringify(e.value)})`
  return { status: ok ? 'pass' : 'fail', message: text, actual }
}

/** `<`/`>` need numbers (numeric strings from bigint/numeric columns count); `==`/`!=` compare values. */
function compare(actual: unknown, op: Comparison, expected: SqlValue): boolean | undefined {
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined)
  if (op === '==' || op === '!=') {
    let eq: boolean
    if (typeof expected === 'number') eq = num(actual) === expected
    else if (actual instanceof Date && typeof expected === 'string') eq = actual.toISOString() === new Date(expected).toISOString()
    else eq = actual === expected || (actual !== null && expected !== null && String(actual) === String(expected))
    return op === '==' ? eq : !eq
  }
  const a = actual instanceof Date ? actual.getTime() : num(actual)
  const b = typeof expected === 'string' && actual instanceof Date ? Date.parse(expected) : num(expected)
  if (a === undefined || b === undefined || Number.isNaN(b)) return undefined
  switch (op) {
    case '<':
      return a < b
    case '<=':
      return a <= b
    case '>=':
      return a >= b
    case '>':
      return a > b
  }
}

/** Runs the query read-only and judges the result. */
export async function sqlQuery(opts: SqlQueryOptions): Promise<CheckResult<SqlEvidence>> {
  const o = { ...DEFAULTS, ...stripUndefined(opts) }
  validateSqlQueryOptions(o)
  const { parsed } = validateConnectionOptions(o)
  const expectation = describeExpectation(o)
  const base: SqlEvidence = { url: parsed.maskedUrl, query: o.query, expectation }
  return timed<SqlEvidence>({ id: o.id ?? 'sql', title: o.title ?? sqlTitle(o), kind: 'sql' }, async () => {
    const opened = await connectOrExplain(o, parsed)
    if ('error' in opened) return { status: 'fail', message: opened.error, evidence: { ...base, error: opened.error } }
    const { session } = opened
    try {
      await session.query('BEGIN READ ONLY')
      // The server cancels the query too (SQLSTATE 57014), at the query timeout capped against the deadline.
      const statementMs = Math.ceil(session.queryTimeoutMs())
      // A statement takes the snapshot, after which `SET TRANSACTION READ WRITE` is refused.
      await session.query(`SET LOCAL statement_timeout = ${statementMs}`)
      await session.query('SELECT 1')
      let res
      try {
        res = await session.query(o.query, o.params)
      } catch (err) {
        if (err instanceof InterruptedError) throw err
        const sqlstate = (err as { code?: unknown }).code
        const evidence: SqlEvidence = { ...base, error: errorMessage(err) }
        if (typeof sqlstate === 'string') evidence.sqlstate = sqlstate
        if (sqlstate === READ_ONLY_VIOLATION) {
          return { status: 'error', message: `query tried to write: ${errorMessage(err)} (sqlQuery runs read-only; use a SELECT)`, evidence } satisfies Verdict<SqlEvidence>
        }
        if (err instanceof TimeoutError || sqlstate === '57014') return { status: 'fail', message: `query did not finish within ${err instanceof TimeoutError ? err.timeoutMs : statementMs} ms`, evidence }
        return { status: 'error', message: `query failed: ${errorMessage(err)}`, evidence }
      }
      const rows = (res.rows as Record<string, unknown>[]).map(jsonSafe)
      const rowCount = res.rows.length
      const verdict = judgeSqlResult({ rowCount, rows: res.rows as Record<string, unknown>[] }, o)
      const evidence: SqlEvidence = { ...base, rowCount, columns: res.fields.map((f) => f.name), rows: rows.slice(0, o.evidenceRows) }
      if (o.column !== undefined) evidence.actual = jsonSafe({ v: verdict.actual }).v
      return { status: verdict.status, message: verdict.message, evidence }
    } finally {
      await session.query('ROLLBACK').catch(() => {})
      await session.close()
    }
  })
}

function describeExpectation(o: SqlExpectation): string {
  const parts: string[] = []
  if (o.rows !== undefined) parts.push(`rows == ${o.rows}`)
  if (o.minRows !== undefined) parts.push(`rows >= ${o.minRows}`)
  if (o.maxRows !== undefined) parts.push(`rows <= ${o.maxRows}`)
  if (o.column !== undefined) parts.push(`row[${o.row}].${o.column} ${o.op} ${JSON.stringify(o.value)}`)
  return parts.length > 0 ? parts.join(' and ') : 'the query succeeds'
}

/** Dates to ISO strings, bigints and buffers to strings: evidence must be JSON. */
function jsonSafe(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row)) {
    out[k] = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? `\\x${v.toString('hex').slice(0, 64)}` : v
  }
  return out
}
