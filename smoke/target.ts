import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { ajvProblems, compileSchema, loadYamlFile, type LoadedYaml } from '../lib/config.ts'
import { durationSchema, parseDuration } from '../lib/duration.ts'
import { ConfigError, type ConfigProblem } from '../lib/errors.ts'
import { packageRoot } from '../lib/paths.ts'
import { MIN_SECRET_LENGTH, type Redactor } from '../lib/redact.ts'
import type { CheckSpec } from '../lib/runner.ts'
import { KIND_NAMES, loadKinds } from './kinds/index.ts'
import type { BuildContext, CheckKind, CommonCheckFields } from './kinds/types.ts'

/** A target file as written (after validation). */
export interface TargetFile {
  /** Display name; defaults to the file name without extension. */
  name?: string
  description?: string
  /** Present on targets served by the built-in sandbox: the smoke command starts it first. */
  sandbox?: { faults?: string[] }
  baseUrl?: string
  tls?: { ca?: string; servername?: string }
  defaults?: { timeout?: number | string; eventually?: { timeout: number | string; interval?: number | string } }
  concurrency?: number
  /** Settings of the deploy/rollback runbooks (see the schema's `deploy` description). */
  deploy?: DeploySettings
  checks: (CommonCheckFields & Record<string, unknown>)[]
}

export interface DeploySettings {
  namespace: string
  kubeconfig?: string
  context?: string
  registry?: string
  version: string
  previousVersion?: string
  images?: { build?: boolean; list?: { name: string; dockerfile?: string; context?: string }[] }
  manifests?: { dir: string; files: string[] }
  deployments: string[]
  rolloutTimeout?: number | string
  domain?: string
  prerequisites?: { serviceAccount?: string; networkPolicies?: boolean; ingressNamespace?: string; certManagerNamespace?: string; clusterIssuer?: string }
  tools?: { name: string; min?: string }[]
  checklist?: { testsCommand?: string; checks?: string[]; confirmations?: string[] }
  infrastructure?: { terraformDir?: string; env?: string[] }
  secrets?: { name: string; fromEnv: Record<string, string> }[]
  certificate?: { name: string }
  ingress?: { name: string }
  dns?: boolean
  migrations?: string[]
  smoke?: string[]
  notify?: { webhookUrl: string }
  /** rollback.mts --allow-db-downgrade: the downgrade command (sh -c, with DB_REVISION set). */
  database?: { downgradeCommand?: string }
}

export interface LoadedTarget {
  name: string
  file: string
  target: TargetFile
  yaml: LoadedYaml
  /** The kinds this target uses, loaded (only those: start-up time counts). */
  kinds: ReadonlyMap<string, CheckKind>
}

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

const commonProperties = {
  id: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$', description: 'a stable slug such as health or tls.api' },
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
}

const strList = (description: string) => ({ type: 'array', items: { type: 'string', minLength: 1 }, description })

