import { mkdtemp, rm } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildMeta, detectCi, detectCiJobUrl, detectGitCommit, detectOperator, newRunId } from '../../../lib/report/meta.ts'
import { VERSION } from '../../../lib/version.ts'
import { repoRoot } from './fixtures.ts'

const base = { kind: 'smoke', suite: 'sandbox', target: 'sandbox', startedAt: '2026-11-21T23:30:00.000Z', verdict: 'passed', exitCode: 0 } as const
const SHA = 'a'.repeat(40)

describe('buildMeta', () => {
  it('fills what the caller did not give from the environment', () => {
    const m = buildMeta(base, { env: { USER: 'bob' }, now: new Date('2026-11-21T23:30:02.500Z'), cwd: tmpdir() })
    expect(m).toMatchObject({ kind: 'smoke', operator: 'bob', host: hostname(), version: VERSION, finishedAt: '2026-11-21T23:30:02.500Z', durationMs: 2500 })
    expect(m.runId).toMatch(/^smoke-sandbox-20261121T233000Z-[0-9a-f]{4}$/)
    expect(m.ciJobUrl).toBeUndefined()
  })

  it('lets given fields win, including an explicitly absent commit', () => {
    const m = buildMeta({ ...base, runId: 'r1', operator: 'carol', host: 'h', gitCommit: undefined, faults: ['slow'] }, { env: { GITHUB_SHA: SHA } })
    expect(m).toMatchObject({ runId: 'r1', operator: 'carol', host: 'h', faults: ['slow'] })
    expect(m.gitCommit).toBeUndefined()
  })
})

describe('detectOperator', () => {
  it.each([
    [{ GITHUB_ACTOR: 'octocat', USER: 'runner' }, 'octocat'],
    [{ GITLAB_USER_LOGIN: 'gl-user', USER: 'gitlab-runner' }, 'gl-user'],
    [{ USER: 'alice', LOGNAME: 'al' }, 'alice'],
    [{ LOGNAME: 'al' }, 'al'],
  ])('%j → %s', (env, expected) => {
    expect(detectOperator(env)).toBe(expected)
  })

  it('falls back to the account name', () => {
    expect(detectOperator({})).not.toBe('')
  })
})

