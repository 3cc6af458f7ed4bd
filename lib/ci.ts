import { relativeFile, resultLocation } from './report/location.ts'
import type { RunReport, SourceLocation, StepRecord } from './report/model.ts'
import { cleanText, oneLine } from './report/text.ts'
import type { CheckResult } from './result.ts'

/**
 * GitHub Actions workflow commands: annotations (`::error file=…,line=…,title=…::message`) that GitHub
 * shows on the run, the pull request's files and the job log, and `::group::`/`::endgroup::` to fold a
 * part of the log. Pure functions returning lines: the callers print them (through the redactor) and
 * pass data that is already redacted, since escaping changes how a secret is spelled.
 * https://docs.github.com/actions/reference/workflow-commands-for-github-actions
 */

/** True inside a GitHub Actions job (`GITHUB_ACTIONS=true`, which the runner always sets). */
export function isGitHubActions(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true'
}

/** A command's message: `%`, CR and LF percent-encoded, as @actions/core's `escapeData` does. */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** A command's property value: as `escapeData`, plus `:` and `,`, which end a property (`escapeProperty`). */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

export type AnnotationLevel = 'error' | 'warning' | 'notice'

export interface AnnotationProperties {
  /** Shown as the annotation's heading. */
  title?: string
  /** Path relative to the repository root (the job's working directory), `/`-separated. */
  file?: string
  /** 1-based; GitHub ignores it without `file`. */
  line?: number
  endLine?: number
}

/** `::error file=…,line=…,title=…::message`. Control characters and ANSI codes are removed first. */
export function annotation(level: AnnotationLevel, message: string, props: AnnotationProperties = {}): string {
  const parts: string[] = []
  if (props.file) parts.push(`file=${escapeProperty(oneLine(props.file))}`)
  if (props.file && props.line && Number.isInteger(props.line) && props.line > 0) {
    parts.push(`line=${props.line}`)
    if (props.endLine && Number.isInteger(props.endLine) && props.endLine >= props.line) parts.push(`endLine=${props.endLine}`)
  }
  if (props.title) parts.push(`title=${escapeProperty(oneLine(props.title))}`)
  return `::${level}${parts.length ? ` ${parts.join(',')}` : ''}::${escapeData(cleanText(message))}`
}

/** Opens a collapsible log group (GitHub does not nest them: open the next only after `groupEnd()`). */
export function groupStart(title: string): string {
  return `::group::${escapeData(oneLine(title))}`
}

export function groupEnd(): string {
  return '::endgroup::'
}

/** The group title of a runbook step, as the runbook's terminal names it: `[3] Apply manifests`. */
export function stepGroupStart(step: Pick<StepRecord, 'index' | 'label' | 'title'>): string {
  return groupStart(`[${step.label ?? step.index}] ${step.title}`)
}

/** `::error` on the runbook line of a step that failed or errored; nothing for the other statuses. */
export function stepAnnotations(step: StepRecord): string[] {
  if (step.status !== 'fail' && step.status !== 'error') return []
  const at: SourceLocation = step.file ? { file: step.file, ...(step.line ? { line: step.line } : {}) } : {}
  return [annotation('error', step.message || step.status, { ...at, title: `step ${step.label ?? step.index}: ${step.title}` })]
}

/**
 * `::error` for a check that failed or errored (title = its id; not for one cut short by an interrupt,
 * which the run's warning covers), and `::warning` per warning, at `at`.
 */
export function resultAnnotations(r: CheckResult, at: SourceLocation = {}): string[] {
  const out: string[] = []
  if ((r.status === 'fail' || r.status === 'error') && !r.interrupted) out.push(annotation('error', r.message || r.status, { ...at, title: r.id }))
  for (const w of r.warnings ?? []) out.push(annotation('warning', w, { ...at, title: r.id }))
  return out
}

export interface ReportAnnotationOptions {
  /** The run's working directory, for the target file of a configuration error. Default `process.cwd()`. */
  cwd?: string
}

/**
 * The annotations of a finished run, from its (redacted) report: `::error` per check that failed or
 * errored (title = the check id) and per failed step, on the file and line where it is written;
 * `::warning` per check warning and per warning of the run; one `::error` for a configuration error or a
 * fatal error; one `::warning` when the run was interrupted. GitHub shows the first 10 errors and 10
 * warnings of a step as annotations; every line stays in the log.
 */
export function reportAnnotations(report: RunReport, opts: ReportAnnotationOptions = {}): string[] {
  const { meta } = report
  const out: string[] = []
  const targetFile = meta.targetFile ? relativeFile(meta.targetFile, opts.cwd ?? process.cwd()) : undefined
  if (meta.error) {
    const line = Number(/\(line (\d+)\)/.exec(meta.error)?.[1] ?? 0) || undefined
    out.push(meta.verdict === 'config-error' ? annotation('error', meta.error, { file: targetFile, line, title: 'configuration error' }) : annotation('error', meta.error, { title: 'runbook-kit' }))
  }
  for (const r of report.results) out.push(...resultAnnotations(r, resultLocation(report, r)))
  for (const s of report.steps) if (!s.interrupted) out.push(...stepAnnotations(s))
  for (const w of meta.warnings ?? []) out.push(annotation('warning', w, { title: 'runbook-kit' }))
  if (meta.verdict === 'interrupted') {
    const cut = report.results.filter((r) => r.interrupted).length + report.steps.filter((s) => s.interrupted).length
    out.push(annotation('warning', `the run was interrupted; ${cut} ${cut === 1 ? 'check or step was' : 'checks or steps were'} stopped or not started (marked in the reports)`, { title: 'interrupted' }))
  }
  return out
}
