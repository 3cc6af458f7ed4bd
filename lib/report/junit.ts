import { isAbsolute, resolve } from 'node:path'
import { create } from 'xmlbuilder2'
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js'
import type { Attempt } from '../result.ts'
import { relativeFile, resultLocation } from './location.ts'
import type { ResultRecord, RunReport, SourceLocation, StepRecord } from './model.ts'
import { cleanText, isoNoZone, oneLine, seconds, truncate, valueText } from './text.ts'

/**
 * `junit.xml`, rendered from the report data with xmlbuilder2 (never by string concatenation).
 *
 * Shape: `<testsuites name tests failures errors skipped time>` → one `<testsuite name tests failures
 * errors skipped time timestamp hostname id file>` with run properties → one `<testcase classname name
 * time file line timestamp>` per check result, and per runbook step.
 *
 * Everything validates against `junit-10.xsd` (the Jenkins xUnit schema) except four attributes that the
 * schema lacks and real consumers need (reports/README.md has the measurements):
 * - `<testsuites skipped>`: test-results-parser (testbeats) computes passed = tests − failures − errors −
 *   skipped from the root's attributes, and junitparser, asked for a missing root counter, recomputes every
 *   counter *and time* from the cases (suite time becomes the sum of case times, not the wall time).
 * - `<testcase file line>`: mikepenz/action-junit-report annotates `file`:`line`; without them it guesses a
 *   file from the classname and a line from any `:digits` in the message (a URL's port). GitLab shows `file`.
 * - `<testcase timestamp>`: Jenkins reads it as the case's start; without it, it guesses the start as the
 *   suite's plus the durations of the cases before (wrong for checks that run concurrently).
 * `strict: true` leaves those four out, and the file validates fully.
 *
 * Consumers' quirks this follows (see shared/reference/junit.md): a dotted, non-empty classname on every
 * case (Jenkins splits it at the last dot); unique classname+name pairs (GitLab keeps only the first of
 * duplicates, so the name carries the check id); the reason in `message=` and in the text (GitLab shows
 * only the text); one `<system-out>` per case; times as plain seconds; no zone on `timestamp`; no
 * `package` on the suite (Jenkins shows the suite as `package.name`); attachment paths relative to the
 * working directory (GitLab resolves them against the project directory, Jenkins against the workspace).
 */

export interface JunitOptions {
  /** Absolute report directory; relative `screenshot` evidence becomes a `[[ATTACHMENT|path]]` under it. */
  reportDir?: string
  /** The run's working directory: attachment and target-file paths are written relative to it. Default `process.cwd()`. */
  cwd?: string
  /** Only what `junit-10.xsd` allows: no `<testsuites skipped>`, no `<testcase file line timestamp>`. Default false. */
  strict?: boolean
}

/** The XML-level outcome of one test case; counted once so the counters always match the children. */
type Outcome =
  | { kind: 'pass' }
  | { kind: 'failure' | 'error' | 'skipped'; type: string; message: string; text: string }

interface CaseModel extends SourceLocation {
  classname: string
  name: string
  timeMs: number
  /** ISO start time (with milliseconds, no zone), for `<testcase timestamp>`. */
  timestamp?: string
  outcome: Outcome
  /** Earlier attempts, as flakyFailure/flakyError (final pass) or rerunFailure/rerunError (final fail). */
  reruns: { element: 'flakyFailure' | 'flakyError' | 'rerunFailure' | 'rerunError'; type: string; message: string; text: string }[]
  systemOut: string[]
}

/** Longest value written into one system-out line; the full value is in report.json. */
const MAX_VALUE_CHARS = 4000

