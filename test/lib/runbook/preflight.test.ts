import { describe, expect, it } from 'vitest'
import { compareVersions, judgePreflight, observeTools, parseToolVersion, type ToolObservation } from '../../../lib/runbook/preflight.ts'

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
