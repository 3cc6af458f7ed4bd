import { readFile, stat } from 'node:fs/promises'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import { ConfigError, errorMessage, type ConfigProblem } from './errors.ts'
import { ANNOTATION_KEYWORDS, FIELD_KEYWORD } from './schema.ts'

/** What an annotated field takes, for a value it refuses. */
const FIELD_MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  duration: 'must be a duration: 500ms, 10s, 2m, 1m30s, or a number of milliseconds (0 or more)',
  'positive-duration': 'must be a duration: 500ms, 10s, 2m, 1m30s, or a number of milliseconds (more than 0)',
  bytes: 'must be a byte count: 400MB, 512MiB, 1.5GB, or a number of bytes',
})

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv

/** A parsed YAML file that can say on which line a path lives. */
export interface LoadedYaml {
  file: string
  data: unknown
  /** 1-based line of the value at `path` (JSON-pointer segments), or undefined. */
  lineOf(path: (string | number)[]): number | undefined
}

/** Largest configuration file read (a target with 100,000 checks is ~7 MB). */
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024

/**
 * Reads and parses a YAML file. Syntax errors, bytes that are not UTF-8, NUL bytes, alias bombs and
 * oversized files become a ConfigError naming the file (and the line where there is one).
 */
export async function loadYamlFile(file: string): Promise<LoadedYaml> {
  let bytes: Buffer
  try {
    const st = await stat(file)
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigError(`the file is ${(st.size / 1048576).toFixed(1)} MiB: larger than ${MAX_CONFIG_BYTES / 1048576} MiB, the most runbook-kit reads (split it into several target files)`, { file })
    bytes = await readFile(file)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot read file (${code ?? String(err)})`, { file, cause: err })
  }
  return parseYaml(decodeText(bytes, file), file)
}

/** UTF-8 text of a configuration file; a ConfigError at the first byte that is not UTF-8, or a NUL. */
export function decodeText(bytes: Uint8Array, file: string): string {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    // Find the first offending byte for the message (the decoder does not say where).
    let good = 0
    for (let end = 1; end <= bytes.length; end++) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(good, end))
        good = end
      } catch {
        if (end - good >= 4) break
      }
    }
    const line = new TextDecoder().decode(bytes.subarray(0, good)).split('\n').length
    throw new ConfigError(`the file is not UTF-8 text: invalid byte 0x${(bytes[good] ?? 0).toString(16).padStart(2, '0')} at offset ${good} (line ${line}); save it as UTF-8`, { file })
  }
  const nul = text.indexOf('\u0000')
  if (nul >= 0) throw new ConfigError(`the file contains a NUL byte at line ${text.slice(0, nul).split('\n').length}: it is not a text file`, { file })
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

export function parseYaml(text: string, file: string): LoadedYaml {
  if (text.trim() === '' || /^(\s*#.*\n?)*\s*$/.test(text)) throw new ConfigError('the file is empty (a target file needs at least a checks: list)', { file })
  const lineCounter = new LineCounter()
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    // The first errors locate the mistake; the rest are usually its echoes (one stray character can yield 100+).
    const shown = doc.errors.slice(0, 5)
    const problems = shown.map((e) => {
      const pos = e.linePos?.[0]
      return { path: pos ? `line ${pos.line}, column ${pos.col}` : '', message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '') }
    })
    if (doc.errors.length > shown.length) problems.push({ path: '', message: `… and ${doc.errors.length - shown.length} more YAML errors after these` })
    throw new ConfigError('invalid YAML', { file, problems })
  }
  return {
    file,
    data: toData(doc, file),
    lineOf(path) {
      let node: unknown = doc.contents
      for (const seg of path) {
        if (isMap(node)) node = node.get(String(seg), true)
        else if (isSeq(node)) node = node.get(Number(seg), true)
        else return undefined
      }
      const range = (node as { range?: [number, number, number] } | undefined)?.range
      return range ? lineCounter.linePos(range[0]).line : undefined
    },
  }
}

let ajvInstance: Ajv | undefined
/** One shared ajv instance: every error reported, formats on, strict schemas. */
export function getAjv(): Ajv {
  if (!ajvInstance) {
    // verbose: errors carry their parentSchema, so an unknown key can list the allowed ones.
    ajvInstance = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true })
    addFormats(ajvInstance)
    // The annotations of lib/schema.ts drive the options adapter; for validation they are inert.
    ajvInstance.addVocabulary([...ANNOTATION_KEYWORDS])
  }
  return ajvInstance
}

/** `/checks/3/expect/status` → `checks[3].expect.status` */
export function formatPath(segments: (string | number)[]): string {
  let out = ''
  for (const s of segments) {
    if (typeof s === 'number' || /^\d+$/.test(String(s))) out += `[${s}]`
    else out += out ? `.${s}` : String(s)
  }
  return out
}

function pointerSegments(pointer: string): string[] {
  if (!pointer) return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** Turns ajv errors into one readable problem per real issue (drops ajv's combinator noise). */
export function ajvProblems(errors: ErrorObject[] | null | undefined, prefix: (string | number)[] = [], lineOf?: (p: (string | number)[]) => number | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const seen = new Set<string>()
  const typeMessages = new Set<ConfigProblem>()
  // A duration or byte-count field is an anyOf of a number and a pattern: say what it takes, once.
  const annotated = new Map<string, string>()
  for (const e of errors ?? []) {
    const field = (e.parentSchema as Record<string, unknown> | undefined)?.[FIELD_KEYWORD]
    if (e.keyword === 'anyOf' && typeof field === 'string' && FIELD_MESSAGES[field]) annotated.set(e.schemaPath, FIELD_MESSAGES[field]!)
  }
  const underAnnotated = (e: ErrorObject) => [...annotated.keys()].some((p) => e.schemaPath.startsWith(`${p}/`))
  for (const e of errors ?? []) {
    if (e.keyword === 'anyOf' && annotated.has(e.schemaPath)) {
      const segs: (string | number)[] = [...prefix, ...pointerSegments(e.instancePath)]
      const line = lineOf?.(segs)
      problems.push({ path: (formatPath(segs) || '(document)') + (line ? ` (line ${line})` : ''), message: annotated.get(e.schemaPath)! })
      continue
    }
    if (underAnnotated(e)) continue
    if (e.keyword === 'if' || e.keyword === 'anyOf' || e.keyword === 'oneOf') continue
    const segs: (string | number)[] = [...prefix, ...pointerSegments(e.instancePath)]
    let message = e.message ?? 'is invalid'
    if (e.keyword === 'additionalProperties') {
      const key = String((e.params as { additionalProperty: string }).additionalProperty)
      segs.push(key)
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {})
      message = `unknown key "${key}"` + (allowed.length ? ` (expected one of: ${allowed.join(', ')})` : '')
    } else if (e.keyword === 'required') {
      const key = String((e.params as { missingProperty: string }).missingProperty)
      message = `missing required key "${key}"`
    } else if (e.keyword === 'enum') {
      message = `must be one of: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`
    } else if (e.keyword === 'type') {
      message = `must be ${(e.params as { type: string }).type}`
    } else if (e.keyword === 'pattern' && (e.parentSchema as { description?: string } | undefined)?.description) {
      message = `must be ${(e.parentSchema as { description: string }).description}`
    }
    const line = lineOf?.(segs)
    const path = (formatPath(segs) || '(document)') + (line ? ` (line ${line})` : '')
    // Alternatives (anyOf) fail one type each: say it once, e.g. "must be integer or array".
    const sameType = e.keyword === 'type' ? problems.find((p) => p.path === path && p.message.startsWith('must be ') && typeMessages.has(p)) : undefined
    if (sameType) {
      if (!sameType.message.split(/ or /).includes(message.slice('must be '.length))) sameType.message += ` or ${message.slice('must be '.length)}`
      continue
    }
    const key = `${path}|${message}`
    if (seen.has(key)) continue
    seen.add(key)
    const problem = { path, message }
    if (e.keyword === 'type') typeMessages.add(problem)
    problems.push(problem)
  }
  return problems
}

/** Compiles a JSON Schema once (cached by identity). */
const compiled = new WeakMap<object, ValidateFunction>()
export function compileSchema(schema: object): ValidateFunction {
  let v = compiled.get(schema)
  if (!v) {
    v = getAjv().compile(schema)
    compiled.set(schema, v)
  }
  return v
}

/** Aliases a document may expand: more is an alias bomb (a few lines that expand to gigabytes). */
const MAX_ALIAS_COUNT = 100

function toData(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    // yaml: "Excessive alias count indicates a resource exhaustion attack".
    throw new ConfigError(`invalid YAML: ${errorMessage(err)} (at most ${MAX_ALIAS_COUNT} alias expansions)`, { file, cause: err })
  }
}
