import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../../lib/report/markdown.ts'
import { report, result } from './report/fixtures.ts'

/** A runbook's own warnings (e.g. a notification that could not be sent) are declared in RunMeta and shown in report.md. */

const SHA = 'a'.repeat(64)

describe('report.md shows the run warnings of a runbook', () => {
  it.each([
    { name: 'run warnings only', warnings: ['notification "failure" not sent: connect ECONNREFUSED'], checkWarnings: [] as string[], expected: ['- Run: notification "failure" not sent: connect ECONNREFUSED'] },
    { name: 'run and check warnings, run first', warnings: ['notification "start" not sent: HTTP 500'], checkWarnings: ['expires in 10 days'], expected: ['- Run: notification "start" not sent: HTTP 500', '- TLS valid (`tls`): expires in 10 days'] },
    { name: 'a pipe stays inside its line', warnings: ['a | b'], checkWarnings: [], expected: ['- Run: a \\| b'] },
  ])('$name', ({ warnings, checkWarnings, expected }) => {
    const md = renderMarkdown(report([result('tls', 'pass', { title: 'TLS valid', ...(checkWarnings.length ? { warnings: checkWarnings } : {}) })], { kind: 'runbook', warnings }), { jsonSha256: SHA })
    const section = md.split('## Warnings\n\n')[1]?.split('\n\n')[0]
    expect(section?.split('\n')).toEqual(expected)
  })

  it('has no Warnings section when there are none', () => {
    const md = renderMarkdown(report([result('tls', 'pass')], { kind: 'runbook' }), { jsonSha256: SHA })
    expect(md).not.toContain('## Warnings')
  })
})
