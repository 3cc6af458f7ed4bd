import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ResultRecord, RunReport, SourceLocation } from './model.ts'

/**
 * Where a check or a step is written: the file relative to the working directory and the line, as
 * CI consumers want them (JUnit `file`/`line`, GitHub `::error file=…,line=…`). See model.ts
 * `SourceLocation`.
 */

/** runbook-kit's engine folder (`lib/`, or `dist/lib/` in the package): its frames are never a call site. */
const ENGINE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * `file` relative to `cwd`, with `/` separators: what GitLab, mikepenz/action-junit-report and GitHub
 * resolve against the checkout (the job's working directory). A file outside `cwd` keeps its `../`.
 */
export function relativeFile(file: string, cwd: string): string {
  const abs = isAbsolute(file) ? file : resolve(cwd, file)
  const rel = relative(cwd, abs)
  return (rel === '' ? abs : rel).split(sep).join('/')
}

/**
 * The caller of the engine, from an `Error().stack` taken inside it: the first frame that is not in
 * runbook-kit's `lib/`, in `node_modules` or in Node's internals. For `rb.step('…')` in a runbook that
 * is the runbook's line that called it (for a helper that calls `rb.step`, the helper's line). Empty
 * when the stack has no such frame (e.g. steps the engine makes itself during a rollback).
 */
export function callerLocation(stack: string | undefined, cwd: string, engineDir: string = ENGINE_DIR): SourceLocation {
  for (const frame of (stack ?? '').split('\n').slice(1)) {
    const m = /\(([^()]+):(\d+):\d+\)\s*$/.exec(frame) ?? /^\s*at (?:async )?(\S+):(\d+):\d+\s*$/.exec(frame)
    if (!m) continue
    let file = m[1]!
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file)
      } catch {
        continue
      }
    }
    if (!isAbsolute(file)) continue // node:internal/…, native, eval
    if (file === engineDir || file.startsWith(engineDir + sep) || file.split(sep).includes('node_modules')) continue
    return { file: relativeFile(file, cwd), line: Number(m[2]) }
  }
  return {}
}

/** Where a result is written: its own location, else (a runbook's check) that of the step that ran it. */
export function resultLocation(report: Pick<RunReport, 'steps'>, r: ResultRecord): SourceLocation {
  const from: SourceLocation | undefined = r.file ? r : report.steps.find((s) => s.file && s.checks.includes(r.id))
  if (!from?.file) return {}
  return from.line ? { file: from.file, line: from.line } : { file: from.file }
}
