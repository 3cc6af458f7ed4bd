import { existsSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import type { AnyCheckKind } from '../checks/kind.ts'
import type { CommonCheckFields } from '../checks/build.ts'
import { ajvProblems, compileSchema, loadYamlFile, type LoadedYaml } from '../lib/config.ts'
import { ConfigError, type ConfigProblem } from '../lib/errors.ts'
import { packageRoot } from '../lib/paths.ts'
import { KIND_NAMES, loadKinds } from '../checks/registry.ts'
import { kindEntrySchema, literalSecrets, topLevelSchema, type TargetSections } from './target-schema.ts'

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
  /** Sections other layers own (the runbooks' `deploy:`), validated by them. */
  deploy?: unknown
  checks: (CommonCheckFields & Record<string, unknown>)[]
}

export interface LoadedTarget {
  name: string
  file: string
  target: TargetFile
  yaml: LoadedYaml
  /** The kinds this target uses, loaded (only those: start-up time counts). */
  kinds: ReadonlyMap<string, AnyCheckKind>
}

/** Most checks one target file may hold: loading is linear (~0.1 ms and ~5 KB per check), this keeps one run bounded. */
export const MAX_CHECKS = 100_000

export interface LoadTargetOptions {
  cwd?: string
  /** Most checks allowed (default MAX_CHECKS). */
  maxChecks?: number
  /** Top-level sections the caller owns and validates with this file (e.g. the runbooks' `deploy`). */
  sections?: TargetSections
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

/** Reads and validates a target file. Every problem names the file, the path inside it, its line and what was expected. */
export async function loadTarget(nameOrPath: string, options: LoadTargetOptions | string = {}): Promise<LoadedTarget> {
  const opts = typeof options === 'string' ? { cwd: options } : options
  const file = resolveTargetPath(nameOrPath, opts.cwd)
  const yaml = await loadYamlFile(file)
  const data = yaml.data
  const validateTop = compileSchema(topLevelSchema(opts.sections))
  const problems: ConfigProblem[] = []
  if (!validateTop(data)) problems.push(...ajvProblems(validateTop.errors, [], yaml.lineOf))
  const checks = (data as { checks?: unknown })?.checks
  const maxChecks = opts.maxChecks ?? MAX_CHECKS
  if (Array.isArray(checks) && checks.length > maxChecks) {
    throw new ConfigError(`the target has ${checks.length} checks: more than ${maxChecks}, the most one target file may hold (split it into several target files)`, { file })
  }
  const used = Array.isArray(checks) ? checks.map((c) => (c && typeof c === 'object' ? (c as { kind?: unknown }).kind : undefined)).filter((k): k is string => typeof k === 'string') : []
  const kinds = new Map((await loadKinds(used)).map((k) => [k.kind, k] as const))
  if (Array.isArray(checks)) {
    const ids = new Map<string, number>()
    checks.forEach((entry, i) => {
      if (!entry || typeof entry !== 'object') return
      const { kind, id } = entry as { kind?: unknown; id?: unknown }
      if (typeof id === 'string') {
        const prev = ids.get(id)
        if (prev !== undefined) problems.push({ path: pathAt(yaml, ['checks', i, 'id']), message: `duplicate id "${id}" (also used by checks[${prev}]${lineSuffix(yaml, ['checks', prev])})` })
        else ids.set(id, i)
      }
      if (typeof kind !== 'string') return
      const k = kinds.get(kind)
      if (!k) {
        problems.push({ path: pathAt(yaml, ['checks', i, 'kind']), message: `unknown kind "${kind}" (expected one of: ${KIND_NAMES.join(', ')})` })
        return
      }
      const v = compileSchema(kindEntrySchema(k))
      if (!v(entry)) problems.push(...ajvProblems(v.errors, ['checks', i], yaml.lineOf))
      for (const path of literalSecrets(k, entry)) {
        problems.push({ path: pathAt(yaml, ['checks', i, ...path]), message: 'secrets are never written in target files: write env:NAME and set NAME in the environment' })
      }
    })
  }
  if (problems.length > 0) throw new ConfigError('invalid target file', { file, problems })
  const target = data as TargetFile
  const name = target.name ?? file.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/i, '')
  return { name, file, target, yaml, kinds }
}

/** `checks[3].expect.status (line 27)`. */
export function pathAt(yaml: LoadedYaml, path: (string | number)[]): string {
  let s = ''
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg
  return s + lineSuffix(yaml, path)
}

function lineSuffix(yaml: LoadedYaml, path: (string | number)[]): string {
  const line = yaml.lineOf(path)
  return line ? ` (line ${line})` : ''
}