/** The `deploy:` section read by runbooks/deploy.mts and runbooks/rollback.mts (the smoke suite ignores it). */
const deploySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['namespace', 'version', 'deployments'],
  description: 'settings of the deploy and rollback runbooks (runbooks/deploy.mts); the smoke suite ignores them',
  properties: {
    namespace: { type: 'string', minLength: 1, description: 'Kubernetes namespace of the application' },
    kubeconfig: { type: 'string', description: 'kubeconfig file, relative to the target file (default: $KUBECONFIG, else ~/.kube/config, else the in-cluster service account)' },
    context: { type: 'string', description: 'kubeconfig context (default: its current-context)' },
    registry: { type: 'string', description: 'image registry prefix, e.g. 123456789.dkr.ecr.us-east-1.amazonaws.com/ai-agents' },
    version: { type: 'string', minLength: 1, description: 'image tag to deploy, e.g. v1.0.0' },
    previousVersion: { type: 'string', description: 'image tag running before this deploy: after a rollback (the deploy\'s undo, or rollback.mts without --to-version) every deployment must run it; the sandbox cluster starts at it' },
    images: {
      type: 'object',
      additionalProperties: false,
      description: 'images to build and push with docker',
      properties: {
        build: { type: 'boolean', description: 'build and push with docker (false: images are prebuilt; the step is skipped with the reason)' },
        list: {
          type: 'array',
          description: 'images: name and Dockerfile',
          items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', description: 'image name under the registry' }, dockerfile: { type: 'string', description: 'Dockerfile path (relative to the build context)' }, context: { type: 'string', description: 'build context directory (default .)' } } },
        },
      },
    },
    manifests: {
      type: 'object',
      additionalProperties: false,
      required: ['dir', 'files'],
      description: 'Kubernetes manifests, applied in the order listed (dependency order); ${VERSION}, ${REGISTRY}, ${NAMESPACE}, ${DOMAIN} and the infrastructure outputs are filled in a private temporary copy; any other ${UPPER_CASE} name is a configuration error, $${X} writes a literal ${X}',
      properties: { dir: { type: 'string', description: 'folder of the manifests, relative to the target file' }, files: strList('file names in apply order') },
    },
    deployments: strList('deployments whose rollouts are watched and rolled back on failure'),
    rolloutTimeout: { ...durationSchema, description: 'deadline for each rollout (default 10m)' },
    domain: { type: 'string', description: 'public host name of the service' },
    prerequisites: {
      type: 'object',
      additionalProperties: false,
      description: 'cluster prerequisites checked first',
      properties: {
        serviceAccount: { type: 'string', description: 'service account that must exist in the namespace' },
        networkPolicies: { type: 'boolean', description: 'at least one NetworkPolicy must exist in the namespace' },
        ingressNamespace: { type: 'string', description: 'namespace whose pods (the ingress controller) must be running' },
        certManagerNamespace: { type: 'string', description: 'namespace whose pods (cert-manager) must be running' },
        clusterIssuer: { type: 'string', description: 'cert-manager ClusterIssuer that must exist' },
      },
    },
    tools: {
      type: 'array',
      description: 'command-line tools the runbook needs, with minimum versions',
      items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', description: 'command name' }, min: { type: 'string', description: 'minimum version, e.g. 1.28' } } },
    },
    checklist: {
      type: 'object',
      additionalProperties: false,
      description: 'pre-deployment checklist',
      properties: {
        testsCommand: { type: 'string', description: 'command that must exit 0 (tests green), run with sh -c' },
        checks: strList('ids of target checks that must pass first (database, Redis reachable)'),
        confirmations: strList('manual checklist items, asked yes/no on a terminal (--yes confirms them by flag)'),
      },
    },
    infrastructure: {
      type: 'object',
      additionalProperties: false,
      description: 'infrastructure outputs: from `terraform output -json` in terraformDir, otherwise these environment variables',
      properties: { terraformDir: { type: 'string', description: 'terraform working directory (relative to the target file)' }, env: strList('environment variables that carry the outputs when terraform is not used') },
    },
    secrets: {
      type: 'array',
      description: 'Kubernetes Secrets created or updated from environment variables (values never written anywhere else)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'fromEnv'],
        properties: { name: { type: 'string', description: 'Secret name' }, fromEnv: { type: 'object', additionalProperties: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, description: 'Secret key → environment variable name' } },
      },
    },
    certificate: { type: 'object', additionalProperties: false, required: ['name'], description: 'cert-manager Certificate that must become Ready', properties: { name: { type: 'string', description: 'Certificate name' } } },
    ingress: { type: 'object', additionalProperties: false, required: ['name'], description: 'Ingress that must get a load-balancer address', properties: { name: { type: 'string', description: 'Ingress name' } } },
    dns: { type: 'boolean', description: 'check that the domain resolves to the ingress address (default false)' },
    migrations: strList('ids of target checks that prove the database migrations are at head'),
    smoke: strList('ids of target checks run as post-deployment validation (default: all)'),
    notify: { type: 'object', additionalProperties: false, required: ['webhookUrl'], description: 'Slack-compatible incoming-webhook notifications', properties: { webhookUrl: { type: 'string', description: 'webhook URL, as env:NAME' } } },
    database: {
      type: 'object',
      additionalProperties: false,
      description: 'database rollback (runbooks/rollback.mts, only with --allow-db-downgrade and a typed confirmation)',
      properties: {
        downgradeCommand: { type: 'string', minLength: 1, description: 'command run with sh -c to downgrade the schema to $DB_REVISION (default -1), e.g. alembic downgrade "$DB_REVISION"' },
      },
    },
  },
}