describe('detectCi', () => {
  const GITHUB = { CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/app', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2', GITHUB_JOB: 'smoke', GITHUB_EVENT_NAME: 'push' }
  it.each<[string, Record<string, string>, Record<string, unknown> | undefined]>([
    ['GitHub Actions: the run attempt, the job key', GITHUB, { id: 'GITHUB_ACTIONS', name: 'GitHub Actions', job: 'smoke', attempt: 2, url: 'https://github.com/acme/app/actions/runs/42/attempts/2', pullRequest: false }],
    ['GitHub Actions on a pull request, GHES URL with a slash', { ...GITHUB, GITHUB_SERVER_URL: 'https://ghe.example/', GITHUB_EVENT_NAME: 'pull_request', GITHUB_RUN_ATTEMPT: '1' }, { url: 'https://ghe.example/acme/app/actions/runs/42/attempts/1', attempt: 1, pullRequest: true }],
    ['GitLab CI: CI_JOB_URL and CI_JOB_NAME', { CI: 'true', GITLAB_CI: 'true', CI_JOB_URL: 'https://gitlab.example/acme/app/-/jobs/7', CI_JOB_NAME: 'smoke:prod' }, { id: 'GITLAB', name: 'GitLab CI', job: 'smoke:prod', url: 'https://gitlab.example/acme/app/-/jobs/7', pullRequest: false }],
    ['GitLab CI merge request pipeline', { GITLAB_CI: 'true', CI_JOB_URL: 'https://gitlab.example/j/8', CI_MERGE_REQUEST_ID: '99' }, { id: 'GITLAB', url: 'https://gitlab.example/j/8', pullRequest: true }],
    ['Buildkite: the build URL with the job as fragment, retry count + 1', { BUILDKITE: 'true', BUILDKITE_BUILD_URL: 'https://buildkite.com/acme/app/builds/3', BUILDKITE_JOB_ID: '0190-abc', BUILDKITE_LABEL: ':rocket: smoke', BUILDKITE_RETRY_COUNT: '1', BUILDKITE_PULL_REQUEST: 'false' }, { id: 'BUILDKITE', name: 'Buildkite', job: ':rocket: smoke', attempt: 2, url: 'https://buildkite.com/acme/app/builds/3#0190-abc', pullRequest: false }],
    ['Jenkins: BUILD_URL and JOB_NAME', { JENKINS_URL: 'https://jenkins.example/', BUILD_ID: '9', BUILD_URL: 'https://jenkins.example/job/app/9/', JOB_NAME: 'app/main' }, { id: 'JENKINS', name: 'Jenkins', job: 'app/main', url: 'https://jenkins.example/job/app/9/', pullRequest: false }],
    ['CircleCI (one of the providers ci-info adds)', { CI: 'true', CIRCLECI: 'true', CIRCLE_BUILD_URL: 'https://circleci.com/gh/acme/app/12', CIRCLE_JOB: 'smoke' }, { id: 'CIRCLE', name: 'CircleCI', job: 'smoke', url: 'https://circleci.com/gh/acme/app/12' }],
    ['Azure Pipelines', { TF_BUILD: 'True', SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/', SYSTEM_TEAMPROJECT: 'App One', BUILD_BUILDID: '77', SYSTEM_JOBDISPLAYNAME: 'Smoke', SYSTEM_JOBATTEMPT: '3' }, { id: 'AZURE_PIPELINES', url: 'https://dev.azure.com/acme/App%20One/_build/results?buildId=77', job: 'Smoke', attempt: 3 }],
    ['TeamCity: named, no link in the environment', { TEAMCITY_VERSION: '2025.1' }, { id: 'TEAMCITY', name: 'TeamCity' }],
    ['a provider ci-info knows but without its link variables', { GITHUB_ACTIONS: 'true' }, { id: 'GITHUB_ACTIONS', name: 'GitHub Actions' }],
    ['only CI=true: in CI, but nothing to name or link', { CI: 'true' }, undefined],
    ['CI=false turns detection off', { CI: 'false', GITHUB_ACTIONS: 'true' }, undefined],
    ['GitHub variables without GITHUB_ACTIONS are not GitHub Actions', { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/app', GITHUB_RUN_ID: '42' }, undefined],
    ['a link that is not http(s) is dropped', { GITLAB_CI: 'true', CI_JOB_URL: 'javascript:alert(1)' }, { id: 'GITLAB' }],
    ['no CI at all', {}, undefined],
  ])('%s', (_what, env, expected) => {
    const ci = detectCi(env)
    if (expected === undefined) expect(ci).toBeUndefined()
    else expect(ci).toMatchObject(expected)
    if (expected && !('url' in expected)) expect(ci?.url).toBeUndefined()
    expect(detectCiJobUrl(env)).toBe(ci?.url)
  })

  it('evaluates a given environment without touching the process environment', () => {
    const before = process.env
    const keys = Object.keys(process.env).length
    detectCi({ GITLAB_CI: 'true', CI_JOB_URL: 'https://gitlab.example/j/1' })
    expect(process.env).toBe(before)
    expect(Object.keys(process.env).length).toBe(keys)
    expect(process.env.GITLAB_CI).toBeUndefined()
  })

  it('records the CI in the run metadata, with the job link in ciJobUrl as before', () => {
    const m = buildMeta(base, { env: GITHUB, cwd: tmpdir() })
    expect(m.ci).toEqual({ id: 'GITHUB_ACTIONS', name: 'GitHub Actions', job: 'smoke', attempt: 2, url: 'https://github.com/acme/app/actions/runs/42/attempts/2', pullRequest: false })
    expect(m.ciJobUrl).toBe('https://github.com/acme/app/actions/runs/42/attempts/2')
    expect(buildMeta({ ...base, ci: undefined, ciJobUrl: undefined }, { env: GITHUB, cwd: tmpdir() }).ci).toBeUndefined()
  })
})

describe('detectGitCommit', () => {
  it('prefers the CI variable', () => {
    expect(detectGitCommit({ GITHUB_SHA: SHA }, tmpdir())).toBe(SHA)
    expect(detectGitCommit({ CI_COMMIT_SHA: SHA }, tmpdir())).toBe(SHA)
  })

  it('asks git in a checkout and gives undefined outside one', async () => {
    expect(detectGitCommit({}, repoRoot)).toMatch(/^[0-9a-f]{40}$/)
    const empty = await mkdtemp(join(tmpdir(), 'rbk-nogit-'))
    try {
      expect(detectGitCommit({ GIT_CEILING_DIRECTORIES: tmpdir() }, empty)).toBeUndefined()
    } finally {
      await rm(empty, { recursive: true, force: true })
    }
  })
})

describe('newRunId', () => {
  it('is made of kind, suite slug, UTC second and random hex, and differs between calls', () => {
    const at = new Date('2026-11-21T23:30:00.123Z')
    expect(newRunId('smoke', 'My Suite!', at)).toMatch(/^smoke-my-suite-20261121T233000Z-[0-9a-f]{4}$/)
    const ids = new Set(Array.from({ length: 20 }, () => newRunId('smoke', 's', at)))
    expect(ids.size).toBeGreaterThan(1)
  })
})
