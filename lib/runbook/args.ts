import { parseArgs } from 'node:util'
import { UsageError } from '../errors.ts'

/**
 * The command line every runbook understands, plus the runbook's own options. Parsing is strict:
 * an unknown option is a usage error (exit 2), never silently ignored.
 */

/** A runbook-specific option, e.g. rollback's `--to-version`. */
export interface RunbookOptionSpec {
  type: 'string' | 'boolean'
  /** One line for `--help`. */
  description: string
  /** May be given several times (values collected in order). */
  multiple?: boolean
}

export interface RunbookFlags {
  /** `--target NAME|PATH`; undefined when not given (the runbook's default applies). */
  target?: string
  dryRun: boolean
  yes: boolean
  /** `--from STEP`: a 1-based step number or a step title (or its slug). */
  from?: string
  /** `--only STEP[,STEP]`. */
  only: string[]
  noRollback: boolean
  /** `--undo-on-interrupt`: run the undo handlers after Ctrl-C too (default: none run). */
  undoOnInterrupt: boolean
  reportDir?: string
  /** `--state DIR`: report directory of the run that `--from` resumes (default: the newest one of this runbook and target). */
  state?: string
  /** `--fault NAME` (repeatable, comma lists allowed): sandbox faults, sandbox targets only. */
  faults: string[]
  /** `--no-color`: no colours, whatever NO_COLOR, FORCE_COLOR and the terminal say (lib/terminal.ts `colorLevel`). */
  noColor: boolean
  help: boolean
  /** Values of the runbook's own options, by long name. */
  extra: Record<string, string | boolean | string[] | undefined>
}

const COMMON = {
  target: { type: 'string', description: 'target name (smoke/targets/NAME.yaml) or path to a target file' },
  'dry-run': { type: 'boolean', description: 'print the plan: every step, its commands and API calls (server-side dry run); change nothing' },
  yes: { type: 'boolean', description: 'confirm destructive steps and checklist items by flag (required without a terminal)' },
  from: { type: 'string', description: 'resume a failed run from STEP (number or title), reading its state.json' },
  only: { type: 'string', description: 'run only STEP (number or title; comma-separated list allowed)' },
  'no-rollback': { type: 'boolean', description: 'on failure, do not run the undo handlers' },
  'undo-on-interrupt': { type: 'boolean', description: 'run the undo handlers after Ctrl-C too (default: stop without undo)' },
  'report-dir': { type: 'string', description: 'write reports here (default reports/<runbook>-<target>-<UTC timestamp>/)' },
  state: { type: 'string', description: 'with --from: report directory of the run to resume (default: the newest for this runbook and target)' },
  fault: { type: 'string', multiple: true, description: 'sandbox fault to switch on (sandbox targets only; repeatable)' },
  'no-color': { type: 'boolean', description: 'no colours (also NO_COLOR=1; FORCE_COLOR=1 colours without a terminal)' },
  help: { type: 'boolean', description: 'show this help' },
} as const satisfies Record<string, RunbookOptionSpec>

/** Parses argv (without node and the script). Throws UsageError for unknown options or missing values. */
export function parseRunbookArgs(argv: readonly string[], extra: Record<string, RunbookOptionSpec> = {}): RunbookFlags {
  for (const name of Object.keys(extra)) if (Object.hasOwn(COMMON, name)) throw new UsageError(`runbook option --${name} clashes with a common option`)
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {}
  for (const [name, spec] of Object.entries({ ...COMMON, ...extra })) options[name] = { type: spec.type, ...('multiple' in spec && spec.multiple ? { multiple: true } : {}) }
  options.help = { type: 'boolean', short: 'h' }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }) as unknown as { values: typeof values; positionals: string[] })
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''), { cause: err })
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument(s): ${positionals.join(' ')}`)
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined)
  const flags: RunbookFlags = {
    dryRun: values['dry-run'] === true,
    yes: values.yes === true,
    only: (str('only') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    noRollback: values['no-rollback'] === true,
    undoOnInterrupt: values['undo-on-interrupt'] === true,
    faults: ((values.fault as string[] | undefined) ?? []).flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean),
    noColor: values['no-color'] === true,
    help: values.help === true,
    extra: {},
  }
  for (const k of ['target', 'from', 'state'] as const) {
    const v = str(k)
    if (v !== undefined) flags[k] = v
  }
  const rd = str('report-dir')
  if (rd !== undefined) flags.reportDir = rd
  if (flags.from && flags.only.length > 0) throw new UsageError('--from and --only cannot be combined')
  if (flags.state && !flags.from) throw new UsageError('--state is only meaningful with --from')
  for (const name of Object.keys(extra)) flags.extra[name] = values[name] as RunbookFlags['extra'][string]
  return flags
}

/**
 * `--help` text: usage line, the runbook's own options, then the common ones, then the sandbox faults
 * `--fault` accepts (name → what it does; none listed when empty), then exit codes.
 */
export function runbookUsage(script: string, title: string, extra: Record<string, RunbookOptionSpec> = {}, faults: Readonly<Record<string, string>> = {}): string {
  const line = (name: string, spec: RunbookOptionSpec) => `  --${(name + (spec.type === 'string' ? ' VALUE' : '')).padEnd(22)} ${spec.description}`
  const own = Object.entries(extra)
  return [
    `${title}`,
    '',
    `Usage: npx zx ${script} --target NAME [options]`,
    '',
    ...(own.length ? ['Options of this runbook:', ...own.map(([n, s]) => line(n, s)), ''] : []),
    'Common options:',
    ...Object.entries(COMMON).map(([n, s]) => line(n, s)),
    '',
    ...(Object.keys(faults).length ? ['Sandbox faults (--fault NAME):', ...Object.entries(faults).map(([n, d]) => `  ${n.padEnd(24)} ${d}`), ''] : []),
    'Exit codes: 0 done and verified, 1 a step or check failed (rolled back unless --no-rollback),',
    '2 usage or configuration error, or refused (nothing was changed), 130 interrupted (reports still written).',
  ].join('\n')
}

/** Arguments meant for the script: after `zx <script>` or `node <script>`. */
export function scriptArgv(argv: readonly string[] = process.argv): string[] {
  const i = argv.findIndex((a, n) => n >= 1 && /\.(m?[jt]s|cjs)$/.test(a) && !/[\\/]zx[\\/]build[\\/]cli\.[cm]?js$/.test(a) && !/[\\/]bin[\\/]zx(\.[cm]?js)?$/.test(a))
  return i === -1 ? argv.slice(2) : argv.slice(i + 1)
}

/** Slug of a step title, for `--from`/`--only`: `Apply manifests` → `apply-manifests`. */
export function stepSlug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
}

/** Does a `--from`/`--only` selector name this step? Number, exact slug, or exact title (case-insensitive). */
export function matchesStep(selector: string, index: number, title: string): boolean {
  const s = selector.trim()
  if (/^\d+$/.test(s)) return Number(s) === index
  return stepSlug(s) === stepSlug(title)
}
