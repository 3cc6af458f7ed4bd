import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import { errorMessage, InvalidArgumentError } from './errors.ts'


/**
 * Files and folders a check entry names (ca, pemFile, payloadFile, migrationsDir, kubeconfig, ...),
 * checked in `build()`: a missing one is then a configuration error (exit 2, before anything runs)
 * instead of a check that crashes mid-run. Errors name the field as the user wrote it and the path.
 */

/** A field naming a file: its name in the entry (`ca`, `payload`, `tls.ca`), the value as written, the resolved path. */
export interface EntryPath {
  field: string
  /** The value as the user wrote it, e.g. `@ticket.json` or `certs/ca.pem`. */
  given: string
  /** Absolute (or CLI-relative) path to read. */
  path: string
}

/** `field`'s value resolved against the target file's folder. */
export function entryPath(field: string, given: string, ctx: { resolvePath(p: string): string }): EntryPath {
  return { field, given, path: ctx.resolvePath(given) }
}

/** Reads the whole file; throws InvalidArgumentError naming the field when it cannot. `what` e.g. `CA file`. */
export function readEntryFile(p: EntryPath, what = 'file'): Buffer {
  try {
    return readFileSync(p.path)
  } catch (cause) {
    throw fileError(p, what, cause)
  }
}

/** The path, after checking that it is a readable file (for options the check reads itself). */
export function requireReadableFile(p: EntryPath, what = 'file'): string {
  try {
    if (!statSync(p.path).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' })
    accessSync(p.path, constants.R_OK)
  } catch (cause) {
    throw fileError(p, what, cause)
  }
  return p.path
}

/** The path, after checking that it is a readable folder. */
export function requireReadableDir(p: EntryPath, what = 'folder'): string {
  try {
    if (!statSync(p.path).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
    accessSync(p.path, constants.R_OK | constants.X_OK)
  } catch (cause) {
    throw fileError(p, what, cause)
  }
  return p.path
}

const REASONS: Readonly<Record<string, string>> = Object.freeze({
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOTFILE: 'not a regular file',
})

function fileError(p: EntryPath, what: string, cause: unknown): InvalidArgumentError {
  const code = (cause as { code?: unknown })?.code
  const reason = (typeof code === 'string' ? REASONS[code] : undefined) ?? errorMessage(cause)
  const field = p.given === p.path ? p.field : `${p.field} "${p.given}"`
  return new InvalidArgumentError(`${field}: cannot read ${what} ${p.path}: ${reason}`, { cause })
}
