import type { CheckResult, Status } from '../result.ts'
import { countTestCases } from './counts.ts'
import type { RunMeta, RunReport, RunVerdict, StepRecord } from './model.ts'
import { cleanText, humanDuration, oneLine, truncate, valueText } from './text.ts'

/**
 * `report.md`: written for an auditor who was not there. Pure and deterministic: the same report gives
 * the same bytes. Every value from the run is escaped, so a message cannot inject Markdown, HTML or a
 * remote image into the page.
 */

export interface MarkdownOptions {
  /** Hex SHA-256 of the exact `report.json` bytes written beside this file. */
  jsonSha256: string
}

const VERDICT: Record<RunVerdict, string> = {
  passed: '✅ PASSED',
  failed: '❌ FAILED',
  interrupted: '⚠️ INTERRUPTED',
  'config-error': '⛔ CONFIGURATION ERROR',
}

const STATUS: Record<Status | StepRecord['status'], string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  error: '💥 error',
  skip: '⏭️ skip',
  'rolled-back': '↩️ rolled back',
  'dry-run': '📝 dry run',
}

const TITLE: Record<RunMeta['kind'], string> = { smoke: 'Smoke report', runbook: 'Runbook report', check: 'Check report' }

/** Longest evidence value shown in a table cell; longer evidence is shown as fenced JSON instead. */
const MAX_CELL_VALUE = 200

export function renderMarkdown(report: RunReport, opts: MarkdownOptions): string {
  const { meta } = report
  const out: string[] = []
  out.push(`# ${heading(meta)}`, '', verdictLine(report), '')
  if (meta.error) out.push(meta.verdict === 'config-error' ? '## Configuration error' : '## Error', '', fenced(meta.error, 'text'), '')

  out.push('## Run', '', '| Field | Value |', '| --- | --- |')
  for (const [field, value] of metadataRows(meta)) out.push(`| ${field} | ${value} |`)
  out.push('')

  out.push('## Results', '')
  if (report.results.length === 0) out.push('_No checks were run._', '')
  else out.push(...resultsTable(report.results), '')

  const failed = report.results.filter((r) => r.status === 'fail' || r.status === 'error')
  if (failed.length > 0) {
    out.push('## Failed checks', '')
    for (const r of failed) out.push(...failedSection(r))
  }

  const warned = report.results.filter((r) => r.warnings && r.warnings.length > 0)
  if (warned.length > 0 || (meta.warnings?.length ?? 0) > 0) {
    out.push('## Warnings', '')
    // The run's own warnings (a notification not sent) first: they are about the whole run.
    for (const w of meta.warnings ?? []) out.push(`- Run: ${cell(w)}`)
    for (const r of warned) for (const w of r.warnings!) out.push(`- ${cell(r.title || r.id)} (${code(r.id)}): ${cell(w)}`)
    out.push('')
  }

  // Screenshots of checks that did not fail are still evidence; failed ones are embedded in their section.
  const images = report.results.filter((r) => !failed.includes(r) && screenshot(r) !== undefined)
  if (images.length > 0) {
    out.push('## Screenshots', '')
    for (const r of images) out.push(`${cell(r.title || r.id)} (${code(r.id)}):`, '', image(r), '')
  }

  if (report.steps.length > 0) out.push(...stepsSection(report.steps))

  out.push('---', '', `SHA-256 of report.json: \`${oneLine(opts.jsonSha256)}\``, '')
  return out.join('\n')
}

/** GitHub's cap on one step's job summary (`$GITHUB_STEP_SUMMARY`): 1 MiB. */
export const STEP_SUMMARY_MAX_BYTES = 1024 * 1024

export interface SummaryOptions {
  /** Most UTF-8 bytes the summary may take. Default `STEP_SUMMARY_MAX_BYTES`. */
  maxBytes?: number
}

/** Longest message shown in one row of the job summary (the whole message is in report.md). */
const MAX_SUMMARY_MESSAGE = 300