export function renderJunit(report: RunReport, opts: JunitOptions = {}): string {
  const { meta } = report
  const cwd = opts.cwd ?? process.cwd()
  const strict = opts.strict === true
  const cases: CaseModel[] = []
  if (meta.verdict === 'config-error' && report.results.length === 0) cases.push(configErrorCase(report, cwd))
  for (const r of report.results) cases.push(checkCase(report, r, opts, cwd))
  for (const s of report.steps) cases.push(stepCase(report, s))

  const count = (k: Outcome['kind']) => cases.filter((c) => c.outcome.kind === k).length
  const tests = String(cases.length)
  const failures = String(count('failure'))
  const errors = String(count('error'))
  const skipped = String(count('skipped'))
  // The wall time of the run, on the root and the suite alike. Checks run concurrently, so the sum of the
  // case times is usually larger; consumers that recompute it (junitparser's merge) show that sum instead.
  const time = seconds(meta.durationMs)

  const doc = create({ version: '1.0', encoding: 'UTF-8' })
  const rootAttrs: Record<string, string> = { name: attr(`${meta.kind} ${meta.suite} → ${meta.target}`), tests, failures, errors }
  if (!strict) rootAttrs.skipped = skipped
  rootAttrs.time = time
  const root = doc.ele('testsuites', rootAttrs)
  const suiteAttrs: Record<string, string> = {
    // `smoke.<suite>`: the prefix of every check's classname. No `package` attribute: Jenkins would show
    // `package.name` (it showed `smoke.sandbox.sandbox`).
    name: `${segment(meta.kind)}.${segment(meta.suite || meta.target)}`,
    tests,
    failures,
    errors,
    skipped,
    time,
  }
  const timestamp = isoNoZone(meta.startedAt)
  if (timestamp) suiteAttrs.timestamp = timestamp
  suiteAttrs.hostname = attr(meta.host || 'unknown')
  // Not required by junit-10.xsd but allowed by it: the run id, and the target file as the suite's file
  // (mikepenz/action-junit-report falls back to it for cases without a file).
  suiteAttrs.id = attr(meta.runId)
  if (meta.targetFile) suiteAttrs.file = attr(relativeFile(meta.targetFile, cwd))
  const suite = root.ele('testsuite', suiteAttrs)

  const props = suite.ele('properties')
  for (const [name, value] of suiteProperties(report)) props.ele('property', { name, value: attr(value) })

  for (const c of cases) writeCase(suite, c, strict)

  // A fatal error outside any check (not a configuration error, which has its own test case) still reaches CI.
  if (meta.error && !(meta.verdict === 'config-error' && report.results.length === 0)) suite.ele('system-err').txt(cleanText(meta.error))

  return doc.end({ prettyPrint: true }) + '\n'
}

function suiteProperties(report: RunReport): [string, string][] {
  const m = report.meta
  const out: [string, string][] = [
    ['run.id', m.runId],
    ['run.kind', m.kind],
    ['suite', m.suite],
    ['target', m.target],
  ]
  if (m.targetFile) out.push(['target.file', m.targetFile])
  if (m.gitCommit) out.push(['git.commit', m.gitCommit])
  out.push(['runbook-kit.version', m.version], ['operator', m.operator], ['verdict', m.verdict], ['exit.code', String(m.exitCode)])
  if (m.ci) out.push(['ci.provider', m.ci.name])
  if (m.ci?.job) out.push(['ci.job', m.ci.job])
  if (m.ci?.attempt !== undefined) out.push(['ci.attempt', String(m.ci.attempt)])
  if (m.ciJobUrl) out.push(['ci.job.url', m.ciJobUrl])
  if (m.command) out.push(['command', m.command])
  if (m.faults && m.faults.length > 0) out.push(['faults', m.faults.join(',')])
  if (m.mergedFrom && m.mergedFrom.length > 0) out.push(['merged.from', m.mergedFrom.join(',')])
  return out
}

function configErrorCase(report: RunReport, cwd: string): CaseModel {
  const error = report.meta.error || 'configuration error'
  // The target file, at the first problem's line (ConfigError names it as "… (line 27)") or line 1.
  const at: SourceLocation = report.meta.targetFile ? { file: relativeFile(report.meta.targetFile, cwd), line: Number(/\(line (\d+)\)/.exec(error)?.[1] ?? 1) } : {}
  return {
    classname: `smoke.${segment(report.meta.target)}.config`,
    name: 'configuration',
    timeMs: 0,
    ...at,
    timestamp: isoMillisNoZone(report.meta.startedAt),
    // The whole error in the attribute (Jenkins shows it) with its lines joined; the text keeps the layout.
    outcome: { kind: 'error', type: 'ConfigError', message: oneLine(error).replace(/\s+/g, ' ').trim(), text: error },
    reruns: [],
    systemOut: [],
  }
}

