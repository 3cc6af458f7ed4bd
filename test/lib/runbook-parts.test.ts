import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redactor } from '../../lib/redact.ts'
import { matchesStep, parseRunbookArgs, runbookUsage, scriptArgv } from '../../lib/runbook-args.ts'
import { notify } from '../../lib/runbook-notify.ts'
import { compareVersions, judgePreflight, observeTools, parseToolVersion, type ToolObservation } from '../../lib/runbook-preflight.ts'

describe('parseToolVersion', () => {
  it.each([
    ['Client Version: v1.29.3\nKustomize Version: v5.0.4', '1.29.3'],
    ['v3.12.1+g1234', '3.12.1'],
    ['Docker version 24.0.7, build afdd53b', '24.0.7'],
    ['Terraform v1.6.2\non linux_amd64', '1.6.2'],
    ['jq-1.7.1', '1.7.1'],
    ['aws-cli/2.15.0 Python/3.11.6', '2.15.0'],
    ['no version here', undefined],
  ])('%j → %s', (text, expected) => expect(parseToolVersion(text)).toBe(expected))
})

describe('compareVersions', () => {
  it.each([
    ['1.28', '1.28.0', 0],
    ['1.29.3', '1.28', 1],
    ['1.9', '1.28', -1],
    ['3.12.0', '3.12.1', -1],
  ])('%s vs %s', (a, b, sign) => expect(Math.sign(compareVersions(a, b))).toBe(sign))
})

describe('judgePreflight', () => {
  const obs = (o: Partial<ToolObservation> & { name: string }): ToolObservation => ({ found: true, ...o })
  it.each([
    ['all met', { tools: [{ name: 'kubectl', min: '1.28' }], env: ['A'] }, [obs({ name: 'kubectl', version: '1.29.0' })], { A: 'x' }, 'pass', []],
    ['old and missing tools, unset env, all in one list', { tools: [{ name: 'kubectl', min: '1.28' }, { name: 'helm', min: '3.12' }], env: ['A', 'B'] }, [obs({ name: 'kubectl', version: '1.27.9' }), { name: 'helm', found: false }], { A: 'x', B: '' }, 'fail', ['kubectl: version 1.27.9 is older than the required 1.28', 'helm: not installed (not found on PATH); need >= 3.12', 'environment variable B is not set']],
    ['unreadable version', { tools: [{ name: 'docker', min: '20' }] }, [obs({ name: 'docker', output: 'weird' })], {}, 'fail', ['docker: could not read its version from "weird"; need >= 20']],
    ['no minimum: any version', { tools: [{ name: 'jq' }] }, [obs({ name: 'jq', output: 'jq' })], {}, 'pass', []],
  ] as const)('%s', (_name, req, tools, env, status, missing) => {
    const v = judgePreflight(req as never, tools as never, env)
    expect(v.status).toBe(status)
    expect(v.evidence.missing).toEqual(missing)
  })

  it('observes real tools: node is found with its version, a made-up tool is not', async () => {
    const tools = await observeTools([{ name: 'node' }, { name: 'no-such-tool-rbk' }])
    expect(tools[0]).toMatchObject({ name: 'node', found: true, version: process.versions.node })
    expect(tools[1]).toMatchObject({ name: 'no-such-tool-rbk', found: false })
  })
})

