import { describe, expect, it } from 'vitest'
import { annotation, escapeData, escapeProperty, groupEnd, groupStart, isGitHubActions, reportAnnotations, resultAnnotations, stepAnnotations, stepGroupStart } from '../../lib/ci.ts'
import { Redactor } from '../../lib/redact.ts'
import { mixedReport, report, result, steps } from './report/fixtures.ts'

describe('GitHub workflow command escaping (as @actions/core escapes)', () => {
  it.each([
    ['100%', '100%25'],
    ['a\r\nb', 'a%0D%0Ab'],
    ['%0A is not a newline', '%250A is not a newline'],
    ['key: value, more', 'key: value, more'],
  ])('data %j → %j', (input, expected) => expect(escapeData(input)).toBe(expected))

  it.each([
    ['smoke/targets/prod.yaml', 'smoke/targets/prod.yaml'],
    ['C:\\x,y', 'C%3A\\x%2Cy'],
    ['webhook.rejects-bad-signature', 'webhook.rejects-bad-signature'],
    ['50%: a,b\nc', '50%25%3A a%2Cb%0Ac'],
  ])('property %j → %j', (input, expected) => expect(escapeProperty(input)).toBe(expected))
})

describe('annotation', () => {
  it('writes ::level file=…,line=…,title=…::message, escaping each part by its rules', () => {
    expect(annotation('error', 'expected status 200, got 503\nbody: {"ready":false}', { file: 'smoke/targets/prod.yaml', line: 20, title: 'readiness' })).toBe(
      '::error file=smoke/targets/prod.yaml,line=20,title=readiness::expected status 200, got 503%0Abody: {"ready":false}',
    )
    expect(annotation('warning', 'cert expires in 20 days', { title: 'tls: api, eu' })).toBe('::warning title=tls%3A api%2C eu::cert expires in 20 days')
    expect(annotation('notice', 'plain')).toBe('::notice::plain')
  })

  it('drops a line without a file, a bad line number, and ANSI and control characters from the message', () => {
    expect(annotation('error', 'm', { line: 3 })).toBe('::error::m')
    expect(annotation('error', 'm', { file: 'f.yaml', line: 0 })).toBe('::error file=f.yaml::m')
    expect(annotation('error', 'm', { file: 'f.yaml', line: 2.5, endLine: 9 })).toBe('::error file=f.yaml::m')
    expect(annotation('error', 'm', { file: 'f.yaml', line: 2, endLine: 4 })).toBe('::error file=f.yaml,line=2,endLine=4::m')
    expect(annotation('error', '\u001b[31mred\u001b[0m\u0000 ::set-output name=x::y')).toBe('::error::red ::set-output name=x::y')
  })

  it('folds log lines in groups', () => {
    expect(groupStart('Smoke suite "prod": 3 checks\n')).toBe('::group::Smoke suite "prod": 3 checks ')
    expect(groupEnd()).toBe('::endgroup::')
    expect(stepGroupStart({ index: 3, title: 'Apply manifests' })).toBe('::group::[3] Apply manifests')
    expect(stepGroupStart({ index: 0, label: 'R1', title: 'Undo: Apply' })).toBe('::group::[R1] Undo: Apply')
  })

  it('is GitHub Actions only with GITHUB_ACTIONS=true', () => {
    expect(isGitHubActions({ GITHUB_ACTIONS: 'true' })).toBe(true)
    expect(isGitHubActions({ GITHUB_ACTIONS: '1' })).toBe(false)
    expect(isGitHubActions({})).toBe(false)
  })
})

describe('reportAnnotations', () => {
  it('gives an error per failed or errored check on its file and line, and a warning per warning', () => {
    const r = report([
      result('health', 'pass', { file: 'smoke/targets/prod.yaml', line: 8 }),
      result('readiness', 'fail', { message: 'https://api.example.com:33039/ready: expected 200, got 503', file: 'smoke/targets/prod.yaml', line: 20 }),
      result('db', 'error', { message: 'connect ECONNREFUSED 127.0.0.1:5432', file: 'smoke/targets/prod.yaml', line: 30 }),
      result('tls', 'pass', { warnings: ['expires in 20 days (warn at 30)'], file: 'smoke/targets/prod.yaml', line: 40 }),
      result('queue', 'skip', { file: 'smoke/targets/prod.yaml', line: 50 }),
    ])
    expect(reportAnnotations(r)).toEqual([
      '::error file=smoke/targets/prod.yaml,line=20,title=readiness::https://api.example.com:33039/ready: expected 200, got 503',
      '::error file=smoke/targets/prod.yaml,line=30,title=db::connect ECONNREFUSED 127.0.0.1:5432',
      '::warning file=smoke/targets/prod.yaml,line=40,title=tls::expires in 20 days (warn at 30)',
    ])
  })

  it('annotates failed runbook steps on their line, and their checks on the step when they have no location', () => {
    const r = report([result('verify.health', 'fail', { message: 'got 503' })], { kind: 'runbook', suite: 'deploy', verdict: 'failed', warnings: ['notification not sent: HTTP 500'] }, steps().map((s, i) => ({ ...s, file: 'runbooks/deploy.mts', line: 10 + i, checks: i === 1 ? ['verify.health'] : [] })))
    expect(reportAnnotations(r)).toEqual([
      '::error file=runbooks/deploy.mts,line=11,title=verify.health::got 503',
      '::error file=runbooks/deploy.mts,line=11,title=step 2%3A Apply migrations::alembic upgrade head failed',
      '::warning title=runbook-kit::notification not sent: HTTP 500',
    ])
    expect(stepAnnotations(steps()[0]!)).toEqual([])
  })

  it('annotates a configuration error on the target file and an interrupted run once', () => {
    const config = report([], { verdict: 'config-error', exitCode: 2, targetFile: '/repo/smoke/targets/prod.yaml', error: 'invalid target file\n  - checks[2].url (line 14): must be string' })
    expect(reportAnnotations(config, { cwd: '/repo' })).toEqual(['::error file=smoke/targets/prod.yaml,line=14,title=configuration error::invalid target file%0A  - checks[2].url (line 14): must be string'])
    const cut = mixedReport()
    cut.meta.verdict = 'interrupted'
    const lines = reportAnnotations(cut)
    expect(lines.filter((l) => l.includes('title=tls'))).toEqual([]) // cut short: covered by the run's warning
    expect(lines.at(-1)).toBe('::warning title=interrupted::the run was interrupted; 2 checks or steps were stopped or not started (marked in the reports)')
  })

  it('takes redacted data: a secret with a comma or colon cannot slip through in its escaped spelling', () => {
    const secret = 'tok:en,with%odd'
    const redactor = new Redactor()
    redactor.add(secret)
    const r = report([result('webhook', 'fail', { message: `401 for ${secret}`, file: 'smoke/targets/prod.yaml', line: 3 })])
    const lines = reportAnnotations(redactor.redactDeep(r)).map((l) => redactor.redact(l))
    expect(lines).toEqual(['::error file=smoke/targets/prod.yaml,line=3,title=webhook::401 for ***'])
    for (const l of lines) expect(l).not.toContain(escapeData(secret))
    expect(resultAnnotations(result('x', 'pass'))).toEqual([])
  })
})