/** Schema of one check entry of a kind (common fields + the kind's own). */
export function kindEntrySchema(k: CheckKind): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'kind', ...(k.required ?? [])],
    properties: { ...commonProperties, kind: { const: k.kind, description: k.description }, ...(allowReferences(k.properties) as object) },
  }
}

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
  const s = out as { pattern?: string; format?: string; type?: unknown }
  if (typeof s.pattern === 'string') s.pattern = `(?:${s.pattern})|${REFERENCE_PATTERN}`
  if (typeof s.format === 'string') {
    const { format, ...rest } = out
    return { anyOf: [{ ...rest, format }, { ...rest, pattern: REFERENCE_PATTERN }] }
  }
  return out
}

const REFERENCE_PATTERN = '\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}|^env:[A-Za-z_][A-Za-z0-9_]*$'

/** The JSON Schema of a target file, built from the registered kinds (also written to smoke/target.schema.json for editors). */
export function targetSchema(kinds: readonly CheckKind[]): Record<string, unknown> {
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
      deploy: deploySchema,
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

/** Top level only; check entries are validated one by one against their kind so errors stay precise. */
const topLevelSchema = (() => {
  const full = targetSchema([]) as { properties: { checks: { items: unknown } } }
  const props = { ...(full.properties as Record<string, unknown>) }
  props.checks = {
    type: 'array',
    minItems: 1,
    items: { type: 'object', required: ['id', 'kind'], properties: { id: commonProperties.id, kind: { type: 'string' } } },
  }
  // No $id: the editor schema owns it, and one ajv instance can register an id only once.
  const { $id: _editorId, ...rest } = full as Record<string, unknown>
  return { ...rest, properties: props }
})()

const kindSchemas = new Map<string, object>()
function schemaForKind(k: CheckKind): object {
  let s = kindSchemas.get(k.kind)
  if (!s) {
    s = kindEntrySchema(k)
    kindSchemas.set(k.kind, s)
  }
  return s
}

/** Where a target name or path points: a path, or `smoke/targets/<name>.yaml` in the cwd, then the built-in ones. */
export function resolveTargetPath(nameOrPath: string, cwd = process.cwd()): string {
  if (nameOrPath.includes('/') || nameOrPath.includes('\\') || /\.ya?ml$/i.test(nameOrPath)) {
    const p = isAbsolute(nameOrPath) ? nameOrPath : resolve(cwd, nameOrPath)
    if (!existsSync(p)) throw new ConfigError('target file not found', { file: p })
    return p
  }
  if (!/^[A-Za-z0-9._-]+$/.test(nameOrPath)) throw new ConfigError(`invalid target name "${nameOrPath}": use a name from smoke/targets/ or a path to a .yaml file`)
  const candidates = [cwd, packageRoot].flatMap((root) => ['yaml', 'yml'].map((ext) => join(root, 'smoke', 'targets', `${nameOrPath}.${ext}`)))
  const found = candidates.find((c) => existsSync(c))
  if (!found) {
    throw new ConfigError(`target "${nameOrPath}" not found; looked for:\n${[...new Set(candidates)].map((c) => `  ${c}`).join('\n')}`)
  }
  return found
}

/** Reads and validates a target file. Every problem names the file, the path inside it and what was expected. */
export async function loadTarget(nameOrPath: string, cwd = process.cwd()): Promise<LoadedTarget> {
  const file = resolveTargetPath(nameOrPath, cwd)
  const yaml = await loadYamlFile(file)
  const data = yaml.data
  const validateTop = compileSchema(topLevelSchema)
  const problems: ConfigProblem[] = []
  if (!validateTop(data)) problems.push(...ajvProblems(validateTop.errors, [], yaml.lineOf))
  const checks = (data as { checks?: unknown })?.checks
  const used = Array.isArray(checks) ? checks.map((c) => (c && typeof c === 'object' ? (c as { kind?: unknown }).kind : undefined)).filter((k): k is string => typeof k === 'string') : []
  const kinds = new Map((await loadKinds(used)).map((k) => [k.kind, k] as const))
  if (Array.isArray(checks)) {
    const ids = new Map<string, number>()
    checks.forEach((entry, i) => {
      if (!entry || typeof entry !== 'object') return
      const { kind, id } = entry as { kind?: unknown; id?: unknown }
      if (typeof id === 'string') {
        const prev = ids.get(id)
        if (prev !== undefined) problems.push({ path: `checks[${i}].id`, message: `duplicate id "${id}" (also used by checks[${prev}])` })
        else ids.set(id, i)
      }
      if (typeof kind !== 'string') return
      const k = kinds.get(kind)
      if (!k) {
        problems.push({ path: `checks[${i}].kind` + lineSuffix(yaml, ['checks', i, 'kind']), message: `unknown kind "${kind}" (expected one of: ${KIND_NAMES.join(', ')})` })
        return
      }
      const v = compileSchema(schemaForKind(k))
      if (!v(entry)) problems.push(...ajvProblems(v.errors, ['checks', i], yaml.lineOf))
      for (const field of k.secretFields ?? []) {
        const path = field.split('.')
        const value = path.reduce<unknown>((o, key) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined), entry)
        if (typeof value === 'string' && !/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
          problems.push({
            path: `checks[${i}].${field}` + lineSuffix(yaml, ['checks', i, ...path]),
            message: 'secrets are never written in target files: write env:NAME and set NAME in the environment',
          })
        }
      }
    })
  }
  if (problems.length > 0) throw new ConfigError('invalid target file', { file, problems })
  const target = data as TargetFile
  const name = target.name ?? file.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/i, '')
  return { name, file, target, yaml, kinds }
}

