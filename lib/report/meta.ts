import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { hostname, userInfo } from 'node:os'
import { VERSION } from '../version.ts'
import type { RunMeta } from './model.ts'

/**
 * Run metadata: who ran what, where, from which commit, in which CI job. Everything the caller does
 * not know is discovered from the environment (CI variables first, then the machine).
 */

/** What the caller knows about a run; the rest of RunMeta is discovered unless given. */
export type MetaInput = Pick<RunMeta, 'kind' | 'suite' | 'target' | 'startedAt' | 'verdict' | 'exitCode'> & Partial<RunMeta>

export interface MetaEnvironment {
  /** Environment to read CI variables from. Default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Directory for `git rev-parse HEAD`. Default `process.cwd()`. */
  cwd?: string
  /** Clock for `finishedAt` when not given. Default `new Date()`. */
  now?: Date
}

/** Longest `git rev-parse HEAD` may take, in ms: metadata must never hold up a report. */
const GIT_TIMEOUT_MS = 2000

/** Builds the full RunMeta: fields given in `partial` win; the rest are discovered. */
export function buildMeta(partial: MetaInput, environment: MetaEnvironment = {}): RunMeta {
  const env = environment.env ?? process.env
  const now = environment.now ?? new Date()
  const finishedAt = partial.finishedAt ?? now.toISOString()
  const started = Date.parse(partial.startedAt)
  const finished = Date.parse(finishedAt)
  const meta: RunMeta = {
    runId: partial.runId ?? newRunId(partial.kind, partial.suite, Number.isNaN(started) ? now : new Date(started)),
    kind: partial.kind,
    suite: partial.suite,
    target: partial.target,
    startedAt: partial.startedAt,
    finishedAt,
    durationMs: partial.durationMs ?? (Number.isNaN(started) || Number.isNaN(finished) ? 0 : Math.max(0, finished - started)),
    operator: partial.operator ?? detectOperator(env),
    host: partial.host ?? hostname(),
    version: partial.version ?? VERSION,
    command: partial.command ?? ['runbook-kit', ...process.argv.slice(2)].join(' '),
    verdict: partial.verdict,
    exitCode: partial.exitCode,
  }
  if (partial.targetFile !== undefined) meta.targetFile = partial.targetFile
  const gitCommit = 'gitCommit' in partial ? partial.gitCommit : detectGitCommit(env, environment.cwd ?? process.cwd())
  if (gitCommit) meta.gitCommit = gitCommit
  const ciJobUrl = 'ciJobUrl' in partial ? partial.ciJobUrl : detectCiJobUrl(env)
  if (ciJobUrl) meta.ciJobUrl = ciJobUrl
  if (partial.error !== undefined) meta.error = partial.error
  if (partial.faults !== undefined) meta.faults = [...partial.faults]
  if (partial.mergedFrom !== undefined) meta.mergedFrom = [...partial.mergedFrom]
  return meta
}

/** `smoke-sandbox-20261121T233000Z-ab12`: kind, suite, UTC start to the second, 4 random hex digits. */
export function newRunId(kind: string, suite: string, at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'run'
  return `${slug(kind)}-${slug(suite)}-${stamp}-${randomBytes(2).toString('hex')}`
}

/**
 * Who ran it. In CI the actor who triggered the job is the meaningful answer (`$USER` there is the
 * runner's service account, e.g. `runner`), so CI actors come first, then the login name.
 */
export function detectOperator(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.GITHUB_ACTOR, env.GITLAB_USER_LOGIN, env.BUILD_USER_ID, env.BUILDKITE_BUILD_CREATOR, env.USER, env.LOGNAME]
  for (const c of candidates) if (c && c.trim()) return c.trim()
  try {
    return userInfo().username || 'unknown'
  } catch {
    // no passwd entry for this uid (some containers)
    return 'unknown'
  }
}

/** The commit under test: CI variables, else `git rev-parse HEAD` in `cwd` (2 s at most), else undefined. */
export function detectGitCommit(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string | undefined {
  for (const c of [env.GITHUB_SHA, env.CI_COMMIT_SHA, env.GIT_COMMIT, env.BUILDKITE_COMMIT]) if (c && /^[0-9a-f]{7,64}$/i.test(c.trim())) return c.trim()
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      // The given variables over the process's (PATH and HOME still come from the process).
      env: env === process.env ? env : { ...process.env, ...env },
      timeout: GIT_TIMEOUT_MS,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    return /^[0-9a-f]{40,64}$/i.test(out) ? out : undefined
  } catch {
    // not a git checkout, git missing, or too slow: the report simply has no commit
    return undefined
  }
}

/** Link to the CI job: GitHub Actions, GitLab CI, Jenkins, Buildkite; undefined outside CI. */
export function detectCiJobUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    return `${env.GITHUB_SERVER_URL.replace(/\/+$/, '')}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
  }
  return env.CI_JOB_URL || env.BUILD_URL || env.BUILDKITE_BUILD_URL || undefined
}
