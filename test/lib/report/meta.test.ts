import { mkdtemp, rm } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildMeta, detectCiJobUrl, detectGitCommit, detectOperator, newRunId } from '../../../lib/report/meta.ts'
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

describe('detectCiJobUrl', () => {
  it.each([
    [{ GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/app', GITHUB_RUN_ID: '42' }, 'https://github.com/acme/app/actions/runs/42'],
    [{ CI_JOB_URL: 'https://gitlab.example/acme/app/-/jobs/7' }, 'https://gitlab.example/acme/app/-/jobs/7'],
    [{ BUILD_URL: 'https://jenkins.example/job/app/9/' }, 'https://jenkins.example/job/app/9/'],
    [{ BUILDKITE_BUILD_URL: 'https://buildkite.com/acme/app/builds/3' }, 'https://buildkite.com/acme/app/builds/3'],
    [{ GITHUB_REPOSITORY: 'acme/app' }, undefined],
    [{}, undefined],
  ])('%j → %s', (env, expected) => {
    expect(detectCiJobUrl(env)).toBe(expected)
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
