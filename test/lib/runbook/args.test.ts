import { describe, expect, it } from 'vitest'
import { matchesStep, parseRunbookArgs, runbookUsage, scriptArgv } from '../../../lib/runbook/args.ts'

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
