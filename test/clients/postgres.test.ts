import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runChecks } from '../../lib/runner.ts'
import { repoRoot, runCli } from '../helpers/cli.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { startSilentServer } from '../helpers/services.ts'

// The query phase against a real server (a hung query inside a 1 s check timeout): test/checks/sql.test.ts.
describe('the PostgreSQL client caps its phases against the deadline, so a hang names its phase', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>
  beforeAll(async () => {
    silent = await startSilentServer()
  })
  afterAll(async () => {
    await silent?.close()
  })

  it.each(['postgres', 'alembic', 'rls', 'sql'])('connect (%s): a server that accepts TCP and never answers, 1 s check timeout, 5 s connectTimeout', async (kind) => {
    const extra = kind === 'alembic' ? { expected: 'abc' } : kind === 'sql' ? { query: 'SELECT 1' } : {}
    const spec = await buildKind({ id: 'x', kind, url: `postgresql://u:p@127.0.0.1:${silent.port}/db`, ...extra, timeout: '1s' }, testBuildContext('/tmp'))
    const r = (await runChecks([spec])).results[0]!
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/^cannot connect to 127\.0\.0\.1:\d+: connect timed out after \d{1,3} ms/)
    expect(r.durationMs).toBeLessThan(1000)
  })

  it('on the command line: check postgres --timeout 1s says which phase hung', async () => {
    const run = await runCli(['check', 'postgres', `postgresql://u:pw-not-shown@127.0.0.1:${silent.port}/db`, '--timeout', '1s'])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/connect timed out after \d{1,3} ms/)
    expect(run.stdout + run.stderr).not.toContain('pw-not-shown')
  })
})

describe('pg loads lazily', () => {
  it('reading the declarations of the PostgreSQL kinds does not load pg (the registry imports every kind it lists)', async () => {
    // A resolve hook that refuses pg: the kinds must load and declare without it.
    const hook = "export async function resolve(s, c, next) { if (/^pg(\\/|$)/.test(s)) throw new Error('loaded ' + s); return next(s, c) }"
    const code = [
      "import { register } from 'node:module'",
      `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))`,
      "const { loadKinds } = await import('./checks/registry.ts')",
      "const kinds = await loadKinds(['postgres', 'alembic', 'rls', 'sql'])",
      "const refused = await import('pg').then(() => 'not refused', (e) => e.message)",
      'console.log(JSON.stringify({ kinds: kinds.map((k) => k.kind), refused }))',
    ].join('\n')
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repoRoot, timeout: 30_000 })
    expect(JSON.parse(stdout)).toEqual({ kinds: ['postgres', 'alembic', 'rls', 'sql'], refused: 'loaded pg' })
  })
})
