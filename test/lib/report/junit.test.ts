import { describe, expect, it } from 'vitest'
import { renderJunit } from '../../../lib/report/junit.ts'
import { meta, mixedReport, NASTY, parseJunit, report, result, steps, textOf, validateJunit, xpath, type XmlNode } from './fixtures.ts'

function expectValid(xml: string, strict = false): void {
  const v = validateJunit(xml, { strict })
  expect(v.stderr).toMatch(/validates/)
  expect(v.status).toBe(0)
}

/** The four attributes outside junit-10.xsd that the default (non-strict) mode adds. */
const EXTRAS = /(<testsuites\b[^>]*?) skipped="\d+"|(<testcase\b[^>]*?) (?:file|line|timestamp)="[^"]*"/g
function withoutExtras(xml: string): string {
  let out = xml
  for (let prev = ''; prev !== out; ) {
    prev = out
    out = out.replace(EXTRAS, (_m, root: string | undefined, tc: string | undefined) => root ?? tc ?? '')
  }
  return out
}

/** A report whose checks and steps know where they are written. */
function locatedReport() {
  const r = report(
    [
      result('health', 'pass', { file: 'smoke/targets/prod.yaml', line: 12 }),
      result('ready', 'fail', { message: 'https://api.example.com:33039/ready: expected status 200, got 503', file: 'smoke/targets/prod.yaml', line: 20 }),
      result('verify.health', 'fail', { startedAt: '2026-11-21T23:30:01.250Z' }),
    ],
    { kind: 'runbook', suite: 'deploy', target: 'prod', targetFile: `${process.cwd()}/smoke/targets/prod.yaml` },
    steps().map((s, i) => ({ ...s, file: 'runbooks/deploy.mts', line: 40 + i * 10, checks: i === 1 ? ['verify.health'] : [] })),
  )
  return r
}

