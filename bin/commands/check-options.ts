import { parse as parseYamlValue } from 'yaml'
import type { AnyCheckKind } from '../../checks/kind.ts'
import { ConfigError, UsageError } from '../../lib/errors.ts'
import type { Redactor } from '../../lib/redact.ts'
import { FIELD_KEYWORD, SECRET_KEYS_KEYWORD, SECRET_KEYWORD } from '../../lib/schema.ts'

/**
 * `runbook-kit check <kind>` options, generated from the kind's one declaration: every option is
 * `--<field>` (kebab-case; nested as `--expect.status`; map keys as written, `--headers.x-request-id`),
 * lists are comma-separated or repeated, secrets come only as `--<field>-env NAME`.
 */

interface Schema {
  type?: string | string[]
  description?: string
  default?: unknown
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, Schema>
  patternProperties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  anyOf?: Schema[]
  [FIELD_KEYWORD]?: string
  [SECRET_KEYWORD]?: boolean
  [SECRET_KEYS_KEYWORD]?: string
}

/** Options the command itself takes (not the kind's). */
export const COMMAND_OPTIONS = Object.freeze(['timeout', 'eventually', 'interval', 'report-dir'] as const)

/** `maxLatency` → `max-latency`, `onNaN` → `on-nan`. */
export function kebab(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
}

/** A field path as a flag: `['expect', 'maxLatency']` → `--expect.max-latency`; map keys stay as written. */
export function flagFor(kind: AnyCheckKind, path: readonly (string | number)[]): string {
  const parts: string[] = []
  let schema: Schema | undefined = kind.options as Schema
  for (const seg of path) {
    if (typeof seg === 'number') break
    const isProperty: boolean = Boolean(schema?.properties && Object.hasOwn(schema.properties, seg))
    parts.push(isProperty ? kebab(seg) : seg)
    schema = isProperty ? schema!.properties![seg] : schema?.patternProperties ? Object.values(schema.patternProperties)[0] : undefined
  }
  const dotted = parts.join('.')
  const alias = Object.entries(kind.aliases ?? {}).find(([, p]) => p === path.filter((s) => typeof s === 'string').join('.'))?.[0]
  return alias ? `--${alias}` : `--${dotted}`
}

interface Resolved {
  /** Path inside the options. */
  path: string[]
  schema: Schema
  /** The value comes from the environment variable the flag names. */
  fromEnv: boolean
  /** A map key whose values are secrets (an Authorization header). */
  secretKey: boolean
}

/** What `--name` sets, or undefined for an unknown option. */
function resolveFlag(kind: AnyCheckKind, name: string): Resolved | undefined {
  const aliased = kind.aliases?.[name]
  const fromEnv = !aliased && name.endsWith('-env')
  const raw = aliased ?? (fromEnv ? name.slice(0, -4) : name)
  let schema: Schema = kind.options as Schema
  const path: string[] = []
  let secretKey = false
  for (const seg of raw.split('.')) {
    if (schema.properties) {
      const prop = Object.keys(schema.properties).find((p) => p === seg || kebab(p) === seg)
      if (prop) {
        path.push(prop)
        schema = schema.properties[prop]!
        continue
      }
    }
    const map = schema.patternProperties ? Object.values(schema.patternProperties)[0] : undefined
    if (map && path.length > 0) {
      // A map key is data: kept exactly as written.
      secretKey = Boolean(schema[SECRET_KEYS_KEYWORD] && new RegExp(schema[SECRET_KEYS_KEYWORD], 'i').test(seg))
      path.push(seg)
      schema = map
      continue
    }
    return undefined
  }
  return { path, schema, fromEnv, secretKey }
}

const isSecret = (r: Resolved) => Boolean(r.schema[SECRET_KEYWORD]) || r.secretKey

/**
 * Splits a comma list, keeping commas inside quotes, braces and brackets
 * (`up,http_requests_total{code="5xx,4xx"}` is two items).
 */
export function splitList(text: string): string[] {
  const out: string[] = []
  let depth = 0
  let quote: string | undefined
  let cur = ''
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined
    } else if (ch === '"' || ch === "'") quote = ch
    else if (ch === '{' || ch === '[' || ch === '(') depth++
    else if (ch === '}' || ch === ']' || ch === ')') depth = Math.max(0, depth - 1)
    else if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
      continue
    }
    cur += ch
  }
  out.push(cur)
  return out.map((s) => s.trim()).filter((s) => s !== '')
}

