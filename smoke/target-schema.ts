import type { AnyCheckKind } from '../checks/kind.ts'
import { durationSchema } from '../lib/duration.ts'
import { SECRET_KEYS_KEYWORD, SECRET_KEYWORD } from '../lib/schema.ts'

/**
 * The JSON Schema of a target file: the common fields of every check entry, each kind's options
 * (from its one declaration), and the top level. Sections owned by other layers (the runbooks'
 * `deploy:`) are passed in by their owner, so this layer never knows their shape.
 */

const eventuallySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['timeout'],
  properties: {
    timeout: { ...durationSchema, description: 'keep retrying a failing check until this much time has passed' },
    interval: { ...durationSchema, description: 'pause between attempts (default 1s)' },
  },
  description: 'retry a failing check until it passes or the timeout passes (post-deploy state converges)',
}

export const ID_PATTERN = '^[a-z0-9][a-z0-9._-]*$'

/** The fields every check entry has (the engine handles them; kinds must not redefine them). */
export const commonProperties = Object.freeze({
  id: { type: 'string', pattern: ID_PATTERN, description: 'a stable slug such as health or tls.api' },
  kind: { type: 'string', description: 'which check to run' },
  title: { type: 'string', minLength: 1, description: 'a human sentence shown in reports' },
  timeout: { ...durationSchema, description: 'per-attempt timeout (default: defaults.timeout, else 30s)' },
  eventually: eventuallySchema,
  skip: { type: 'string', minLength: 1, description: 'skip this check, with this reason' },
  requires: {
    type: 'array',
    items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    description: 'environment variables this check needs; when one is unset the check is skipped with the reason, not failed (optional services)',
  },
})

/** Schema of one check entry of a kind (common fields + the kind's own options). */
export function kindEntrySchema(k: AnyCheckKind): object {
  // One object per kind: compileSchema caches by identity, so a new object per entry would compile the
  // schema once per check (a 1,000-check target took 33 s to load; see bench/scale.bench.ts).
  let schema = entrySchemas.get(k)
  if (!schema) {
    const options = k.options as { properties: Record<string, unknown>; required?: string[] }
    schema = {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'kind', ...(options.required ?? [])],
      properties: { ...commonProperties, kind: { const: k.kind, description: k.description }, ...(allowReferences(options.properties) as object) },
    }
    entrySchemas.set(k, schema)
  }
  return schema
}
const entrySchemas = new WeakMap<AnyCheckKind, object>()

/**
 * Where an entry writes a secret as a literal value: the paths of secret fields (and of map values
 * under secret keys, such as an Authorization header) that are not `env:NAME` references.
 */
export function literalSecrets(k: AnyCheckKind, entry: unknown): (string | number)[][] {
  const out: (string | number)[][] = []
  const isReference = (v: unknown) => typeof v === 'string' && /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(v)
  const walk = (schema: unknown, value: unknown, path: (string | number)[]) => {
    if (value === undefined || value === null) return
    const s = schema as { properties?: Record<string, unknown>; patternProperties?: Record<string, unknown>; items?: unknown; [SECRET_KEYWORD]?: boolean; [SECRET_KEYS_KEYWORD]?: string }
    if (s?.[SECRET_KEYWORD] && typeof value === 'string' && !isReference(value)) out.push(path)
    if (typeof value !== 'object') return
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(s?.items, v, [...path, i]))
      return
    }
    const secretKeys = s?.[SECRET_KEYS_KEYWORD] ? new RegExp(s[SECRET_KEYS_KEYWORD], 'i') : undefined
    for (const [key, v] of Object.entries(value)) {
      if (secretKeys?.test(key) && !isReference(v)) out.push([...path, key])
      else walk(s?.properties?.[key], v, [...path, key])
    }
  }
  walk(k.options, entry, [])
  return out
}

const REFERENCE_PATTERN = '\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}|^env:[A-Za-z_][A-Za-z0-9_]*$'

