import { describe, expect, it } from 'vitest'
import { renderJunit } from '../../../lib/report/junit.ts'
import { renderMarkdown, renderSummaryMarkdown } from '../../../lib/report/markdown.ts'
import type { RunVerdict } from '../../../lib/report/model.ts'
import { mixedReport, NASTY, parseJunit, report, result, steps } from './fixtures.ts'

const SHA = 'ab'.repeat(32)

/** Rows of the Markdown table that follows `heading` (header and separator excluded). */
function tableAfter(md: string, heading: string): string[][] {
  const lines = md.split('\n')
  let i = lines.indexOf(heading)
  expect(i).toBeGreaterThanOrEqual(0)
  while (!lines[i]!.startsWith('|')) i++
  const rows: string[][] = []
  for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
    // Split on pipes that are not escaped.
    rows.push(lines[i]!.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()))
  }
  return rows
}

describe('renderMarkdown', () => {
  it('has the title, the verdict with counts, and ends with the SHA-256 of report.json', () => {
    const md = renderMarkdown(mixedReport(), { jsonSha256: SHA })
    expect(md.startsWith('# Smoke report: sandbox → sandbox\n')).toBe(true)
    expect(md).toContain('**❌ FAILED** — 8 test cases (8 checks): 2 passed, 4 failed, 2 skipped (2 of the failed errored; 2 interrupted). Exit code 1.')
    expect(md.trimEnd().endsWith(`SHA-256 of report.json: \`${SHA}\``)).toBe(true)
  })

  // The verdict line must say what junit.xml (and the terminal's closing line) says: same total, same split.
  it.each([
    ['checks only', () => mixedReport(), '8 test cases (8 checks): 2 passed, 4 failed, 2 skipped'],
    ['checks and steps', () => report(mixedReport().results, { kind: 'runbook', suite: 'deploy' }, steps()), '12 test cases (8 checks, 4 steps): 3 passed, 5 failed, 4 skipped'],
    ['a passed runbook', () => report([result('health', 'pass')], { kind: 'runbook', suite: 'deploy' }, [{ ...steps()[0]! }, { ...steps()[3]! }]), '3 test cases (1 check, 2 steps): 2 passed, 0 failed, 1 skipped'],
    ['a configuration error before any check', () => report([], { verdict: 'config-error', exitCode: 2, error: 'bad target' }), '1 test case (0 checks, the configuration error): 0 passed, 1 failed, 0 skipped'],
    ['an interrupted step', () => report([], { kind: 'runbook', suite: 'deploy', verdict: 'interrupted', exitCode: 130 }, [{ ...steps()[1]!, status: 'error', interrupted: true }]), '1 test case (0 checks, 1 step): 0 passed, 1 failed, 0 skipped'],
  ])('counts like junit.xml: %s', (_name, make, expected) => {
    const r = make()
    const md = renderMarkdown(r, { jsonSha256: SHA })
    const line = md.split('\n')[2]!
    expect(line).toContain(` — ${expected}`)
    const { suite } = parseJunit(renderJunit(r))
    const [, total, passed, failed, skipped] = / — (\d+) test cases? .*?: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(line)!.map(Number)
    expect(total).toBe(Number(suite['@tests']))
    expect(failed).toBe(Number(suite['@failures']) + Number(suite['@errors']))
    expect(skipped).toBe(Number(suite['@skipped']))
    expect(passed).toBe(total! - failed! - skipped!)
  })

  it.each<[RunVerdict, string]>([
    ['passed', '✅ PASSED'],
    ['failed', '❌ FAILED'],
    ['interrupted', '⚠️ INTERRUPTED'],
    ['config-error', '⛔ CONFIGURATION ERROR'],
  ])('shows verdict %s as %s', (verdict, label) => {
    const md = renderMarkdown(report([], { verdict }), { jsonSha256: SHA })
    expect(md.split('\n')[2]).toMatch(new RegExp(`^\\*\\*${label}\\*\\*`))
  })

  it('has a metadata table for an auditor', () => {
    const rows = Object.fromEntries(tableAfter(renderMarkdown(mixedReport(), { jsonSha256: SHA }), '## Run').map(([k, v]) => [k, v]))
    expect(rows).toMatchObject({
      'Run ID': '`smoke-sandbox-20261121T233000Z-ab12`',
      Kind: 'smoke',
      Target: 'sandbox',
      'Target file': '`smoke/targets/sandbox.yaml`',
      'Started (UTC)': '2026-11-21T23:30:00.000Z',
      'Finished (UTC)': '2026-11-21T23:30:02.500Z',
      Duration: '2.50 s',
      Operator: 'alice',
      Host: 'ci-7',
      'Git commit': '`0123456789abcdef0123456789abcdef01234567`',
      'runbook-kit version': '0.1.0',
      'CI job': '[https://github.com/acme/app/actions/runs/42](<https://github.com/acme/app/actions/runs/42>)',
      Command: '`runbook-kit smoke --target sandbox`',
      Faults: '—',
    })
  })

  it('names the CI provider, job and attempt beside the link', () => {
    const ci = { id: 'GITHUB_ACTIONS', name: 'GitHub Actions', job: 'smoke', attempt: 2, url: 'https://github.com/acme/app/actions/runs/42/attempts/2' }
    const md = renderMarkdown(report([result('a', 'pass')], { ci, ciJobUrl: ci.url }), { jsonSha256: SHA })
    const rows = Object.fromEntries(tableAfter(md, '## Run').map(([k, v]) => [k, v]))
    expect(rows['CI job']).toBe('GitHub Actions, job `smoke`, attempt 2: [https://github.com/acme/app/actions/runs/42/attempts/2](<https://github.com/acme/app/actions/runs/42/attempts/2>)')
  })

  it('has one results row per check and one section per failed or errored check', () => {
    const r = mixedReport()
    const md = renderMarkdown(r, { jsonSha256: SHA })
    const rows = tableAfter(md, '## Results')
    expect(rows.map((row) => row[1])).toEqual(r.results.map((x) => `\`${x.id}\``))
    expect(rows[1]).toEqual(['❌ fail', '`ready`', 'Check ready', 'expected status 200, got 503', '123 ms', '1'])
    expect(rows[6]![0]).toBe('💥 error (interrupted)')
    const sections = md.split('\n').filter((l) => l.startsWith('### '))
    expect(sections).toEqual(['### ❌ fail: Check ready (`ready`)', '### 💥 error: Check db (`db`)', '### ❌ fail: Check drain (`drain`)', '### 💥 error: Check tls (`tls`)'])
  })

  it('shows evidence as a table when flat, as fenced JSON when nested, and the attempts of a retried check', () => {
    const nested = result('deep', 'fail', { evidence: { chain: [{ subject: 'CN=a', notAfter: '2027-01-01' }] } })
    const md = renderMarkdown(report([...mixedReport().results, nested]), { jsonSha256: SHA })
    const ready = md.slice(md.indexOf('### ❌ fail: Check ready'), md.indexOf('### 💥 error: Check db'))
    expect(ready).toContain('| `statusCode` | 503 |')
    expect(ready).toContain('| `body` | {"ready":false} |')
    const drain = md.slice(md.indexOf('### ❌ fail: Check drain'))
    expect(drain).toContain('| 1 | ❌ fail | 2026-11-21T23:30:00.100Z | 10 ms | depth 50 > 10 |')
    expect(drain).toContain('| 2 | ❌ fail | 2026-11-21T23:30:01.100Z | 10 ms | depth 40 > 10 |')
    const deep = md.slice(md.indexOf('### ❌ fail: Check deep'))
    expect(deep).toContain('```json\n{\n  "chain": [')
  })

  it('embeds a relative screenshot but never a remote or escaping path', () => {
    const md = renderMarkdown(
      report([
        result('page', 'fail', { title: 'Admin page', evidence: { screenshot: 'shots/page 1.png' } }),
        result('ok', 'pass', { title: 'Home', evidence: { screenshot: 'shots/home.png' } }),
        result('evil', 'fail', { evidence: { screenshot: 'https://evil.example/pixel.png' } }),
        result('up', 'fail', { evidence: { screenshot: '../../etc/passwd' } }),
      ]),
      { jsonSha256: SHA },
    )
    expect(md).toContain('![Admin page](<shots/page 1.png>)')
    expect(md).toContain('## Screenshots')
    expect(md).toContain('![Home](<shots/home.png>)')
    expect(md).not.toMatch(/!\[[^\]]*\]\(<?https:/)
    expect(md).not.toContain('](<../')
  })

  it('lists warnings', () => {
    const md = renderMarkdown(report([result('tls', 'pass', { title: 'TLS valid', warnings: ['expires in 10 days'] })]), { jsonSha256: SHA })
    expect(md).toContain('## Warnings\n\n- TLS valid (`tls`): expires in 10 days')
  })

  it('shows runbook steps with a command table per step and exit codes', () => {
    const md = renderMarkdown(report([result('health', 'pass')], { kind: 'runbook', suite: 'deploy' }, steps()), { jsonSha256: SHA })
    expect(md.startsWith('# Runbook report: deploy → sandbox')).toBe(true)
    const rows = tableAfter(md, '## Steps')
    expect(rows.map((r) => [r[0], r[2], r[4]])).toEqual([
      ['1', '✅ pass', 'exit 0'],
      ['2', '❌ fail', 'exit 1'],
      ['3', '📝 dry run', 'dry run'],
      ['4', '↩️ rolled back', '—'],
    ])
    expect(tableAfter(md, '### Step 2: Apply migrations')[0]).toEqual(['`alembic upgrade head`', '1', '700 ms'])
    expect(md).toContain('```text\nsqlalchemy.exc.OperationalError: relation "x" does not exist\n```')
    expect(md).toContain('| Proceed with the backup? | yes | alice | 2026-11-21T23:29:59.000Z |')
  })

  it('shows a configuration error and says no checks ran', () => {
    const md = renderMarkdown(report([], { verdict: 'config-error', exitCode: 2, error: 'staging.yaml: checks[3].expect.status: must be integer' }), { jsonSha256: SHA })
    expect(md).toContain('**⛔ CONFIGURATION ERROR**')
    expect(md).toContain('## Configuration error\n\n```text\nstaging.yaml: checks[3].expect.status: must be integer\n```')
    expect(md).toContain('_No checks were run._')
  })

  it('keeps hostile strings inside their table cell, without ANSI or control characters', () => {
    const r = report([result(`x|${NASTY}`, 'fail', { title: NASTY, message: NASTY, evidence: { k: NASTY } })])
    const md = renderMarkdown(r, { jsonSha256: SHA })
    expect(md).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/)
    const rows = tableAfter(md, '## Results')
    expect(rows).toHaveLength(1)
    expect(rows[0]).toHaveLength(6)
    expect(rows[0]![3]).toBe("a\\<b>&amp;\"c'd \\]\\]> red \\|pipe line2 \\`tick\\`")
    // Title cell and heading escape the HTML; the id is a code span (literal text) whose pipe is still escaped.
    expect(rows[0]![2]).toBe(rows[0]![3])
    expect(rows[0]![1]).toBe("`` x\\|a<b>&\"c'd ]]> red \\|pipe line2 `tick` ``")
    expect(md).toContain("### ❌ fail: a\\<b>&amp;")
    // A multi-line message goes into a fence whose backticks outnumber any run inside it.
    expect(md).toContain("```text\na<b>&\"c'd ]]> red |pipe\nline2 `tick`\n```")
  })

  it('is deterministic', () => {
    expect(renderMarkdown(mixedReport(), { jsonSha256: SHA })).toBe(renderMarkdown(mixedReport(), { jsonSha256: SHA }))
  })
})