const types = (s: Schema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : [])

/** A scalar value as the schema wants it: numbers and booleans parsed, strings kept as typed. */
function coerceScalar(raw: string, schema: Schema): unknown {
  const t = types(schema)
  if (schema[FIELD_KEYWORD] === 'duration' || schema[FIELD_KEYWORD] === 'positive-duration' || schema[FIELD_KEYWORD] === 'bytes') return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw
  if (t.includes('string') && t.length === 1) return raw
  if ((t.includes('integer') || t.includes('number')) && t.length === 1) return /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(raw.trim()) ? Number(raw) : raw
  if (t.includes('boolean') && t.length === 1) return raw === 'true' ? true : raw === 'false' ? false : raw
  if (schema.anyOf) {
    // e.g. a status code or a list of them: a comma list becomes the list.
    const list = schema.anyOf.find((a) => types(a).includes('array'))
    if (list?.items && raw.includes(',')) return splitList(raw).map((v) => coerceScalar(v, list.items!))
    const scalar = schema.anyOf.find((a) => !types(a).includes('array')) ?? schema.anyOf[0]!
    return coerceScalar(raw, scalar)
  }
  // Objects (a JSON Schema, a selector map): YAML/JSON text.
  try {
    const v: unknown = parseYamlValue(raw)
    return v === null ? raw : v
  } catch {
    return raw
  }
}

function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown, append: boolean): void {
  let cur = obj
  for (const p of path.slice(0, -1)) {
    if (!cur[p] || typeof cur[p] !== 'object') cur[p] = {}
    cur = cur[p] as Record<string, unknown>
  }
  const last = path[path.length - 1]!
  const prev = cur[last]
  cur[last] = append && prev !== undefined ? [...(Array.isArray(prev) ? prev : [prev]), ...(Array.isArray(value) ? value : [value])] : value
}

export interface ParsedCheckArgs {
  /** The kind's options as a target-file entry would hold them (secrets resolved). */
  options: Record<string, unknown>
  /** The command's own options (timeout, eventually, interval, report-dir). */
  command: Partial<Record<(typeof COMMAND_OPTIONS)[number], string>>
  json: boolean
  /** `--no-color`. */
  noColor: boolean
  help: boolean
}