describe('runbook arguments', () => {
  it('parses the common flags and the runbook\'s own', () => {
    const f = parseRunbookArgs(['--target', 'sandbox', '--dry-run', '--fault', 'crashloop,expired-cert', '--fault', 'slow', '--only', '2,apply', '--to-version', 'v1'], { 'to-version': { type: 'string', description: 'x' } })
    expect(f).toMatchObject({ target: 'sandbox', dryRun: true, yes: false, faults: ['crashloop', 'expired-cert', 'slow'], only: ['2', 'apply'], extra: { 'to-version': 'v1' } })
  })
  it.each([[['--nope']], [['--from', '2', '--only', '3']], [['stray']], [['--state', 'x']]])('%j is a usage error', (argv) => {
    expect(() => parseRunbookArgs(argv)).toThrow(expect.objectContaining({ code: 'RBK_USAGE' }))
  })
  it('finds the script arguments after zx and after node', () => {
    expect(scriptArgv(['/usr/bin/node', '/x/node_modules/zx/build/cli.js', 'runbooks/deploy.mts', '--yes'])).toEqual(['--yes'])
    expect(scriptArgv(['/usr/bin/node', '/x/runbooks/deploy.mts', '--target', 's'])).toEqual(['--target', 's'])
  })
  it.each([
    ['3', 3, 'Apply manifests', true],
    ['apply-manifests', 3, 'Apply manifests', true],
    ['Apply manifests', 3, 'Apply manifests', true],
    ['4', 3, 'Apply manifests', false],
    ['apply', 3, 'Apply manifests', false],
  ])('step selector %s vs %i %s', (sel, i, title, ok) => expect(matchesStep(sel, i, title)).toBe(ok))
  const dbRevision = { 'db-revision': { type: 'string', description: 'x' } } as const
  it.each([
    [['--db-revision=-1'], '-1'],
    [['--db-revision', 'base'], 'base'],
    [['--db-revision=ae1027a6acf'], 'ae1027a6acf'],
  ])('%j gives the string option the value %s', (argv, value) => {
    expect(parseRunbookArgs(argv, dbRevision).extra['db-revision']).toBe(value)
  })
  it('a value starting with "-" after a space is a usage error that says to write it with "="', () => {
    expect(() => parseRunbookArgs(['--db-revision', '-1'], dbRevision)).toThrow(/--db-revision=-XYZ/)
  })
  it('--help lists the sandbox faults given, and no fault section without them', () => {
    const help = runbookUsage('runbooks/x.mts', 'X', {}, { crashloop: 'the release crash-loops', slow: 'every response is delayed' })
    expect(help).toContain('Sandbox faults (--fault NAME):\n  crashloop                the release crash-loops\n  slow                     every response is delayed\n')
    expect(runbookUsage('runbooks/x.mts', 'X')).not.toContain('Sandbox faults')
  })
})

describe('notify', () => {
  let server: Server
  let url = ''
  const bodies: string[] = []
  let status = 200
  beforeAll(async () => {
    server = createServer((req, res) => {
      let b = ''
      req.on('data', (d) => (b += d))
      req.on('end', () => {
        bodies.push(b)
        res.statusCode = status
        res.end('ok')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/secretpath`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('posts Slack-style JSON with secrets masked', async () => {
    const redactor = new Redactor()
    redactor.add('hunter2-secret')
    status = 200
    expect(await notify('failure', 'deploy failed: hunter2-secret', { url, redactor })).toBeUndefined()
    expect(JSON.parse(bodies.at(-1)!)).toEqual({ text: ':x: deploy failed: ***' })
  })
  it('a rejected or unreachable webhook is a warning, not an exception', async () => {
    const redactor = new Redactor()
    status = 500
    expect(await notify('start', 'x', { url, redactor })).toBe('notification (start) not accepted: HTTP 500')
    const w = await notify('start', 'x', { url: 'http://127.0.0.1:1/hook', redactor, connectTimeout: 1000 })
    expect(w).toMatch(/^notification \(start\) failed: /)
  })
})

describe('findLatestState (the default --state)', () => {
  it('skips runs that changed nothing: refused or configuration errors', async () => {
    const { mkdtempSync, mkdirSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { findLatestState, writeState } = await import('../../lib/runbook-state.ts')
    const root = mkdtempSync(join(tmpdir(), 'rbk-state-'))
    const write = async (name: string, finishedAt: string, verdict: string, statuses: string[]) => {
      const dir = join(root, name)
      mkdirSync(dir)
      await writeState(dir, {
        schemaVersion: 2,
        runbook: 'deploy',
        target: 'staging',
        runId: name,
        finishedAt,
        verdict,
        steps: statuses.map((status, i) => ({ index: i + 1, title: `step ${i + 1}`, status }) as never),
      })
    }
    await write('a-real-failure', '2026-11-22T01:00:00Z', 'failed', ['pass', 'fail', 'not-run'])
    await write('b-refused', '2026-11-22T01:05:00Z', 'config-error', ['not-run', 'not-run', 'not-run'])
    await write('c-nothing-ran', '2026-11-22T01:06:00Z', 'failed', ['not-run', 'not-run', 'not-run'])
    expect(await findLatestState(root, 'deploy', 'staging')).toBe(join(root, 'a-real-failure'))
    expect(await findLatestState(root, 'deploy', 'production')).toBeUndefined()
  })
})