function checkCase(report: RunReport, r: ResultRecord, opts: JunitOptions, cwd: string): CaseModel {
  const title = r.title || r.id
  const systemOut: string[] = []
  systemOut.push(`id: ${r.id}`, `status: ${r.status}`, `message: ${r.message}`, `startedAt: ${r.startedAt}`, `attempts: ${r.attempts}`)
  if (r.interrupted) systemOut.push('interrupted: true')
  for (const w of r.warnings ?? []) systemOut.push(`warning: ${w}`)
  const evidence = evidenceLines(r.evidence)
  systemOut.push(...evidence)
  const screenshot = screenshotPath(r.evidence, opts.reportDir, cwd)
  if (screenshot) systemOut.push(`[[ATTACHMENT|${screenshot}]]`)

  const detail = [r.message, ...(r.warnings ?? []).map((w) => `warning: ${w}`), ...(evidence.length ? ['', ...evidence] : [])].join('\n')
  let outcome: Outcome
  if (r.interrupted && r.status !== 'pass') {
    outcome = r.attempts === 0
      ? { kind: 'skipped', type: 'Interrupted', message: r.message || 'not run: the run was interrupted', text: r.message || 'not run: the run was interrupted' }
      : { kind: 'error', type: 'Interrupted', message: r.message || 'interrupted while running', text: detail }
  } else if (r.status === 'fail') {
    outcome = { kind: 'failure', type: 'CheckFailed', message: r.message, text: detail }
  } else if (r.status === 'error') {
    outcome = { kind: 'error', type: 'CheckError', message: r.message, text: detail }
  } else if (r.status === 'skip') {
    outcome = { kind: 'skipped', type: 'Skipped', message: r.message, text: r.message }
  } else {
    outcome = { kind: 'pass' }
  }
  return {
    classname: `smoke.${segment(report.meta.target)}.${segment(r.kind ?? 'check')}`,
    name: `${title} [${r.id}]`,
    timeMs: r.durationMs,
    ...resultLocation(report, r),
    timestamp: isoMillisNoZone(r.startedAt),
    outcome,
    reruns: earlierAttempts(r).map((a) => rerun(a, r.status === 'pass')),
    systemOut,
  }
}

/** Attempts before the final one that did not pass (the final one is the testcase's own outcome). */
function earlierAttempts(r: ResultRecord): Attempt[] {
  const log = r.attemptLog ?? []
  const finalNo = log.reduce((max, a) => Math.max(max, a.attempt), 0)
  return log.filter((a) => a.attempt !== finalNo && a.status !== 'pass' && a.status !== 'skip')
}

function rerun(a: Attempt, finallyPassed: boolean): CaseModel['reruns'][number] {
  const isError = a.status === 'error'
  // junit-10.xsd allows all four (type is required on them). Surefire's meaning: flaky* = failed, then passed
  // on a rerun; rerun* = failed on every run. Jenkins reads both; GitLab ignores them (report.md has the
  // attempts table for auditors).
  const element = finallyPassed ? (isError ? 'flakyError' : 'flakyFailure') : isError ? 'rerunError' : 'rerunFailure'
  return {
    element,
    type: isError ? 'CheckError' : 'CheckFailed',
    message: `attempt ${a.attempt}: ${a.message}`,
    text: `attempt ${a.attempt} (${a.status}) at ${a.startedAt}, ${seconds(a.durationMs)} s: ${a.message}`,
  }
}

function stepCase(report: RunReport, s: StepRecord): CaseModel {
  const systemOut: string[] = [`step: ${s.label ?? s.index}`, `status: ${s.status}`, `message: ${s.message}`, `startedAt: ${s.startedAt}`]
  if (s.estimate) systemOut.push(`estimate: ${s.estimate}`)
  if (s.destructive) systemOut.push('destructive: true')
  for (const c of s.commands) {
    systemOut.push(`command: ${c.command}`, `  exitCode: ${c.exitCode === null ? 'none' : c.exitCode}${c.dryRun ? ' (dry run, not executed)' : ''}`, `  duration: ${seconds(c.durationMs)} s`)
    if (c.stderrTail) systemOut.push(`  stderrTail: ${truncate(c.stderrTail, MAX_VALUE_CHARS)}`)
  }
  if (s.checks.length > 0) systemOut.push(`checks: ${s.checks.join(', ')}`)
  for (const c of s.confirmations ?? []) systemOut.push(`confirmation: ${c.question} → ${c.answer} (by ${c.by} at ${c.at})`)

  const failedCommands = s.commands.filter((c) => !c.dryRun && c.exitCode !== 0)
  const detail = [s.message, ...failedCommands.map((c) => `$ ${c.command} → exit ${c.exitCode === null ? 'none' : c.exitCode}${c.stderrTail ? `\n${c.stderrTail}` : ''}`)].join('\n')
  let outcome: Outcome
  switch (s.status) {
    case 'pass':
      outcome = { kind: 'pass' }
      break
    case 'fail':
      outcome = { kind: 'failure', type: 'StepFailed', message: s.message, text: detail }
      break
    case 'error':
      outcome = { kind: 'error', type: 'StepError', message: s.message, text: detail }
      break
    case 'skip':
      outcome = { kind: 'skipped', type: 'Skipped', message: s.message, text: s.message }
      break
    // A rolled-back step did run, but its change was undone because a later step failed (that step carries
    // the failure); JUnit has no "reverted" state, and "skipped" is the one that neither passes nor double-counts.
    case 'rolled-back':
      outcome = { kind: 'skipped', type: 'RolledBack', message: `rolled back: ${s.message}`, text: `rolled back: ${s.message}` }
      break
    case 'dry-run':
      outcome = { kind: 'skipped', type: 'DryRun', message: `dry run: ${s.message}`, text: `dry run: ${s.message}` }
      break
    default: {
      const never: never = s.status
      outcome = { kind: 'error', type: 'StepError', message: `unknown step status ${String(never)}`, text: s.message }
    }
  }
  return {
    classname: `runbook.${segment(report.meta.suite)}.steps`,
    name: `${s.label ?? String(s.index).padStart(2, '0')}. ${s.title || 'step'}`,
    timeMs: s.durationMs,
    ...(s.file ? { file: s.file, ...(s.line ? { line: s.line } : {}) } : {}),
    timestamp: isoMillisNoZone(s.startedAt),
    outcome,
    reruns: [],
    systemOut,
  }
}