/** Parses `check <kind>` arguments into the kind's options. UsageError / ConfigError name the flag. */
export function parseCheckArgs(kind: AnyCheckKind, argv: readonly string[], env: Readonly<Record<string, string | undefined>>, redactor: Redactor): ParsedCheckArgs {
  const options: Record<string, unknown> = {}
  const command: ParsedCheckArgs['command'] = {}
  const positionals: string[] = []
  let json = false
  let noColor = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') return { options, command, json, noColor, help: true }
    if (arg === '--json') {
      json = true
      continue
    }
    if (arg === '--no-color') {
      noColor = true
      continue
    }
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg)
      continue
    }
    let name = arg.slice(2)
    let value: string | undefined
    const eq = name.indexOf('=')
    if (eq >= 0) {
      value = name.slice(eq + 1)
      name = name.slice(0, eq)
    }
    const takeValue = () => {
      if (value !== undefined) return value
      const next = argv[i + 1]
      if (next === undefined || (next.startsWith('--') && next.length > 2)) return undefined
      i++
      return next
    }
    if ((COMMAND_OPTIONS as readonly string[]).includes(name)) {
      const v = takeValue()
      if (v === undefined) throw new UsageError(`--${name} needs a value`)
      command[name as (typeof COMMAND_OPTIONS)[number]] = v
      continue
    }
    const r = resolveFlag(kind, name)
    if (!r) throw new UsageError(`unknown option --${name} for "check ${kind.kind}" (run "runbook-kit check ${kind.kind} --help")`)
    if (r.fromEnv && !isSecret(r) && types(r.schema).join() !== 'string') throw new UsageError(`unknown option --${name} for "check ${kind.kind}" (run "runbook-kit check ${kind.kind} --help")`)
    const v = takeValue()
    if (v === undefined) {
      if (types(r.schema).includes('boolean') && !r.fromEnv) {
        setPath(options, r.path, true, false)
        continue
      }
      throw new UsageError(`--${name} needs a value`)
    }
    if (r.fromEnv) {
      const secret = env[v]
      if (secret === undefined || secret === '') throw new ConfigError(`environment variable ${v} is not set (--${name} ${v})`)
      // Like env: in a target file: whatever comes from the environment is treated as a secret.
      redactor.add(secret)
      redactor.addUrlCredentials(secret)
      setPath(options, r.path, secret, false)
      continue
    }
    if (isSecret(r)) {
      throw new UsageError(`--${name} is a secret: pass it as --${name}-env NAME (the value stays out of shell history, ps and the reports)`)
    }
    if (types(r.schema).includes('array') && r.schema.items) {
      setPath(options, r.path, splitList(v).map((item) => coerceScalar(item, r.schema.items!)), true)
    } else {
      setPath(options, r.path, coerceScalar(v, r.schema), false)
    }
  }
  if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`)
  if (positionals.length === 1) {
    if (!kind.positional) throw new UsageError(`"check ${kind.kind}" takes no positional argument (got "${positionals[0]}")`)
    options[kind.positional] = positionals[0]
  }
  return { options, command, json, noColor, help: false }
}

/** `check <kind> --help`, generated from the declaration. */
export function kindHelp(kind: AnyCheckKind): string {
  const lines = [`Usage: runbook-kit check ${kind.kind}${kind.positional ? ` <${kebab(kind.positional)}>` : ''} [options]`, '', kind.description, '', 'Options (the same fields as in a target file):']
  const rows: [string, string][] = []
  const walk = (schema: Schema, path: string[], required: readonly string[]) => {
    for (const [name, sub] of Object.entries(schema.properties ?? {})) {
      const p = [...path, name]
      const dotted = p.map(kebab).join('.')
      const aliases = Object.entries(kind.aliases ?? {}).filter(([, target]) => target === p.join('.')).map(([a]) => `--${a}`)
      if (sub.properties) {
        // An object of options: its fields are the flags.
        walk(sub, p, sub.required ?? [])
        continue
      }
      const secret = sub[SECRET_KEYWORD]
      const flag = secret ? `--${dotted}-env <NAME>` : sub.patternProperties ? `--${dotted}.<key> <value>` : `--${dotted}${valueHint(sub)}`
      const notes: string[] = []
      if (kind.positional === name && path.length === 0) notes.push('or the argument')
      if (required.includes(name)) notes.push('required')
      if (sub.default !== undefined) notes.push(`default: ${formatDefault(sub.default)}`)
      if (types(sub).includes('array')) notes.push('comma-separated or repeated')
      if (secret) notes.push('read from environment variable NAME')
      if (sub.patternProperties && sub[SECRET_KEYS_KEYWORD]) notes.push(`credentials as --${dotted}.<key>-env NAME`)
      rows.push([[flag, ...aliases].join(', '), `${sub.description ?? ''}${notes.length ? ` (${notes.join('; ')})` : ''}`])
    }
  }
  const options = kind.options as Schema
  walk(options, [], options.required ?? [])
  const width = Math.min(40, Math.max(...rows.map(([f]) => f.length)) + 2)
  for (const [flag, text] of rows) lines.push(flag.length + 2 > width ? `  ${flag}\n  ${' '.repeat(width)}${text}` : `  ${flag.padEnd(width)}${text}`)
  lines.push(
    '',
    'Common options:',
    '  --timeout <duration>              per-attempt timeout (default: 30s)',
    '  --eventually <duration>           retry until it passes or this much time passes',
    '  --interval <duration>             pause between retries (default: 1s)',
    '  --report-dir <dir>                where artifacts (e.g. screenshots) go (default: a temp dir)',
    '  --json                            print the result as JSON',
    '  --no-color                        no colours (also NO_COLOR=1; FORCE_COLOR=1 colours without a TTY)',
    '',
    'Durations: 500ms, 10s, 2m, 1m30s or a number of ms. Exit codes: 0 passed, 1 failed, 2 usage or configuration error.',
  )
  return lines.join('\n')
}

function valueHint(s: Schema): string {
  if (types(s).includes('boolean') && types(s).length === 1) return ''
  if (s.enum) return ` <${s.enum.join('|')}>`
  const field = s[FIELD_KEYWORD]
  if (field === 'duration' || field === 'positive-duration') return ' <duration>'
  if (field === 'file') return ' <file>'
  if (field === 'dir') return ' <dir>'
  if (field === 'url') return ' <url>'
  if (field === 'bytes') return ' <bytes>'
  if (types(s).includes('integer') || types(s).includes('number')) return ' <n>'
  return ' <value>'
}

function formatDefault(v: unknown): string {
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : JSON.stringify(v)
}
