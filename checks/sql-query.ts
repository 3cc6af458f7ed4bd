import { errorMessage, InterruptedError, InvalidArgumentError, TimeoutError } from '../lib/errors.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { connectOrExplain, validateConnectionOptions, type PostgresConnectionOptions } from '../clients/postgres.ts'
import { stripUndefined } from '../lib/object.ts'

/**
 * `sqlQuery`: one read-only query with an expectation on its result. It runs inside a
 * `READ ONLY` transaction that is always rolled back, as a single statement over the extended
 * protocol (no `; COMMIT; ...` smuggling), so a smoke suite can never write to the database.
 */

export type Comparison = '<' | '<=' | '==' | '!=' | '>=' | '>'
const COMPARISONS: readonly Comparison[] = ['<', '<=', '==', '!=', '>=', '>']
export type SqlValue = string | number | boolean | null

export interface SqlQueryOptions extends PostgresConnectionOptions {
  /** Check id. Default `sql`. */
  id?: string
  /** Check title. Default "SQL query meets its expectation". */
  title?: string
  /** One SQL statement; `$1`, `$2`... refer to `params`. */
  query: string
  /** Query parameters. Default none. */
  params?: SqlValue[]
  /** Exact row count expected. Default: not checked. */
  rows?: number
  /** Minimum row count. Default: not checked. */
  minRows?: number
  /** Maximum row count. Default: not checked. */
  maxRows?: number
  /** Column whose value is compared with `value`. Default: not checked. */
  column?: string
  /** Which row's `column` is compared (0-based). Default 0. */
  row?: number
  /** Comparison applied as `<cell> <op> <value>`. Default `==`. */
  op?: Comparison
  /** Threshold or expected value for `column`. Required with `column`. */
  value?: SqlValue
  /** Rows copied into the evidence. Default 10. */
  evidenceRows?: number
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

const DEFAULTS = Object.freeze({ row: 0, op: '==' as Comparison, evidenceRows: 10, params: [] as SqlValue[] })

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
  const { parsed, queryTimeout } = validateConnectionOptions(o)
  if (typeof o.query !== 'string' || o.query.trim() === '') throw new InvalidArgumentError('query is required')
  if (!COMPARISONS.includes(o.op)) throw new InvalidArgumentError(`op must be one of ${COMPARISONS.join(' ')}, got "${o.op}"`)
  for (const k of ['rows', 'minRows', 'maxRows', 'row'] as const) {
    const v = o[k]
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new InvalidArgumentError(`${k} must be a non-negative integer, got ${v}`)
  }
  if (o.column !== undefined && !Object.hasOwn(o, 'value')) throw new InvalidArgumentError('value is required with column')
  if (o.value !== undefined && o.column === undefined) throw new InvalidArgumentError('column is required with value')
  const expectation = describeExpectation(o)
  const base: SqlEvidence = { url: parsed.maskedUrl, query: o.query, expectation }
  return timed<SqlEvidence>({ id: o.id ?? 'sql', title: o.title ?? 'SQL query meets its expectation', kind: 'sql' }, async () => {
    const opened = await connectOrExplain(o, parsed)
    if ('error' in opened) return { status: 'fail', message: opened.error, evidence: { ...base, error: opened.error } }
    const { session } = opened
    try {
      await session.query('BEGIN READ ONLY')
      // A statement takes the snapshot, after which `SET TRANSACTION READ WRITE` is refused.
      await session.query(`SET LOCAL statement_timeout = ${Math.ceil(queryTimeout)}`)
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
        if (err instanceof TimeoutError || sqlstate === '57014') return { status: 'fail', message: `query did not finish within ${queryTimeout} ms`, evidence }
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