describe('renderSummaryMarkdown', () => {
  it('is short: verdict and a results table with failures first, no metadata table or SHA', () => {
    const md = renderSummaryMarkdown(mixedReport())
    expect(md.startsWith('### Smoke report: sandbox → sandbox\n')).toBe(true)
    expect(md).toContain('**❌ FAILED**')
    expect(md).not.toContain('## Run')
    expect(md).not.toContain('SHA-256')
    const ids = md.split('\n').filter((l) => /^\| \S/.test(l) && !l.startsWith('| Status') && !l.startsWith('| ---')).map((l) => l.split(' | ')[1])
    expect(ids).toEqual(['`db`', '`tls`', '`ready`', '`drain`', '`queue`', '`metrics`', '`health`', '`rollout`'])
  })

  it('folds the passing checks and steps in <details>, leaving what did not pass in view', () => {
    const r = report([result('ok1', 'pass'), result('bad', 'fail'), result('ok2', 'pass')], {}, steps())
    const md = renderSummaryMarkdown(r)
    const [open, inside] = md.split('<details><summary>✅ 2 passed checks</summary>\n\n')
    expect(open).toContain('`bad`')
    expect(open).not.toContain('`ok1`')
    expect(inside!.split('</details>')[0]).toMatch(/`ok1`[\s\S]*`ok2`/)
    // Steps: the failed, dry-run and rolled-back ones in view, the one that passed folded.
    expect(md).toContain('<details><summary>✅ 1 passed step</summary>')
    const folded = md.split('<details><summary>✅ 1 passed step</summary>')[1]!.split('</details>')[0]!
    expect(folded).toContain('Back up the database')
    expect(folded).not.toContain('Apply migrations')
    expect(md.split('<details>').length).toBe(md.split('</details>').length)
  })

  it('stays within maxBytes (GitHub keeps 1 MiB per step): failures first, passing rows cut, with a note', () => {
    const many = Array.from({ length: 3000 }, (_, i) => result(`svc-${i}.health`, 'pass', { title: `Service ${i} health endpoint answers 200` }))
    const r = report([...many, result('broken', 'fail', { message: 'x'.repeat(5000) })])
    const full = renderSummaryMarkdown(r)
    expect(Buffer.byteLength(full)).toBeGreaterThan(200_000)
    const md = renderSummaryMarkdown(r, { maxBytes: 50_000 })
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(50_000)
    expect(Buffer.byteLength(md)).toBeGreaterThan(45_000) // as many rows as fit, not a handful
    expect(md).toContain('`broken`')
    expect(md).toMatch(/<details><summary>✅ \d+ of 3000 passed checks<\/summary>/)
    expect(md).toMatch(/_The job summary is capped at 49 KiB: \d+ more rows are in report\.md\._/)
    expect(md.split('<details>').length).toBe(md.split('</details>').length)
    // A row's message is cut, so one long message cannot crowd out the rest.
    expect(md).not.toContain('x'.repeat(400))
    expect(renderSummaryMarkdown(r, { maxBytes: 100 })).toBe('')
    expect(renderSummaryMarkdown(r, { maxBytes: 1024 * 1024 })).toBe(full)
  })
})
