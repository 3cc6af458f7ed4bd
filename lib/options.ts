import { parseBytes } from './bytes.ts'
import { parseDuration } from './duration.ts'
import { errorMessage, OptionsError, type OptionProblem } from './errors.ts'
import { entryPath, requireReadableDir, requireReadableFile } from './files.ts'
import type { Redactor } from './redact.ts'
import { FIELD_KEYWORD, SECRET_KEYWORD, TARGET_DEFAULT_KEYWORD, WHAT_KEYWORD, type FieldType, type Static, type TargetDefault, type TObject, type TSchema } from './schema.ts'
import { resolveUrl } from './url.ts'

/**
 * The generic adapter from options as written (a target file entry, command-line flags) to the
 * options a check takes: durations to ms, byte counts to bytes, paths resolved against the target
 * file and checked readable, URLs resolved against the baseUrl, target defaults filled in, secrets
 * registered for redaction. Driven entirely by the annotations of lib/schema.ts, so a kind never
 * converts a field by hand. Structure (types, enums, unknown keys) is ajv's job, before this runs.
 */

export interface DecodeContext {
  /** Resolves a path as written: against the target file's folder, or the working directory on the command line. */
  resolvePath(p: string): string
  /** Relative `Url` fields resolve against it. */
  baseUrl?: string
  /** Defaults a field takes from the target (`tls.ca` already resolved to a path). */
  targetDefaults?: Partial<Record<TargetDefault, string>>
  /** Secrets and URL credentials are registered here. */
  redactor?: Redactor
}

/** Decodes `input` along `schema`. Throws OptionsError listing every problem (each with its field path). */
export function decodeOptions<S extends TObject>(schema: S, input: Readonly<Record<string, unknown>>, ctx: DecodeContext): Static<S> {
  const problems: OptionProblem[] = []
  const out = decodeValue(schema, input, [], ctx, problems)
  if (problems.length > 0) throw new OptionsError(problems)
  return out as Static<S>
}

type Annotated = TSchema & {
  [FIELD_KEYWORD]?: FieldType
  [SECRET_KEYWORD]?: boolean
  [TARGET_DEFAULT_KEYWORD]?: TargetDefault
  [WHAT_KEYWORD]?: string
  properties?: Record<string, TSchema>
  patternProperties?: Record<string, TSchema>
  items?: TSchema
  anyOf?: TSchema[]
}

function decodeValue(schema: Annotated, value: unknown, path: (string | number)[], ctx: DecodeContext, problems: OptionProblem[]): unknown {
  const field = String(path[path.length - 1] ?? '')
  if (value === undefined) {
    const from = schema[TARGET_DEFAULT_KEYWORD]
    const inherited = from ? ctx.targetDefaults?.[from] : undefined
    if (inherited === undefined) return undefined
    if (schema[FIELD_KEYWORD] === 'file') {
      const before = problems.length
      const ok = checked(problems, path, () => requireReadableFile({ field: from!, given: inherited, path: inherited }, schema[WHAT_KEYWORD] ?? 'file'))
      for (const p of problems.slice(before)) p.message += ` (the target's ${from})`
      return ok
    }
    return inherited
  }
  if (schema[SECRET_KEYWORD] && typeof value === 'string') {
    ctx.redactor?.add(value)
    ctx.redactor?.addUrlCredentials(value)
  }
  switch (schema[FIELD_KEYWORD]) {
    case 'duration':
    case 'positive-duration':
      return checked(problems, path, () => {
        const ms = parseDuration(value as number | string)
        if (ms === 0 && schema[FIELD_KEYWORD] === 'positive-duration') throw new Error('must be more than 0 ms')
        return ms
      })
    case 'bytes':
      return checked(problems, path, () => parseBytes(value as number | string))
    case 'file':
      // PEM text given directly (library callers) is used as it is.
      if (typeof value === 'string' && value.includes('-----BEGIN ')) return value
      return checked(problems, path, () => requireReadableFile(entryPath(field, String(value), ctx), schema[WHAT_KEYWORD] ?? 'file'))
    case 'dir':
      return checked(problems, path, () => requireReadableDir(entryPath(field, String(value), ctx), schema[WHAT_KEYWORD] ?? 'folder'))
    case 'url':
      return checked(problems, path, () => {
        const parsed = resolveUrl(String(value), ctx.baseUrl)
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`must be an http:// or https:// URL (or a path under the target's baseUrl), got ${parsed.protocol}//…`)
        const url = parsed.toString()
        ctx.redactor?.addUrlCredentials(url)
        return url
      })
  }
  if (Array.isArray(value) && schema.items) return value.map((v, i) => decodeValue(schema.items as Annotated, v, [...path, i], ctx, problems))
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const props = schema.properties
    const rest = schema.patternProperties ? Object.values(schema.patternProperties)[0] : undefined
    if (!props && !rest) return value
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      const sub = props?.[k] ?? rest
      const decoded = sub ? decodeValue(sub as Annotated, v, [...path, k], ctx, problems) : v
      if (decoded !== undefined) out[k] = decoded
    }
    // Fields that are not set but take a default from the target.
    for (const [k, sub] of Object.entries(props ?? {})) {
      if (k in out || !(sub as Annotated)[TARGET_DEFAULT_KEYWORD]) continue
      const decoded = decodeValue(sub as Annotated, undefined, [...path, k], ctx, problems)
      if (decoded !== undefined) out[k] = decoded
    }
    return out
  }
  return value
}

function checked<T>(problems: OptionProblem[], path: (string | number)[], f: () => T): T | undefined {
  try {
    return f()
  } catch (err) {
    // File errors already name the field as written ("ca \"x.pem\": cannot read ..."): keep only the reason.
    problems.push({ path, message: errorMessage(err).replace(/^[A-Za-z0-9_.]+(?: "[^"]*")?: (?=cannot read)/, '') })
    return undefined
  }
}
