import { execFile } from 'node:child_process'
import { InvalidArgumentError } from '../errors.ts'
import type { Verdict } from '../result.ts'

/**
 * Preflight: the tools a runbook needs (with minimum versions) and the environment variables it
 * reads, observed up front and judged into ONE list of everything missing, so the operator fixes
 * it all at once instead of meeting the problems one step at a time.
 */

export interface ToolRequirement {
  /** Command name looked up on PATH, e.g. `kubectl`. */
  name: string
  /** Minimum version, e.g. `1.28` or `3.12.0`. Default: any version. */
  min?: string
  /** Arguments that print the version. Default: from KNOWN_VERSION_ARGS, else `['--version']`. */
  versionArgs?: string[]
}

export interface PreflightRequirements {
  tools?: ToolRequirement[]
  /** Environment variables that must be set and non-empty (names only; values are never recorded). */
  env?: string[]
}

/** What was observed for one tool. */
export interface ToolObservation {
  name: string
  found: boolean
  /** Version text as printed (first line), when found. */
  output?: string
  version?: string
  error?: string
}

export interface PreflightEvidence extends Record<string, unknown> {
  tools: { name: string; version?: string; min?: string; ok: boolean; problem?: string }[]
  env: { name: string; set: boolean }[]
  missing: string[]
}

/** How each well-known tool prints its own version without talking to a server. */
export const KNOWN_VERSION_ARGS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  kubectl: ['version', '--client'],
  helm: ['version', '--short'],
  docker: ['--version'],
  terraform: ['version'],
  aws: ['--version'],
  jq: ['--version'],
  node: ['--version'],
  git: ['--version'],
  psql: ['--version'],
})

/** Longest a `<tool> version` call may take, ms. */
export const PREFLIGHT_DEFAULTS = Object.freeze({ versionTimeout: 10_000 })

/** First `major.minor[.patch]` in the text (`Client Version: v1.29.3` → `1.29.3`, `jq-1.7.1` → `1.7.1`). */
export function parseToolVersion(text: string): string | undefined {
  return /(?:^|[^\d.])v?(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1]
}

/** Numeric comparison of dotted versions: negative when a < b. Missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** Runs `<tool> <versionArgs>` for each tool (concurrently). Never throws for a missing tool. */
export async function observeTools(tools: readonly ToolRequirement[], opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; timeout?: number } = {}): Promise<ToolObservation[]> {
  return Promise.all(
    tools.map(
      (t) =>
        new Promise<ToolObservation>((resolve) => {
          const args = t.versionArgs ?? [...(KNOWN_VERSION_ARGS[t.name] ?? ['--version'])]
          execFile(t.name, args, { env: opts.env ?? process.env, timeout: opts.timeout ?? PREFLIGHT_DEFAULTS.versionTimeout, signal: opts.signal, encoding: 'utf8' }, (err, stdout, stderr) => {
            const text = `${stdout ?? ''}\n${stderr ?? ''}`.trim()
            const code = (err as NodeJS.ErrnoException | null)?.code
            if (code === 'ENOENT') return resolve({ name: t.name, found: false, error: 'not found on PATH' })
            const version = parseToolVersion(text)
            const obs: ToolObservation = { name: t.name, found: true, output: text.split('\n')[0] ?? '' }
            if (version) obs.version = version
            if (err && !version) obs.error = `\`${t.name} ${args.join(' ')}\` failed: ${err.message.split('\n')[0]}`
            resolve(obs)
          })
        }),
    ),
  )
}

/** Pure judge: every unmet requirement becomes one line of `missing`. */
export function judgePreflight(req: PreflightRequirements, tools: readonly ToolObservation[], env: Record<string, string | undefined>): Verdict<PreflightEvidence> {
  for (const t of req.tools ?? []) if (t.min !== undefined && !/^\d+(\.\d+){0,2}$/.test(t.min)) throw new InvalidArgumentError(`tool ${t.name}: min must look like 1.28 or 3.12.0, got "${t.min}"`)
  const missing: string[] = []
  const toolRows: PreflightEvidence['tools'] = []
  for (const t of req.tools ?? []) {
    const o = tools.find((x) => x.name === t.name)
    const row: PreflightEvidence['tools'][number] = { name: t.name, ok: false }
    if (t.min) row.min = t.min
    if (!o || !o.found) row.problem = `${t.name}: not installed (not found on PATH)${t.min ? `; need >= ${t.min}` : ''}`
    else if (o.error) row.problem = `${t.name}: ${o.error}`
    else if (t.min && !o.version) row.problem = `${t.name}: could not read its version from "${o.output ?? ''}"; need >= ${t.min}`
    else if (t.min && o.version && compareVersions(o.version, t.min) < 0) row.problem = `${t.name}: version ${o.version} is older than the required ${t.min}`
    else row.ok = true
    if (o?.version) row.version = o.version
    if (row.problem) missing.push(row.problem)
    toolRows.push(row)
  }
  const envRows = (req.env ?? []).map((name) => ({ name, set: Boolean(env[name]) }))
  for (const r of envRows) if (!r.set) missing.push(`environment variable ${r.name} is not set`)
  const evidence: PreflightEvidence = { tools: toolRows, env: envRows, missing }
  if (missing.length > 0) return { status: 'fail', message: `missing: ${missing.join('; ')}`, evidence }
  const n = toolRows.length + envRows.length
  return { status: 'pass', message: n === 0 ? 'nothing required' : `all ${n} requirement(s) met`, evidence }
}