describe('renderJunit', () => {
  it('validates against junit-10.xsd and counts failures, errors and skips from the same outcomes as the children', () => {
    const xml = renderJunit(mixedReport())
    expectValid(xml)
    const { root, suite, cases } = parseJunit(xml)
    expect(root['@tests']).toBe('8')
    expect(root['@failures']).toBe('2')
    expect(root['@errors']).toBe('2')
    // Not in junit-10.xsd, but test-results-parser's totals and junitparser's times need it (strict mode drops it).
    expect(root['@skipped']).toBe('2')
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

  it('reports earlier errored attempts as flakyError (finally passed) or rerunError (still failing), as Surefire does', () => {
    const log = (final: 'pass' | 'fail') => [
      { attempt: 1, status: 'error' as const, message: 'connect ECONNREFUSED', startedAt: '2026-11-21T23:30:00.100Z', durationMs: 5 },
      { attempt: 2, status: 'fail' as const, message: '1/3 ready', startedAt: '2026-11-21T23:30:01.100Z', durationMs: 5 },
      { attempt: 3, status: final, message: final === 'pass' ? '3/3 ready' : '2/3 ready', startedAt: '2026-11-21T23:30:02.100Z', durationMs: 5 },
    ]
    const xml = renderJunit(report([result('p', 'pass', { attempts: 3, attemptLog: log('pass') }), result('f', 'fail', { attempts: 3, attemptLog: log('fail') })]))
    expectValid(xml)
    const [p, f] = parseJunit(xml).cases
    expect(Object.keys(p!.children).sort()).toEqual(['flakyError', 'flakyFailure', 'system-out'])
    expect(p!.children.flakyError!.map((e) => [e['@type'], e['@message']])).toEqual([['CheckError', 'attempt 1: connect ECONNREFUSED']])
    expect(p!.children.flakyFailure!.map((e) => [e['@type'], e['@message']])).toEqual([['CheckFailed', 'attempt 2: 1/3 ready']])
    expect(Object.keys(f!.children).sort()).toEqual(['failure', 'rerunError', 'rerunFailure', 'system-out'])
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
    // Jenkins names a suite `package.name`: with package="smoke.sandbox" it showed "smoke.sandbox.sandbox".
    expect(suite['@package']).toBeUndefined()
    expect(suite['@name']).toBe('smoke.sandbox')
  })

  it('strict mode leaves out exactly the four attributes junit-10.xsd lacks, and validates fully', () => {
    for (const r of [mixedReport(), locatedReport()]) {
      const xml = renderJunit(r)
      const strict = renderJunit(r, { strict: true })
      expectValid(strict, true)
      expect(validateJunit(xml, { strict: true }).status).not.toBe(0)
      expectValid(xml) // junit-10.xsd plus those four attributes: everything else follows the XSD
      expect(strict).not.toMatch(/<testcase [^>]*(?:file|line|timestamp)="|<testsuites [^>]*skipped="/)
      expect(withoutExtras(xml)).toBe(strict)
    }
  })

  it('puts file and line on each case: the check\'s entry in the target file, the runbook line of a step', () => {
    const { suite, cases } = parseJunit(renderJunit(locatedReport()))
    const at = (suffix: string) => cases.find((c) => c.name.endsWith(suffix))!
    const attrs = (c: ReturnType<typeof at>) => {
      const raw = (parseJunit(renderJunit(locatedReport())).suite.testcase as XmlNode[]).find((t) => t['@name'] === c.name)!
      return { file: raw['@file'], line: raw['@line'], timestamp: raw['@timestamp'] }
    }
    expect(attrs(at('[health]'))).toEqual({ file: 'smoke/targets/prod.yaml', line: '12', timestamp: '2026-11-21T23:30:00.100' })
    // The port in the message no longer matters: file and line are given.
    expect(attrs(at('[ready]'))).toMatchObject({ file: 'smoke/targets/prod.yaml', line: '20' })
    // A runbook's check without a location of its own points at the step that ran it.
    expect(attrs(at('[verify.health]'))).toEqual({ file: 'runbooks/deploy.mts', line: '50', timestamp: '2026-11-21T23:30:01.250' })
    expect(attrs(at('02. Apply migrations'))).toEqual({ file: 'runbooks/deploy.mts', line: '50', timestamp: '2026-11-21T23:30:01.500' })
    // The suite names the target file relative to the working directory (mikepenz falls back to it).
    expect(suite['@file']).toBe('smoke/targets/prod.yaml')
    expect(suite['@name']).toBe('runbook.deploy')
  })

  it('leaves file and line out where nothing is known, and line out without a file', () => {
    const r = report([result('a', 'fail'), result('b', 'fail', { line: 7 })], { targetFile: undefined })
    const raw = parseJunit(renderJunit(r)).suite.testcase as XmlNode[]
    for (const tc of raw) {
      expect(tc['@file']).toBeUndefined()
      expect(tc['@line']).toBeUndefined()
      expect(tc['@timestamp']).toBe('2026-11-21T23:30:00.100')
    }
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
    // On the target file, at the first problem's line.
    const tc = suite.testcase as XmlNode
    expect([tc['@file'], tc['@line']]).toEqual(['smoke/targets/sandbox.yaml', '1'])
    const withLine = report([], { verdict: 'config-error', exitCode: 2, targetFile: `${process.cwd()}/smoke/targets/x.yaml`, error: 'x.yaml: invalid target file\n  - checks[3].expect.status (line 27): must be integer' })
    expect((parseJunit(renderJunit(withLine)).suite.testcase as XmlNode)['@line']).toBe('27')
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

  it('links a screenshot as an attachment relative to the working directory (GitLab resolves it against the project)', () => {
    const r = report([result('page', 'fail', { kind: 'browser', evidence: { screenshot: 'shots/page.png', url: 'https://x' } })])
    const inside = parseJunit(renderJunit(r, { reportDir: '/work/app/reports/run1', cwd: '/work/app' })).cases
    expect(textOf(inside[0]!.children['system-out']![0])).toContain('[[ATTACHMENT|reports/run1/shots/page.png]]')
    // Outside the working directory no relative path reaches it: absolute, as Jenkins' junit-attachments reads it.
    const outside = parseJunit(renderJunit(r, { reportDir: '/tmp/reports/run1', cwd: '/work/app' })).cases
    expect(textOf(outside[0]!.children['system-out']![0])).toContain('[[ATTACHMENT|/tmp/reports/run1/shots/page.png]]')
  })

  it('is valid with no results at all and is deterministic', () => {
    const empty = report([], { verdict: 'interrupted', exitCode: 130 })
    expectValid(renderJunit(empty))
    expect(parseJunit(renderJunit(empty)).suite['@tests']).toBe('0')
    expect(renderJunit(mixedReport())).toBe(renderJunit(mixedReport()))
    expect(meta().startedAt).toBe('2026-11-21T23:30:00.000Z')
  })
})