function lineSuffix(yaml: LoadedYaml, path: (string | number)[]): string {
  const line = yaml.lineOf(path)
  return line ? ` (line ${line})` : ''
}

export interface ResolveOptions {
  /** Environment to read `env:NAME` and `${NAME}` from. */
  env: Record<string, string | undefined>
  /** Extra variables (the sandbox's URLs), consulted after `env`. */
  vars?: Record<string, string>
  /** Why a variable is missing (e.g. the sandbox could not start PostgreSQL), for `requires` skip reasons. */
  missingReasons?: Record<string, string>
  redactor: Redactor
}

/**
 * Resolves `env:NAME` (a whole value: a secret, registered for redaction) and `${NAME}` (inside strings:
 * plain settings such as URLs) throughout the target. A missing variable is a configuration error naming it.
 */
export function resolveVariables(loaded: LoadedTarget, opts: ResolveOptions): TargetFile {
  const problems: ConfigProblem[] = []
  const lookup = (name: string) => opts.env[name] ?? opts.vars?.[name]
  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value)
      if (m) {
        const v = lookup(m[1]!)
        if (v === undefined || v === '') {
          problems.push({ path: pathWithLine(loaded, path), message: `environment variable ${m[1]} is not set (referenced as "${value}")` })
          return ''
        }
        if (v.length < MIN_SECRET_LENGTH) {
          // Masking 1-3 characters would shred ordinary text, so such a value could not be kept out of output.
          problems.push({ path: pathWithLine(loaded, path), message: `environment variable ${m[1]} holds only ${v.length} character(s): too short to be masked in output and reports (at least ${MIN_SECRET_LENGTH})` })
          return ''
        }
        opts.redactor.add(v)
        opts.redactor.addUrlCredentials(v)
        return v
      }
      const out = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_all, name: string) => {
        const v = lookup(name)
        if (v === undefined) {
          problems.push({ path: pathWithLine(loaded, path), message: `variable \${${name}} is not set` })
          return ''
        }
        return v
      })
      opts.redactor.addUrlCredentials(out)
      return out
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]))
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k])
      return out
    }
    return value
  }
  const { checks, ...rest } = loaded.target
  const resolved = walk(rest, []) as TargetFile
  resolved.checks = checks.map((entry, i) => {
    const missing = (entry.requires ?? []).filter((name) => !lookup(name))
    if (missing.length === 0) return walk(entry, ['checks', i]) as typeof entry
    const reasons = missing.map((name) => opts.missingReasons?.[name] ?? `requires ${name}, which is not set`)
    // Not resolved: its ${...} references may be exactly the variables that are missing.
    return { ...entry, skip: entry.skip ?? [...new Set(reasons)].join('; ') }
  })
  if (problems.length > 0) throw new ConfigError('unresolved variables', { file: loaded.file, problems })
  return resolved
}

