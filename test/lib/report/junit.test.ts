import { describe, expect, it } from 'vitest'
import { renderJunit } from '../../../lib/report/junit.ts'
import { meta, mixedReport, NASTY, parseJunit, report, result, steps, textOf, validateJunit, xpath } from './fixtures.ts'

function expectValid(xml: string): void {
  const v = validateJunit(xml)
  expect(v.stderr).toMatch(/validates/)
  expect(v.status).toBe(0)
}

describe('renderJunit', () => {
  it('validates against junit-10.xsd and counts failures, errors and skips from the same outcomes as the children', () => {
    const xml = renderJunit(mixedReport())
    expectValid(xml)
    const { root, suite, cases } = parseJunit(xml)
    expect(root['@tests']).toBe('8')
    expect(root['@failures']).toBe('2')
    expect(root['@errors']).toBe('2')
    expect(root['@skipped']).toBeUndefined() // the XSD has no skipped on <testsuites>
    expect(suite['@tests']).toBe('8')
    expect(suite['@failures']).toBe('2')
    expect(suite['@errors']).toBe('2')
    expect(suite['@skipped']).toBe('2')
    expect(suite['@timestamp']).toBe('2026-11-21T23:30:00')
    expect(suite['@hostname']).toBe('ci-7')
    expect(suite['@time']).toBe('2.500')
    const n = (el: string) => cases.filter((c) => c.children[el]).length
    expect([n('failure'), n('error'), n('skipped')]).toEqual([2, 2, 2])
  })

  it('gives every case a dotted classname smoke.<target>.<kind> and a unique name carrying the check id', () => {
    const { cases } = parseJunit(renderJunit(mixedReport()))
    expect(cases.map((c) => c.classname)).toEqual([
      'smoke.sandbox.http',
      'smoke.sandbox.http',
      'smoke.sandbox.postgres',
      'smoke.sandbox.queue-depth',
      'smoke.sandbox.kube-rollout',
      'smoke.sandbox.queue-depth',
      'smoke.sandbox.tls',
      'smoke.sandbox.http',
    ])
    expect(cases[0]!.name).toBe('Check health [health]')
    const keys = cases.map((c) => `${c.classname}|${c.name}`)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('puts the reason in message= and in the text, with the evidence in the text and in one system-out', () => {
    const { cases } = parseJunit(renderJunit(mixedReport()))
    const ready = cases.find((c) => c.name.endsWith('[ready]'))!
    const failure = ready.children.failure![0]!
    expect(failure['@type']).toBe('CheckFailed')
    expect(failure['@message']).toBe('expected status 200, got 503')
    expect(textOf(failure)).toContain('expected status 200, got 503')
    expect(textOf(failure)).toContain('statusCode: 503')
    expect(ready.children['system-out']).toHaveLength(1)
    expect(textOf(ready.children['system-out']![0])).toContain('statusCode: 503')
    expect(ready.children.properties).toBeUndefined() // not allowed in <testcase> by the XSD
    for (const c of cases) expect(c.children['system-out'] ?? []).toHaveLength(1)
  })

  it('keeps errors apart from failures, and marks interrupted checks', () => {
    const { cases } = parseJunit(renderJunit(mixedReport()))
    const db = cases.find((c) => c.name.endsWith('[db]'))!
    expect(db.children.error![0]!['@type']).toBe('CheckError')
    expect(db.children.failure).toBeUndefined()
    const tls = cases.find((c) => c.name.endsWith('[tls]'))!
    expect(tls.children.error![0]!['@type']).toBe('Interrupted')
    const metrics = cases.find((c) => c.name.endsWith('[metrics]'))!
    expect(metrics.children.skipped![0]!['@message']).toBe('not run: the run was interrupted')
    const queue = cases.find((c) => c.name.endsWith('[queue]'))!
    expect(queue.children.skipped![0]!['@message']).toBe('waived until 2026-12-01 (OPS-12)')
  })

  it('reports earlier failed attempts as flakyFailure (finally passed) or rerunFailure (still failing)', () => {
    const { cases } = parseJunit(renderJunit(mixedReport()))
    const rollout = cases.find((c) => c.name.endsWith('[rollout]'))!
    expect(rollout.children.failure).toBeUndefined()
    expect(rollout.children.flakyFailure!.map((f) => f['@message'])).toEqual(['attempt 1: 1/3 replicas updated', 'attempt 2: 2/3 replicas updated'])
    expect(rollout.children.flakyFailure!.every((f) => f['@type'] === 'CheckFailed')).toBe(true)
    const drain = cases.find((c) => c.name.endsWith('[drain]'))!
    expect(drain.children.failure).toHaveLength(1)
    expect(drain.children.rerunFailure!.map((f) => f['@message'])).toEqual(['attempt 1: depth 50 > 10'])
  })

  it.each([
    [0, '0.000'],
    [-5, '0.000'],
    [Number.NaN, '0.000'],
    [1e-7, '0.000'],
    [1, '0.001'],
    [1234, '1.234'],
    [123_456_789, '123456.789'],
    [1e22, '10000000000000000000.000'],
  ])('writes a duration of %s ms as time="%s" (plain decimal, 3 places, schema-valid)', (ms, expected) => {
    const xml = renderJunit(report([result('a', 'pass', { durationMs: ms })], { durationMs: ms }))
    expectValid(xml)
    expect(parseJunit(xml).cases[0]!.time).toBe(expected)
  })

  it('records the run in suite properties', () => {
    const xml = renderJunit(report([result('a', 'pass')], { faults: ['readiness-503', 'slow'] }))
    const { properties, suite } = parseJunit(xml)
    expect(properties).toMatchObject({
      'run.id': 'smoke-sandbox-20261121T233000Z-ab12',
      target: 'sandbox',
      'git.commit': '0123456789abcdef0123456789abcdef01234567',
      'runbook-kit.version': '0.1.0',
      operator: 'alice',
      faults: 'readiness-503,slow',
      'ci.job.url': 'https://github.com/acme/app/actions/runs/42',
    })
    expect(suite['@id']).toBe('smoke-sandbox-20261121T233000Z-ab12')
    expect(suite['@package']).toBe('smoke.sandbox')
  })

  it('turns a configuration error into one errored "configuration" test case', () => {
    const error = 'smoke/targets/staging.yaml: invalid target file\n  - checks[3].expect.status: must be integer'
    const xml = renderJunit(report([], { target: 'staging', verdict: 'config-error', exitCode: 2, error }))
    expectValid(xml)
    const { suite, cases } = parseJunit(xml)
    expect(suite['@tests']).toBe('1')
    expect(suite['@errors']).toBe('1')
    expect(cases).toHaveLength(1)
    expect(cases[0]!.classname).toBe('smoke.staging.config')
    expect(cases[0]!.name).toBe('configuration')
    const err = cases[0]!.children.error![0]!
    expect(err['@message']).toBe('smoke/targets/staging.yaml: invalid target file - checks[3].expect.status: must be integer')
    expect(textOf(err)).toBe(error)
  })

  it('adds one test case per runbook step under runbook.<suite>.steps', () => {
    const r = report([result('health', 'pass')], { kind: 'runbook', suite: 'deploy', target: 'staging', verdict: 'failed', exitCode: 1 }, steps())
    const xml = renderJunit(r)
    expectValid(xml)
    const { suite, cases } = parseJunit(xml)
    expect(suite['@tests']).toBe('5')
    expect(suite['@failures']).toBe('1')
    expect(suite['@skipped']).toBe('2')
    const stepCases = cases.filter((c) => c.classname === 'runbook.deploy.steps')
    expect(stepCases.map((c) => c.name)).toEqual(['01. Back up the database', '02. Apply migrations', '03. Roll out', '04. Scale workers'])
    const failed = stepCases[1]!
    expect(failed.children.failure![0]!['@message']).toBe('alembic upgrade head failed')
    expect(textOf(failed.children.failure![0])).toContain('$ alembic upgrade head → exit 1')
    expect(textOf(stepCases[0]!.children['system-out']![0])).toContain('command: pg_dump -Fc app > /backups/app.dump')
    expect(stepCases[2]!.children.skipped![0]!['@message']).toBe('dry run: would run kubectl')
    expect(stepCases[3]!.children.skipped![0]!['@message']).toBe('rolled back: reverted after step 2 failed')
  })

  it('survives hostile strings: escapes, strips ANSI and control characters, sanitizes classname segments', () => {
    const nasty = result(`id-${NASTY}`, 'fail', {
      title: NASTY,
      kind: 'http probe.v2',
      message: NASTY,
      evidence: { [NASTY]: NASTY, nested: { s: NASTY } },
      warnings: [NASTY],
      attempts: 2,
      attemptLog: [
        { attempt: 1, status: 'fail', message: NASTY, startedAt: 'x', durationMs: 1 },
        { attempt: 2, status: 'fail', message: NASTY, startedAt: 'x', durationMs: 1 },
      ],
    })
    const r = report([nasty, result('b', 'skip', { message: NASTY })], { target: 'prod eu.1', suite: NASTY, operator: NASTY, host: NASTY, error: NASTY, command: NASTY })
    r.steps = [{ ...steps()[1]!, title: NASTY, message: NASTY, commands: [{ command: NASTY, exitCode: 1, durationMs: 1, stderrTail: NASTY }] }]
    const xml = renderJunit(r)
    expectValid(xml)
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/)
    expect(xml).not.toContain(']]>')
    const { cases } = parseJunit(xml)
    expect(cases[0]!.classname).toBe('smoke.prod_eu_1.http_probe_v2')
    for (const c of cases) expect(c.classname).toMatch(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/)
    // Read back by xmllint, an independent parser: the same text minus ANSI codes and control characters.
    const expectedAttr = `a<b>&"c'd ]]> red |pipe line2 \`tick\``
    expect(xpath(xml, '//testcase[1]/failure/@message')).toBe(expectedAttr)
    expect(xpath(xml, '//testcase[1]/failure')).toContain(`a<b>&"c'd ]]> red |pipe\nline2`)
  })

  it('links a screenshot as a GitLab attachment under the report dir', () => {
    const r = report([result('page', 'fail', { kind: 'browser', evidence: { screenshot: 'shots/page.png', url: 'https://x' } })])
    const { cases } = parseJunit(renderJunit(r, { reportDir: '/tmp/reports/run1' }))
    expect(textOf(cases[0]!.children['system-out']![0])).toContain('[[ATTACHMENT|/tmp/reports/run1/shots/page.png]]')
  })

  it('is valid with no results at all and is deterministic', () => {
    const empty = report([], { verdict: 'interrupted', exitCode: 130 })
    expectValid(renderJunit(empty))
    expect(parseJunit(renderJunit(empty)).suite['@tests']).toBe('0')
    expect(renderJunit(mixedReport())).toBe(renderJunit(mixedReport()))
    expect(meta().startedAt).toBe('2026-11-21T23:30:00.000Z')
  })
})