/**
 * Short form for `$GITHUB_STEP_SUMMARY`: heading, verdict, the checks and steps that did not pass, and
 * the passing ones folded in a `<details>` block. Cut to `maxBytes` (GitHub drops a larger summary whole):
 * rows that do not fit are left out, the ones that did not pass first in line to stay, and a note says
 * how many are in report.md. Empty when not even the heading fits.
 */
export function renderSummaryMarkdown(report: RunReport, opts: SummaryOptions = {}): string {
  const max = opts.maxBytes ?? STEP_SUMMARY_MAX_BYTES
  const { meta } = report
  const head: string[] = [`### ${heading(meta)}`, '', verdictLine(report), '']
  head.push(`Run ${code(meta.runId)} on ${cell(meta.host)} by ${cell(meta.operator)}, ${humanDuration(meta.durationMs)}.`, '')
  if (meta.error) head.push(fenced(meta.error, 'text'), '')

  // Failures first, so a long suite still shows what broke above the fold (and above any cut).
  const order: Record<Status, number> = { error: 0, fail: 1, skip: 2, pass: 3 }
  const sorted = report.results.map((r, i) => ({ r, i })).sort((a, b) => order[a.r.status] - order[b.r.status] || a.i - b.i).map((x) => x.r)
  const checkRow = (r: CheckResult) => resultRow({ ...r, message: truncate(r.message, MAX_SUMMARY_MESSAGE) })
  const stepRow = (st: StepRecord) => stepsRow({ ...st, message: truncate(st.message, MAX_SUMMARY_MESSAGE) })
  const groups = {
    checks: sorted.filter((r) => r.status !== 'pass').map(checkRow),
    steps: report.steps.filter((st) => st.status !== 'pass').map(stepRow),
    passedChecks: sorted.filter((r) => r.status === 'pass').map(checkRow),
    passedSteps: report.steps.filter((st) => st.status === 'pass').map(stepRow),
  }
  const total = groups.checks.length + groups.steps.length + groups.passedChecks.length + groups.passedSteps.length

  // The first `k` rows in priority order (groups in the order above), laid out as tables.
  const render = (k: number): string => {
    let left = k
    const take = (rows: string[]) => {
      const n = Math.min(left, rows.length)
      left -= n
      return rows.slice(0, n)
    }
    const checks = take(groups.checks)
    const steps = take(groups.steps)
    const passedChecks = take(groups.passedChecks)
    const passedSteps = take(groups.passedSteps)
    const out = [...head]
    if (checks.length > 0) out.push(...RESULTS_HEADER, ...checks, '')
    if (passedChecks.length > 0) out.push(...folded(`✅ ${countOf(passedChecks.length, groups.passedChecks.length)} passed ${groups.passedChecks.length === 1 ? 'check' : 'checks'}`, [...RESULTS_HEADER, ...passedChecks]))
    if (steps.length > 0) out.push(...STEPS_HEADER, ...steps, '')
    if (passedSteps.length > 0) out.push(...folded(`✅ ${countOf(passedSteps.length, groups.passedSteps.length)} passed ${groups.passedSteps.length === 1 ? 'step' : 'steps'}`, [...STEPS_HEADER, ...passedSteps]))
    if (k < total) out.push(`_The job summary is capped at ${humanBytes(max)}: ${total - k} more ${total - k === 1 ? 'row is' : 'rows are'} in report.md._`, '')
    return out.join('\n') + '\n'
  }
  const bytes = (k: number) => Buffer.byteLength(render(k), 'utf8')
  if (bytes(total) <= max) return render(total)
  if (bytes(0) > max) return ''
  // The most rows that fit (the size grows with k).
  let lo = 0
  let hi = total - 1
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (bytes(mid) <= max) lo = mid
    else hi = mid - 1
  }
  return render(lo)
}

/** `5` or `5 of 12` when the cut left some out. */
function countOf(shown: number, of: number): string {
  return shown === of ? String(of) : `${shown} of ${of}`
}