/**
 * Target files are validated before `${NAME}` and `env:NAME` are resolved (so errors come before
 * anything starts), so a string pattern or format must also accept a value that is a reference.
 */
function allowReferences(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(allowReferences)
  if (!schema || typeof schema !== 'object') return schema
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    // `properties` maps names to schemas: recurse into each schema, keep the names.
    out[key] = key === 'properties' || key === 'patternProperties' || key === '$defs' || key === 'definitions'
      ? Object.fromEntries(Object.entries(value as object).map(([n, v]) => [n, allowReferences(v)]))
      : typeof value === 'object' ? allowReferences(value) : value
  }
  const s = out as { pattern?: string; format?: string }
  if (typeof s.pattern === 'string') s.pattern = `(?:${s.pattern})|${REFERENCE_PATTERN}`
  if (typeof s.format === 'string') {
    const { format, ...rest } = out
    return { anyOf: [{ ...rest, format }, { ...rest, pattern: REFERENCE_PATTERN }] }
  }
  return out
}

/** Top-level sections another layer owns, by key: their JSON Schema (e.g. the runbooks' `deploy`). */
export type TargetSections = Readonly<Record<string, object>>

/** An owned section when its owner is not loading the file: accepted as an object, validated by its owner. */
const OPAQUE_SECTION = { type: 'object', description: 'settings of the deploy and rollback runbooks (runbooks/deploy-settings.ts validates them); the smoke suite ignores them' }

/** The JSON Schema of a target file (also written to smoke/target.schema.json for editors). */
export function targetSchema(kinds: readonly AnyCheckKind[], sections: TargetSections = {}): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://runbook-kit.dev/schemas/target.schema.json',
    title: 'runbook-kit target file',
    type: 'object',
    additionalProperties: false,
    required: ['checks'],
    properties: {
      name: { type: 'string', minLength: 1, description: 'display name (default: the file name)' },
      description: { type: 'string' },
      sandbox: {
        type: 'object',
        additionalProperties: false,
        description: 'this target is served by the built-in sandbox, which the smoke command starts first',
        properties: { faults: { type: 'array', items: { type: 'string' }, description: 'sandbox faults always on for this target' } },
      },
      baseUrl: { type: 'string', pattern: '^(https?://|\\$\\{)', description: 'an http(s) URL that relative check URLs resolve against' },
      tls: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ca: { type: 'string', description: 'PEM CA bundle file trusted for this target (relative to the target file)' },
          servername: { type: 'string', description: 'TLS server name (SNI) to send' },
        },
      },
      defaults: {
        type: 'object',
        additionalProperties: false,
        properties: { timeout: { ...durationSchema, description: 'default per-attempt timeout' }, eventually: eventuallySchema },
      },
      concurrency: { type: 'integer', minimum: 1, description: 'maximum checks in flight (default 50)' },
      deploy: sections.deploy ?? OPAQUE_SECTION,
      checks: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['id', 'kind'],
          properties: { kind: { enum: kinds.map((k) => k.kind) } },
          allOf: kinds.map((k) => ({ if: { properties: { kind: { const: k.kind } }, required: ['kind'] }, then: kindEntrySchema(k) })),
        },
      },
    },
  }
}

const topLevel = new WeakMap<TargetSections, object>()

/** Top level only; check entries are validated one by one against their kind so errors stay precise. */
export function topLevelSchema(sections: TargetSections = {}): object {
  let s = topLevel.get(sections)
  if (!s) {
    const full = targetSchema([], sections) as { properties: Record<string, unknown> }
    const props = { ...full.properties }
    props.checks = {
      type: 'array',
      minItems: 1,
      items: { type: 'object', required: ['id', 'kind'], properties: { id: commonProperties.id, kind: { type: 'string' } } },
    }
    // No $id: the editor schema owns it, and one ajv instance can register an id only once.
    const { $id: _editorId, ...rest } = full as Record<string, unknown>
    s = { ...rest, properties: props }
    topLevel.set(sections, s)
  }
  return s
}
