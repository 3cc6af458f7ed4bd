import { spawn as cpSpawn } from 'node:child_process'
import { $, type LogEntry, type Options as ZxOptions, type ProcessPromise } from 'zx'
import { InterruptedError } from '../errors.ts'
import type { CommandRecord } from '../report/model.ts'
import type { Redactor } from '../redact.ts'

/**
 * zx's `$`, wired for a runbook step: every command is recorded (command line redacted, exit code,
 * duration, the tail of stderr), killed when the run is interrupted, and in a dry run not executed
 * at all — the command line is recorded and printed, and a no-op process stands in for it so the
 * whole ProcessPromise API (`.timeout()`, `.nothrow()`, `.text()`) still works.
 */

/** Same call shapes as zx's `$`: a tagged template, or options returning a configured shell. */
export interface RecordingShell {
  (pieces: TemplateStringsArray, ...args: unknown[]): ProcessPromise
  (opts: Partial<ZxOptions>): RecordingShell
}

export interface RecordingShellOptions {
  /** Do not execute commands: record them with `dryRun: true` and exit code 0. */
  dryRun: boolean
  /** Aborting it kills the running command; later commands are refused with InterruptedError. */
  signal: AbortSignal
  redactor: Redactor
  /** Called when a command starts (or would start, in a dry run). Command already redacted. */
  onStart?: (command: string, dryRun: boolean) => void
  /** Called once per finished command with its record (already redacted). */
  onRecord: (record: CommandRecord) => void
  /** Lines of stderr kept in `stderrTail`. Default 20. */
  stderrTailLines?: number
  /** Base zx options (cwd, env, ...). */
  zx?: Partial<ZxOptions>
}

export const SHELL_DEFAULTS = Object.freeze({ stderrTailLines: 20 })

/** In a dry run zx spawns this instead of the shell: `true` exits 0 and does nothing. */
const dryRunSpawn = ((_cmd: string, _args: readonly string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; stdio?: unknown }) =>
  cpSpawn(process.execPath, ['-e', ''], { cwd: o.cwd, env: o.env, stdio: 'ignore' })) as unknown as typeof cpSpawn

export function createRecordingShell(opts: RecordingShellOptions, extra: Partial<ZxOptions> = {}): RecordingShell {
  const tailLines = opts.stderrTailLines ?? SHELL_DEFAULTS.stderrTailLines
  const shell = ((first: TemplateStringsArray | Partial<ZxOptions>, ...args: unknown[]) => {
    if (!isTemplate(first)) return createRecordingShell(opts, { ...extra, ...first })
    if (opts.signal.aborted) throw new InterruptedError('not starting a new command: the run was interrupted')
    const stderr = new Map<string, string[]>()
    const started = new Map<string, { cmd: string; at: number }>()
    const log = (entry: LogEntry): void => {
      if (entry.kind === 'cmd') {
        const cmd = opts.redactor.redact(entry.cmd)
        started.set(entry.id, { cmd, at: Date.now() })
        opts.onStart?.(cmd, opts.dryRun)
      } else if (entry.kind === 'stderr') {
        const chunks = stderr.get(entry.id) ?? []
        chunks.push(entry.data.toString())
        // Keep the buffer bounded: only the tail matters.
        if (chunks.length > 200) chunks.splice(0, chunks.length - 200)
        stderr.set(entry.id, chunks)
      } else if (entry.kind === 'end') {
        const s = started.get(entry.id)
        const record: CommandRecord = {
          command: s?.cmd ?? '(unknown command)',
          exitCode: opts.dryRun ? 0 : entry.exitCode,
          durationMs: opts.dryRun ? 0 : entry.duration,
        }
        if (opts.dryRun) record.dryRun = true
        const tail = tailOf((stderr.get(entry.id) ?? []).join(''), tailLines)
        if (!opts.dryRun && tail) record.stderrTail = opts.redactor.redact(tail)
        if (!opts.dryRun && entry.signal) record.stderrTail = [record.stderrTail, `killed by ${entry.signal}`].filter(Boolean).join('\n')
        opts.onRecord(record)
      }
    }
    const zxOpts: Partial<ZxOptions> = {
      quiet: true,
      verbose: false,
      ...opts.zx,
      ...extra,
      signal: extra.signal ? AbortSignal.any([extra.signal, opts.signal]) : opts.signal,
      log: log as ZxOptions['log'],
    }
    if (opts.dryRun) zxOpts.spawn = dryRunSpawn
    return ($(zxOpts as ZxOptions) as unknown as (p: TemplateStringsArray, ...a: unknown[]) => ProcessPromise)(first, ...args)
  }) as RecordingShell
  return shell
}

function isTemplate(x: unknown): x is TemplateStringsArray {
  return Array.isArray(x) && Object.hasOwn(x, 'raw')
}

/** Last `lines` non-empty lines of `text`, trimmed. */
export function tailOf(text: string, lines: number): string {
  const all = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  return all.slice(-lines).join('\n')
}