function humanBytes(n: number): string {
  return n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} bytes`
}

/** A block GitHub folds: the summary line shows, the table opens on a click (blank lines let the Markdown inside render). */
function folded(summary: string, lines: string[]): string[] {
  return [`<details><summary>${cell(summary)}</summary>`, '', ...lines, '', '</details>', '']
}

function heading(meta: RunMeta): string {
  return `${TITLE[meta.kind] ?? 'Report'}: ${inline(meta.suite)} → ${inline(meta.target)}`
}

/**
 * Counted like junit.xml and the terminal's closing line (`countTestCases`): the test-case total first,
 * then what it is made of, then the same "N passed, N failed, N skipped" the terminal printed.
 */
function verdictLine(report: RunReport): string {
  const c = countTestCases(report)
  const parts = [`${c.checks} ${c.checks === 1 ? 'check' : 'checks'}`]
  if (c.steps > 0) parts.push(`${c.steps} ${c.steps === 1 ? 'step' : 'steps'}`)
  if (c.total > c.checks + c.steps) parts.push('the configuration error')
  const counts = `${c.total} test ${c.total === 1 ? 'case' : 'cases'} (${parts.join(', ')}): ${c.pass} passed, ${c.fail + c.error} failed, ${c.skip} skipped`
  const notes = [...(c.error > 0 ? [`${c.error} of the failed errored`] : []), ...(c.interrupted > 0 ? [`${c.interrupted} interrupted`] : [])]
  return `**${VERDICT[report.meta.verdict] ?? inline(report.meta.verdict)}** — ${counts}${notes.length ? ` (${notes.join('; ')})` : ''}. Exit code ${report.meta.exitCode}.`
}

function metadataRows(m: RunMeta): [string, string][] {
  const dash = '—'
  const opt = (v: string | undefined) => (v ? cell(v) : dash)
  return [
    ['Run ID', code(m.runId)],
    ['Kind', cell(m.kind)],
    ['Suite', cell(m.suite)],
    ['Target', cell(m.target)],
    ['Target file', m.targetFile ? code(m.targetFile) : dash],
    ['Started (UTC)', opt(m.startedAt)],
    ['Finished (UTC)', opt(m.finishedAt)],
    ['Duration', humanDuration(m.durationMs)],
    ['Operator', opt(m.operator)],
    ['Host', opt(m.host)],
    ['Git commit', m.gitCommit ? code(m.gitCommit) : dash],
    ['runbook-kit version', opt(m.version)],
    ['CI job', ciCell(m)],
    ['Command', m.command ? code(m.command) : dash],
    ['Faults', m.faults && m.faults.length > 0 ? m.faults.map(code).join(', ') : dash],
    ['Verdict', `${VERDICT[m.verdict] ?? cell(m.verdict)} (exit code ${m.exitCode})`],
    ...(m.mergedFrom && m.mergedFrom.length > 0 ? [['Merged from', m.mergedFrom.map(code).join(', ')] as [string, string]] : []),
  ]
}

const RESULTS_HEADER = ['| Status | Check | Title | Message | Duration | Attempts |', '| --- | --- | --- | --- | ---: | ---: |']

/** `GitHub Actions, job `smoke`, attempt 2: <link>`; the bare link for reports from before `meta.ci`. */
function ciCell(m: RunMeta): string {
  const url = m.ci?.url ?? m.ciJobUrl
  if (!m.ci) return url ? link(url) : '—'
  const parts = [cell(m.ci.name), ...(m.ci.job ? [`job ${code(m.ci.job)}`] : []), ...(m.ci.attempt !== undefined ? [`attempt ${m.ci.attempt}`] : []), ...(m.ci.pullRequest ? ['pull request'] : [])]
  return parts.join(', ') + (url ? `: ${link(url)}` : '')
}

function resultsTable(results: readonly CheckResult[]): string[] {
  return [...RESULTS_HEADER, ...results.map(resultRow)]
}

function resultRow(r: CheckResult): string {
  const status = `${STATUS[r.status] ?? cell(r.status)}${r.interrupted ? ' (interrupted)' : ''}`
  return `| ${status} | ${code(r.id)} | ${cell(r.title)} | ${cell(r.message)} | ${humanDuration(r.durationMs)} | ${r.attempts} |`
}

function failedSection(r: CheckResult): string[] {
  const out = [`### ${STATUS[r.status]}: ${inline(r.title || r.id)} (${code(r.id)})`, '']
  const facts = [`**Status:** ${r.status}${r.interrupted ? ' (interrupted)' : ''}`, `**Kind:** ${r.kind ? cell(r.kind) : '—'}`, `**Started:** ${cell(r.startedAt)}`, `**Duration:** ${humanDuration(r.durationMs)}`, `**Attempts:** ${r.attempts}`]
  out.push(facts.join(' · '), '')
  if (/[\r\n]/.test(r.message)) out.push('**Message:**', '', fenced(r.message, 'text'), '')
  else out.push(`**Message:** ${cell(r.message)}`, '')

  if (r.attemptLog && r.attemptLog.length > 1) {
    out.push('**Attempts:**', '', '| # | Status | Started (UTC) | Duration | Message |', '| ---: | --- | --- | ---: | --- |')
    for (const a of r.attemptLog) out.push(`| ${a.attempt} | ${STATUS[a.status] ?? cell(a.status)} | ${cell(a.startedAt)} | ${humanDuration(a.durationMs)} | ${cell(a.message)} |`)
    out.push('')
  }
  if (r.warnings && r.warnings.length > 0) {
    out.push('**Warnings:**', '')
    for (const w of r.warnings) out.push(`- ${cell(w)}`)
    out.push('')
  }
  out.push('**Evidence:**', '', ...evidenceBlock(r.evidence), '')
  const img = image(r)
  if (img) out.push(img, '')
  return out
}

