import { Type, type Static, type TObject, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox'
import { parseDuration } from './duration.ts'
import { InvalidArgumentError } from './errors.ts'

/**
 * The vocabulary a check kind declares its options with, once: TypeBox builders give the JSON
 * Schema (for ajv and editors) and the static TypeScript type from the same declaration. A few
 * field types carry an annotation that the generic adapter (lib/options.ts) acts on when a target
 * file or the command line fills the options:
 *
 * - `Duration`: `500ms`, `10s`, `2m` or a number of ms as written; the check gets ms.
 * - `Bytes`: `400MB`, `512MiB` or a number; the check gets bytes.
 * - `FilePath` / `DirPath`: relative to the target file; checked readable before anything runs.
 * - `Url`: a path such as `/health` resolves against the target's `baseUrl`.
 * - `Secret(...)`: must be an `env:NAME` reference in a target file (`--<field>-env NAME` on the
 *   command line); the value is registered for redaction.
 *
 * Library callers pass the decoded values (ms, bytes, absolute paths, absolute URLs) directly.
 */

export { Type }
export type { Static, TObject, TProperties, TSchema }

/** Annotation keyword: which conversion the adapter applies to a field. */
export const FIELD_KEYWORD = 'x-field'
/** Annotation keyword: the field holds a secret. */
export const SECRET_KEYWORD = 'x-secret'
/** Annotation keyword: a default taken from the target (`tls.ca`, `tls.servername`). */
export const TARGET_DEFAULT_KEYWORD = 'x-target-default'
/** Annotation keyword: what a file field holds, for error messages ("CA file"). */
export const WHAT_KEYWORD = 'x-what'
/** Annotation keyword of a string map: keys (a regular expression, case-insensitive) whose values are secrets. */
export const SECRET_KEYS_KEYWORD = 'x-secret-keys'
/** Every annotation keyword, registered with ajv as a vocabulary so strict mode accepts them. */
export const ANNOTATION_KEYWORDS = [FIELD_KEYWORD, SECRET_KEYWORD, TARGET_DEFAULT_KEYWORD, WHAT_KEYWORD, SECRET_KEYS_KEYWORD] as const

export type FieldType = 'duration' | 'positive-duration' | 'bytes' | 'file' | 'dir' | 'url'
/** A default a field takes from the target file when it is not set. */
export type TargetDefault = 'tls.ca' | 'tls.servername'

export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(ms|s|m|h))+$|^\\d+(\\.\\d+)?$'
const BYTES_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgG][iI]?[bB]|[bB])?\\s*$'

interface FieldDoc {
  /** One line for docs, `--help` and editors: what the field means. Units and defaults are added from the declaration. */
  description: string
}

/** A duration: ms in code; `500ms`, `10s`, `2m`, `1m30s` or a number of ms in target files and on the command line. `positive`: 0 is refused. */
export function Duration(o: FieldDoc & { default?: number | string; positive?: boolean }): TUnsafe<number> {
  const { positive, ...doc } = o
  return Type.Unsafe<number>({ ...doc, anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern: DURATION_PATTERN }], [FIELD_KEYWORD]: positive ? 'positive-duration' : 'duration' })
}

/** A byte count: bytes in code; `400MB`, `512MiB`, `1.5GB` or a number in target files. */
export function Bytes(o: FieldDoc & { default?: number | string }): TUnsafe<number> {
  return Type.Unsafe<number>({ ...o, anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern: BYTES_PATTERN }], [FIELD_KEYWORD]: 'bytes' })
}

/** A file to read: an absolute path in code; relative to the target file in target files. */
export function FilePath(o: FieldDoc & { what?: string; targetDefault?: TargetDefault }): TUnsafe<string> {
  const { what, targetDefault, ...doc } = o
  return Type.Unsafe<string>({ ...doc, type: 'string', minLength: 1, [FIELD_KEYWORD]: 'file', ...(what ? { [WHAT_KEYWORD]: what } : {}), ...(targetDefault ? { [TARGET_DEFAULT_KEYWORD]: targetDefault } : {}) })
}

/** A folder to read: an absolute path in code; relative to the target file in target files. */
export function DirPath(o: FieldDoc & { what?: string }): TUnsafe<string> {
  const { what, ...doc } = o
  return Type.Unsafe<string>({ ...doc, type: 'string', minLength: 1, [FIELD_KEYWORD]: 'dir', ...(what ? { [WHAT_KEYWORD]: what } : {}) })
}

/** An http(s) URL: absolute in code; in target files also a path (`/health`) under the target's baseUrl. */
export function Url(o: FieldDoc & { default?: string }): TUnsafe<string> {
  return Type.Unsafe<string>({ ...o, type: 'string', minLength: 1, [FIELD_KEYWORD]: 'url' })
}

/** A plain string with a default taken from the target (e.g. `servername` from `tls.servername`). */
export function TargetString(o: FieldDoc & { targetDefault: TargetDefault }): TUnsafe<string> {
  const { targetDefault, ...doc } = o
  return Type.Unsafe<string>({ ...doc, type: 'string', minLength: 1, [TARGET_DEFAULT_KEYWORD]: targetDefault })
}

/** Marks a field as a secret: `env:NAME` only in target files, `--<field>-env NAME` on the command line, always redacted. */
export function Secret<T extends TSchema>(schema: T): T {
  return { ...schema, [SECRET_KEYWORD]: true }
}

/** A status code or a non-empty list of them. */
export function StatusCodes(o: FieldDoc & { default?: number }): TUnsafe<number | number[]> {
  const code = { type: 'integer', minimum: 100, maximum: 599 }
  return Type.Unsafe<number | number[]>({ ...o, anyOf: [code, { type: 'array', items: code, minItems: 1 }] })
}

/**
 * A string map (headers, labels): its keys are data, written as-is on the command line
 * (`--headers.x-request-id v`). `secretKeys`: keys whose values are secrets (e.g. Authorization):
 * those must be `env:` references like any secret field.
 */
export function StringMap(o: FieldDoc & { secretKeys?: RegExp }) {
  const { secretKeys, ...doc } = o
  return Type.Record(Type.String(), Type.String(), { ...doc, ...(secretKeys ? { [SECRET_KEYS_KEYWORD]: secretKeys.source } : {}) })
}

/** An object whose unknown keys are errors (every options object is one). */
export function Options<P extends TProperties>(properties: P, doc?: { description?: string }): TObject<P> {
  return Type.Object(properties, { additionalProperties: false, ...doc })
}

/**
 * The defaults declared for `keys` (each must have a `default`), as one frozen object for
 * `{ ...defaults, ...options }` at the top of a check. Throws at module load if a key has none.
 */
export function defaultsOf<S extends TObject, K extends keyof Static<S> & string>(schema: S, ...keys: K[]): Readonly<Required<Pick<Static<S>, K>>> {
  const out: Record<string, unknown> = {}
  for (const key of keys) {
    const field = schema.properties[key] as { default?: unknown; [FIELD_KEYWORD]?: FieldType } | undefined
    if (!field || field.default === undefined) throw new InvalidArgumentError(`defaultsOf: option "${key}" declares no default`)
    out[key] = decodeDefault(field.default, field[FIELD_KEYWORD])
  }
  return Object.freeze(out) as Readonly<Required<Pick<Static<S>, K>>>
}

/** A declared default as the check sees it (`'5s'` → 5000). */
function decodeDefault(value: unknown, field: FieldType | undefined): unknown {
  if ((field === 'duration' || field === 'positive-duration') && typeof value === 'string') return parseDuration(value)
  return value
}
