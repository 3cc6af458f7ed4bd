import type { PostgresConnectOptions } from '../../checks/postgres.ts'
import { postgresConnection, postgresProperties, urlLabel, type PostgresEntryFields, untyped } from './data-shared.ts'
import type { CheckKind } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/postgres.ts')

/** A `kind: postgres` entry of a target file. */
export interface PostgresCheckEntry extends PostgresEntryFields {
  pings?: number
  maxLatency?: number
  minServerVersion?: number
  requireTls?: boolean
}

export const postgresKind: CheckKind<PostgresCheckEntry> = {
  kind: 'postgres',
  description: 'PostgreSQL accepts a connection (sslmode honoured); reports server version and round-trip latency',
  positional: 'url',
  properties: {
    ...postgresProperties,
    pings: { type: 'integer', minimum: 1, maximum: 100, description: 'SELECT 1 round trips measured; the median is reported (default 3)' },
    maxLatency: { type: 'number', minimum: 0, description: 'fail when the median round trip exceeds this many ms (default 0: no limit)' },
    minServerVersion: { type: 'integer', minimum: 0, description: 'fail when the server major version is lower, e.g. 15 (default 0: any)' },
    requireTls: { type: 'boolean', description: 'fail unless the connection is encrypted (default false)' },
  },
  required: ['url'],
  title: (entry) => `PostgreSQL at ${urlLabel(entry.url)} accepts connections`,
  build(entry, ctx) {
    const opts: PostgresConnectOptions = postgresConnection(entry, ctx)
    if (entry.pings !== undefined) opts.pings = entry.pings
    if (entry.maxLatency !== undefined) opts.maxLatency = entry.maxLatency
    if (entry.minServerVersion !== undefined) opts.minServerVersion = entry.minServerVersion
    if (entry.requireTls !== undefined) opts.requireTls = entry.requireTls
    return untyped(async (signal) => (await load()).postgresConnect({ ...opts, signal }))
  },
}
