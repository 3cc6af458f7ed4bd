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
/** Rows in the GitHub step summary's results table (the job summary is capped at 1 MiB). */
const MAX_SUMMARY_ROWS = 200

export function renderMarkdown(report: RunReport, opts: MarkdownOptions): string {
  const { meta } = report
  const out: string[] = []
  out.push(`# ${heading(meta)}`, '', verdictLine(report), '')
  if (meta.error) out.push(meta.verdict === 'config-error' ? '## Configuration error' : '## Error', '', fenced(meta.error, 'text'), '')

  out.push('## Run', '', '| Field | Value |', '| --- | --- |')
  for (const [field, value] of metadataRows(meta)) out.push(`| ${field} | ${value} |`)
  out.push('')
  if (meta.shards && meta.shards.length > 0) out.push(...shardsSection(meta.shards))

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

/** Short form for `$GITHUB_STEP_SUMMARY`: heading, verdict, the results table, and the error if any. */
export function renderSummaryMarkdown(report: RunReport): string {
  const { meta } = report
  const out: string[] = [`### ${heading(meta)}`, '', verdictLine(report), '']
  out.push(`Run ${code(meta.runId)} on ${cell(meta.host)} by ${cell(meta.operator)}, ${humanDuration(meta.durationMs)}.`, '')
  if (meta.error) out.push(fenced(meta.error, 'text'), '')
  if (report.results.length > 0) {
    // Failures first, so a long suite still shows what broke above the cut.
    const order: Record<Status, number> = { error: 0, fail: 1, skip: 2, pass: 3 }
    const sorted = report.results.map((r, i) => ({ r, i })).sort((a, b) => order[a.r.status] - order[b.r.status] || a.i - b.i).map((x) => x.r)
    out.push(...resultsTable(sorted.slice(0, MAX_SUMMARY_ROWS)))
    if (sorted.length > MAX_SUMMARY_ROWS) out.push('', `_…and ${sorted.length - MAX_SUMMARY_ROWS} more; see report.md._`)
    out.push('')
  }
  if (report.steps.length > 0) out.push(...stepsTable(report.steps), '')
  return out.join('\n') + '\n'
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
    ['CI job', m.ciJobUrl ? link(m.ciJobUrl) : dash],
    ['Command', m.command ? code(m.command) : dash],
    ['Faults', m.faults && m.faults.length > 0 ? m.faults.map(code).join(', ') : dash],
    ['Verdict', `${VERDICT[m.verdict] ?? cell(m.verdict)} (exit code ${m.exitCode})`],
    ...(m.mergedFrom && m.mergedFrom.length > 0 ? [['Merged from', m.mergedFrom.map(code).join(', ')] as [string, string]] : []),
    ...(m.shard ? [['Shard', shardText(m.shard)] as [string, string]] : []),
  ]
}

/** `2/3: 4 of 11 checks (from --shard 2/3)`; an empty shard says that it passed with none. */
function shardText(s: NonNullable<RunMeta['shard']>): string {
  const of = s.of !== undefined ? ` of ${s.of}` : ''
  const what = s.ids.length === 0 ? `no checks${of} (an empty shard: a pass with 0 checks)` : `${s.ids.length}${of} ${s.ids.length === 1 && !of ? 'check' : 'checks'}`
  return `${s.index}/${s.total}: ${cell(what)}${s.source ? ` (from ${code(s.source)})` : ''}`
}

/** A merged run: one row per input, with its own verdict, host and times. */
function shardsSection(shards: NonNullable<RunMeta['shards']>): string[] {
  const rows = ['## Shards', '', '| Shard | Checks | Verdict | Host | Started (UTC) | Duration | Run ID |', '| --- | ---: | --- | --- | --- | ---: | --- |']
  for (const s of shards) {
    const which = s.shard ? `${s.shard.index}/${s.shard.total}` : '—'
    const n = s.shard ? String(s.shard.ids.length) : '—'
    rows.push(`| ${which} | ${n} | ${VERDICT[s.verdict] ?? cell(s.verdict)} (exit code ${s.exitCode}) | ${cell(s.host)} | ${cell(s.startedAt)} | ${humanDuration(s.durationMs)} | ${code(s.runId)} |`)
  }
  return [...rows, '']
}

function resultsTable(results: readonly CheckResult[]): string[] {
  const rows = ['| Status | Check | Title | Message | Duration | Attempts |', '| --- | --- | --- | --- | ---: | ---: |']
  for (const r of results) {
    const status = `${STATUS[r.status] ?? cell(r.status)}${r.interrupted ? ' (interrupted)' : ''}`
    rows.push(`| ${status} | ${code(r.id)} | ${cell(r.title)} | ${cell(r.message)} | ${humanDuration(r.durationMs)} | ${r.attempts} |`)
  }
  return rows
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

function stepsTable(steps: readonly StepRecord[]): string[] {
  const rows = ['| # | Step | Status | Duration | Commands | Message |', '| ---: | --- | --- | ---: | --- | --- |']
  for (const s of steps) {
    const cmds = s.commands.length === 0 ? '—' : s.commands.map((c) => (c.dryRun ? 'dry run' : `exit ${exitText(c.exitCode, c.dryRun)}`)).join(', ')
    rows.push(`| ${s.label ?? s.index} | ${cell(s.title)}${s.destructive ? ' ⚠️ destructive' : ''} | ${STATUS[s.status] ?? cell(s.status)} | ${humanDuration(s.durationMs)} | ${cmds} | ${cell(s.message)} |`)
  }
  return rows
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
