import type { AlembicVersionOptions } from '../../checks/alembic.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { postgresConnection, postgresProperties, type PostgresEntryFields, untyped } from './data-shared.ts'
import { entryPath, requireReadableDir } from '../../lib/files.ts'
import type { CheckKind } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/alembic.ts')

/** A `kind: alembic` entry of a target file. */
export interface AlembicCheckEntry extends PostgresEntryFields {
  expected?: string | string[]
  migrationsDir?: string
  table?: string
  schema?: string
  allowMultipleHeads?: boolean
}

export const alembicKind: CheckKind<AlembicCheckEntry> = {
  kind: 'alembic',
  description: "the database's alembic_version rows equal the expected revision(s) or the head(s) of a migrations folder",
  positional: 'url',
  properties: {
    ...postgresProperties,
    expected: {
      anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }],
      description: 'expected revision id(s); give this or migrationsDir',
    },
    migrationsDir: { type: 'string', minLength: 1, description: 'Alembic script location or its versions folder (relative to the target file); its heads are computed statically' },
    table: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_$]*$', description: 'version table (default alembic_version)' },
    schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_$]*$', description: "schema of the version table (default: the connection's search_path)" },
    allowMultipleHeads: { type: 'boolean', description: 'pass when the scripts have several heads and the database is at all of them (default false: a missing merge fails)' },
  },
  required: ['url'],
  title: () => 'Database migrations are at head',
  build(entry, ctx) {
    if ((entry.expected === undefined) === (entry.migrationsDir === undefined)) throw new InvalidArgumentError('an alembic check needs exactly one of expected or migrationsDir')
    const opts: AlembicVersionOptions = postgresConnection(entry, ctx)
    if (entry.expected !== undefined) opts.expected = entry.expected
    if (entry.migrationsDir !== undefined) opts.migrationsDir = requireReadableDir(entryPath('migrationsDir', entry.migrationsDir, ctx), 'migrations folder')
    if (entry.table !== undefined) opts.table = entry.table
    if (entry.schema !== undefined) opts.schema = entry.schema
    if (entry.allowMultipleHeads !== undefined) opts.allowMultipleHeads = entry.allowMultipleHeads
    return untyped(async (signal) => (await load()).alembicVersion({ ...opts, signal }))
  },
}
