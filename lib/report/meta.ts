import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { hostname, userInfo } from 'node:os'
import { VERSION } from '../version.ts'
import type { CiInfo, RunMeta } from './model.ts'

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
  const ci = 'ci' in partial ? partial.ci : detectCi(env)
  const ciJobUrl = 'ciJobUrl' in partial ? partial.ciJobUrl : ci?.url
  if (ciJobUrl) meta.ciJobUrl = ciJobUrl
  if (ci) meta.ci = { ...ci }
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

/** Link to the CI job (see `detectCi`); undefined outside CI or where the provider gives none. */
export function detectCiJobUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return detectCi(env)?.url
}

type CiInfoModule = typeof import('ci-info')
const require = createRequire(import.meta.url)

/**
 * ci-info's verdict for `env`. ci-info reads `process.env` once, when it is loaded: for the process's
 * own environment that cached verdict is used; for another one (a test's fake CI, a report built for
 * another machine's variables) the module is evaluated afresh with `env` in place, synchronously, and
 * the process's environment and module cache are put back before anything else can run.
 */
function ciInfoFor(env: NodeJS.ProcessEnv): CiInfoModule {
  if (env === process.env) return require('ci-info') as CiInfoModule
  const id = require.resolve('ci-info')
  const cached = require.cache[id]
  const saved = process.env
  delete require.cache[id]
  try {
    process.env = env
    return require('ci-info') as CiInfoModule
  } finally {
    process.env = saved
    if (cached) require.cache[id] = cached
    else delete require.cache[id]
  }
}

type Env = Readonly<Record<string, string | undefined>>
/** Per provider (ci-info's constant): the job's link, name and attempt, from the provider's documented variables. */
const JOBS: Record<string, (e: Env) => Pick<CiInfo, 'url' | 'job' | 'attempt'>> = {
  // The run attempt's page: GitHub puts no job id in the environment, only the job's key in the workflow.
  GITHUB_ACTIONS: (e) => ({
    url: e.GITHUB_SERVER_URL && e.GITHUB_REPOSITORY && e.GITHUB_RUN_ID ? `${e.GITHUB_SERVER_URL.replace(/\/+$/, '')}/${e.GITHUB_REPOSITORY}/actions/runs/${e.GITHUB_RUN_ID}${e.GITHUB_RUN_ATTEMPT ? `/attempts/${e.GITHUB_RUN_ATTEMPT}` : ''}` : undefined,
    job: e.GITHUB_JOB,
    attempt: count(e.GITHUB_RUN_ATTEMPT),
  }),
  GITLAB: (e) => ({ url: e.CI_JOB_URL, job: e.CI_JOB_NAME }),
  // The build page scrolled to the job; BUILDKITE_RETRY_COUNT is 0 on the first try.
  BUILDKITE: (e) => ({
    url: e.BUILDKITE_BUILD_URL ? `${e.BUILDKITE_BUILD_URL}${e.BUILDKITE_JOB_ID ? `#${e.BUILDKITE_JOB_ID}` : ''}` : undefined,
    job: e.BUILDKITE_LABEL,
    attempt: e.BUILDKITE_RETRY_COUNT !== undefined && count(e.BUILDKITE_RETRY_COUNT, 0) !== undefined ? count(e.BUILDKITE_RETRY_COUNT, 0)! + 1 : undefined,
  }),
  JENKINS: (e) => ({ url: e.BUILD_URL, job: e.JOB_NAME }),
  HUDSON: (e) => ({ url: e.BUILD_URL, job: e.JOB_NAME }),
  CIRCLE: (e) => ({ url: e.CIRCLE_BUILD_URL, job: e.CIRCLE_JOB }),
  TRAVIS: (e) => ({ url: e.TRAVIS_JOB_WEB_URL, job: e.TRAVIS_JOB_NAME }),
  AZURE_PIPELINES: (e) => ({
    url: e.SYSTEM_COLLECTIONURI && e.SYSTEM_TEAMPROJECT && e.BUILD_BUILDID ? `${e.SYSTEM_COLLECTIONURI.replace(/\/*$/, '/')}${encodeURIComponent(e.SYSTEM_TEAMPROJECT)}/_build/results?buildId=${encodeURIComponent(e.BUILD_BUILDID)}` : undefined,
    job: e.SYSTEM_JOBDISPLAYNAME,
    attempt: count(e.SYSTEM_JOBATTEMPT),
  }),
  DRONE: (e) => ({ url: e.DRONE_BUILD_LINK, job: e.DRONE_STEP_NAME }),
  SEMAPHORE: (e) => ({ url: e.SEMAPHORE_ORGANIZATION_URL && e.SEMAPHORE_JOB_ID ? `${e.SEMAPHORE_ORGANIZATION_URL.replace(/\/+$/, '')}/jobs/${e.SEMAPHORE_JOB_ID}` : undefined, job: e.SEMAPHORE_JOB_NAME }),
}

/**
 * The CI system the run is in, from ci-info (50-odd providers), with the job's link, name and attempt
 * where the provider's variables give them (GitHub Actions, GitLab CI, Buildkite, Jenkins, CircleCI,
 * Travis, Azure Pipelines, Drone, Semaphore). Undefined outside CI, and in a CI that ci-info cannot name
 * (only `CI=true`): there is no job to link to.
 */
export function detectCi(env: NodeJS.ProcessEnv = process.env): CiInfo | undefined {
  const info = ciInfoFor(env)
  if (!info.isCI || !info.id || !info.name) return undefined
  const ci: CiInfo = { id: info.id, name: info.name }
  const job = JOBS[info.id]?.(env) ?? {}
  const url = job.url?.trim()
  if (job.job?.trim()) ci.job = job.job.trim()
  if (job.attempt !== undefined) ci.attempt = job.attempt
  if (url && /^https?:\/\//i.test(url)) ci.url = url
  if (typeof info.isPR === 'boolean') ci.pullRequest = info.isPR
  return ci
}

/** A whole number ≥ `min` (default 1) from a variable, else undefined. */
function count(value: string | undefined, min = 1): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined
  const n = Number(value.trim())
  return n >= min ? n : undefined
}