function pathWithLine(loaded: LoadedTarget, path: (string | number)[]): string {
  let s = ''
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg
  return s + lineSuffix(loaded.yaml, path)
}

export interface BuildOptions {
  reportDir: string
  redactor: Redactor
  /** Only these check ids (unknown ids are a configuration error). */
  only?: string[]
}

/** Turns a resolved target into runnable checks. */
export function buildChecks(loaded: LoadedTarget, target: TargetFile, opts: BuildOptions): CheckSpec[] {
  const base = dirname(loaded.file)
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(base, p))
  const ctx: BuildContext = {
    target: loaded.name,
    targetFile: loaded.file,
    baseUrl: target.baseUrl,
    tls: { ca: target.tls?.ca ? resolvePath(target.tls.ca) : undefined, servername: target.tls?.servername },
    reportDir: opts.reportDir,
    redactor: opts.redactor,
    resolvePath,
  }
  let entries = target.checks
  if (opts.only && opts.only.length > 0) {
    const known = new Set(entries.map((e) => e.id))
    const unknown = opts.only.filter((id) => !known.has(id))
    if (unknown.length > 0) {
      throw new ConfigError(`--only names unknown check id(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`, { file: loaded.file })
    }
    entries = entries.filter((e) => opts.only!.includes(e.id))
  }
  const defaults = target.defaults ?? {}
  return entries.map((entry) => {
    const i = target.checks.indexOf(entry)
    const kind = loaded.kinds.get(entry.kind)!
    const eventually = entry.eventually ?? defaults.eventually
    const timeout = entry.timeout ?? defaults.timeout
    if (entry.skip) {
      // Not built: a skipped entry may hold unresolved references (see `requires`).
      let title = entry.title
      try {
        title ??= kind.title(entry, ctx)
      } catch {
        title = entry.id
      }
      return { id: entry.id, title, kind: entry.kind, skip: entry.skip, run: () => Promise.reject(new Error('skipped checks do not run')) }
    }
    let built
    try {
      built = kind.build(entry, timeout !== undefined ? { ...ctx, timeoutMs: parseDuration(timeout) } : ctx)
    } catch (err) {
      throw new ConfigError(`checks[${i}] (${entry.id}): ${(err as Error).message}`, { file: loaded.file, cause: err })
    }
    const spec: CheckSpec = {
      ...built,
      id: entry.id,
      title: entry.title ?? kind.title(entry, ctx),
      kind: entry.kind,
    }
    if (timeout !== undefined) spec.timeoutMs = parseDuration(timeout)
    if (eventually) spec.eventually = { timeoutMs: parseDuration(eventually.timeout), intervalMs: eventually.interval === undefined ? undefined : parseDuration(eventually.interval) }
    return spec
  })
}