function writeCase(suite: XMLBuilder, c: CaseModel, strict: boolean): void {
  const attrs: Record<string, string> = { classname: c.classname, name: attr(c.name), time: seconds(c.timeMs) }
  if (!strict) {
    if (c.file) attrs.file = attr(c.file)
    if (c.file && c.line && Number.isInteger(c.line) && c.line > 0) attrs.line = String(c.line)
    if (c.timestamp) attrs.timestamp = c.timestamp
  }
  const tc = suite.ele('testcase', attrs)
  const o = c.outcome
  if (o.kind === 'skipped') {
    tc.ele('skipped', { message: attr(o.message), type: o.type })
  } else if (o.kind !== 'pass') {
    tc.ele(o.kind, { message: attr(o.message), type: o.type }).txt(text(o.text))
  }
  for (const r of c.reruns) tc.ele(r.element, { message: attr(r.message), type: r.type }).txt(text(r.text))
  // junit-10.xsd has no <properties> inside <testcase>, so evidence goes into the one system-out, as key: value lines.
  if (c.systemOut.length > 0) tc.ele('system-out').txt(text(c.systemOut.join('\n')))
}

/** Top-level evidence fields as `key: value` lines (values as compact JSON unless strings). */
function evidenceLines(evidence: unknown): string[] {
  if (!evidence || typeof evidence !== 'object') return evidence === undefined ? [] : [`evidence: ${valueText(evidence)}`]
  return Object.entries(evidence as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${oneLine(k)}: ${truncate(valueText(v), MAX_VALUE_CHARS)}`)
}

/**
 * `evidence.screenshot` (relative to the report dir) for the attachment syntax, relative to the working
 * directory: GitLab resolves it against the project directory (an absolute path gives a broken link) and
 * Jenkins' junit-attachments against the workspace. A file outside the working directory stays absolute,
 * the one form that still works there for Jenkins.
 */
function screenshotPath(evidence: unknown, reportDir: string | undefined, cwd: string): string | undefined {
  if (!evidence || typeof evidence !== 'object') return undefined
  const shot = (evidence as Record<string, unknown>).screenshot
  if (typeof shot !== 'string' || shot === '' || /^[a-z][a-z0-9+.-]*:/i.test(shot)) return undefined
  const abs = isAbsolute(shot) ? shot : resolve(reportDir ?? cwd, shot)
  const rel = relativeFile(abs, cwd)
  return rel.startsWith('../') || isAbsolute(rel) ? abs : rel
}

/** ISO-8601 with milliseconds and without zone (`2026-11-21T23:30:00.100`), in UTC; Jenkins reads it as UTC. */
function isoMillisNoZone(iso: string): string | undefined {
  const t = Date.parse(iso)
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().slice(0, 23)
}

/** A classname segment: runs of anything but `[A-Za-z0-9_-]` become `_`, so dots stay the only separators. */
function segment(value: string): string {
  const s = oneLine(value).replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '')
  return s || 'unknown'
}

function attr(value: string): string {
  return oneLine(value)
}

function text(value: string): string {
  return cleanText(value)
}