/** Flat, short evidence as a two-column table; anything nested or long as fenced JSON. */
function evidenceBlock(evidence: unknown): string[] {
  if (evidence === undefined || evidence === null || (typeof evidence === 'object' && Object.keys(evidence).length === 0)) return ['_No evidence recorded._']
  if (typeof evidence !== 'object' || Array.isArray(evidence)) return [fenced(valueText(evidence), 'json')]
  const entries = Object.entries(evidence as Record<string, unknown>).filter(([, v]) => v !== undefined)
  const flat = entries.every(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
  const short = entries.every(([, v]) => !/[\r\n]/.test(valueText(v)) && valueText(v).length <= MAX_CELL_VALUE)
  if (flat && short) {
    return ['| Field | Value |', '| --- | --- |', ...entries.map(([k, v]) => `| ${code(k)} | ${cell(valueText(v))} |`)]
  }
  return [fenced(JSON.stringify(evidence, null, 2), 'json')]
}

const STEPS_HEADER = ['| # | Step | Status | Duration | Commands | Message |', '| ---: | --- | --- | ---: | --- | --- |']

function stepsTable(steps: readonly StepRecord[]): string[] {
  return [...STEPS_HEADER, ...steps.map(stepsRow)]
}

function stepsRow(s: StepRecord): string {
  const cmds = s.commands.length === 0 ? '—' : s.commands.map((c) => (c.dryRun ? 'dry run' : `exit ${exitText(c.exitCode, c.dryRun)}`)).join(', ')
  return `| ${s.label ?? s.index} | ${cell(s.title)}${s.destructive ? ' ⚠️ destructive' : ''} | ${STATUS[s.status] ?? cell(s.status)} | ${humanDuration(s.durationMs)} | ${cmds} | ${cell(s.message)} |`
}

function stepsSection(steps: readonly StepRecord[]): string[] {
  const out = ['## Steps', '', ...stepsTable(steps), '']
  for (const s of steps) {
    out.push(`### Step ${s.label ?? s.index}: ${inline(s.title)}`, '')
    const facts = [`**Status:** ${STATUS[s.status] ?? cell(s.status)}`, `**Started:** ${cell(s.startedAt)}`, `**Duration:** ${humanDuration(s.durationMs)}`]
    if (s.estimate) facts.push(`**Estimate:** ${cell(s.estimate)}`)
    if (s.destructive) facts.push('**Destructive:** yes')
    out.push(facts.join(' · '), '')
    if (s.message) out.push(`**Message:** ${cell(s.message)}`, '')
    if (s.commands.length > 0) {
      out.push('| Command | Exit code | Duration |', '| --- | ---: | ---: |')
      for (const c of s.commands) out.push(`| ${code(c.command)} | ${exitText(c.exitCode, c.dryRun)} | ${humanDuration(c.durationMs)} |`)
      out.push('')
      for (const c of s.commands.filter((c) => c.stderrTail)) out.push(`stderr of ${code(c.command)}:`, '', fenced(c.stderrTail!, 'text'), '')
    }
    if (s.checks.length > 0) out.push(`**Checks:** ${s.checks.map(code).join(', ')}`, '')
    if (s.confirmations && s.confirmations.length > 0) {
      out.push('| Confirmation | Answer | By | At |', '| --- | --- | --- | --- |')
      for (const c of s.confirmations) out.push(`| ${cell(c.question)} | ${cell(c.answer)} | ${cell(c.by)} | ${cell(c.at)} |`)
      out.push('')
    }
  }
  return out
}

function exitText(code: number | null, dryRun: boolean | undefined): string {
  if (dryRun) return 'not run (dry run)'
  return code === null ? 'none (killed or timed out)' : String(code)
}

function screenshot(r: CheckResult): string | undefined {
  const ev = r.evidence as Record<string, unknown> | null | undefined
  const shot = ev && typeof ev === 'object' ? ev.screenshot : undefined
  // Only a relative path inside the report dir: never a URL (a remote image would be fetched by every viewer).
  if (typeof shot !== 'string' || shot === '' || /^[a-z][a-z0-9+.-]*:/i.test(shot) || shot.startsWith('/') || shot.startsWith('\\') || shot.split(/[\\/]/).includes('..')) return undefined
  return shot
}

function image(r: CheckResult): string {
  const shot = screenshot(r)
  if (!shot) return ''
  const alt = oneLine(r.title || r.id).replace(/[[\]\\]/g, '\\$&')
  // Angle brackets allow spaces in the destination; `<`, `>` and line breaks cannot appear in it.
  return `![${alt}](<${oneLine(shot).replace(/[<>]/g, '')}>)`
}

/**
 * Text in a table cell or a sentence: one line, with the punctuation that could start emphasis, code,
 * links/images, HTML or a new table column escaped (`>` and `#` only act at the start of a line, which a
 * cell never is).
 */
function cell(value: string): string {
  return oneLine(value)
    .replace(/[\\`*_[\]<|~]/g, '\\$&')
    .replace(/&/g, '&amp;')
}

/** Text in a heading: as `cell`. */
function inline(value: string): string {
  return cell(value)
}

/** A code span that survives backticks and pipes in the value (pipes must be escaped even inside code in GFM tables). */
function code(value: string): string {
  const text = oneLine(value).replace(/\|/g, '\\|')
  if (text === '') return '—'
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length))
  const fence = '`'.repeat(longest + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${text}${pad}${fence}`
}

function link(url: string): string {
  const u = oneLine(url)
  if (!/^https?:\/\//i.test(u)) return code(u)
  return `[${cell(u)}](<${u.replace(/[<>\s]/g, encodeURIComponent)}>)`
}

/** A fenced block whose fence is longer than any backtick run inside. */
function fenced(value: string, lang: string): string {
  const text = truncate(cleanText(value), 20_000)
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length))
  const fence = '`'.repeat(longest + 1)
  return `${fence}${lang}\n${text}\n${fence}`
}
