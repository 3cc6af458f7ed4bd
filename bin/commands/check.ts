import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse as parseYamlValue } from 'yaml'
import { ajvProblems, compileSchema } from '../../lib/config.ts'
import { parseDuration } from '../../lib/duration.ts'
import { ConfigError, UsageError } from '../../lib/errors.ts'
import { redactor } from '../../lib/redact.ts'
import type { CheckResult } from '../../lib/result.ts'
import { runChecks, type CheckSpec } from '../../lib/runner.ts'
import { closingLine, TerminalReporter } from '../../lib/terminal.ts'
import { KIND_NAMES, loadKind, loadKinds } from '../../smoke/kinds/index.ts'
import type { BuildContext, CheckKind } from '../../smoke/kinds/types.ts'
import { kindEntrySchema } from '../../smoke/target.ts'
import type { Command } from '../cli.ts'

/** `maxLatency` → `max-latency`, `onNaN` → `on-nan`. */
function kebab(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
}
function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())
}

async function generalHelp(): Promise<string> {
  const KINDS = await loadKinds()
  const width = Math.max(...KINDS.map((k) => k.kind.length))
  return [
    'Usage: runbook-kit check <kind> [<argument>] [--<option> <value>...] [--json]',
    '',
    'Runs one check and prints its verdict and evidence. The options are the same names as the',
    "kind's fields in a target file (camelCase or kebab-case; nested fields as --expect.status).",
    '',
    'Kinds:',
    ...KINDS.map((k) => `  ${k.kind.padEnd(width)}  ${k.positional ? `<${k.positional}>  ` : ''}${k.description}`),
    '',
    'Run `runbook-kit check <kind> --help` for the options of one kind.',
  ].join('\n')
}

function kindHelp(k: CheckKind): string {
  const lines = [`Usage: runbook-kit check ${k.kind}${k.positional ? ` <${k.positional}>` : ''} [options]`, '', k.description, '', 'Options (same as the target-file fields):']
  const aliasesFor = (prop: string) => Object.entries(k.aliases ?? {}).filter(([, p]) => p === prop).map(([a]) => `--${a}`)
  for (const [name, schema] of Object.entries(k.properties)) {
    const s = schema as { description?: string; default?: unknown; type?: unknown }
    const req = k.required?.includes(name) ? ' (required)' : ''
    const def = s.default !== undefined ? ` (default: ${JSON.stringify(s.default)})` : ''
    const extra = aliasesFor(name)
    lines.push(`  --${kebab(name)}${extra.length ? `, ${extra.join(', ')}` : ''}`.padEnd(34) + `${s.description ?? ''}${def}${req}`)
  }
  for (const [alias, path] of Object.entries(k.aliases ?? {})) {
    if (!path.includes('.')) continue
    lines.push(`  --${alias}`.padEnd(34) + `sets ${path}`)
  }
  lines.push(
    '',
    'Common options:',
    '  --<field>-env <NAME>              read a secret field from environment variable NAME (e.g. --secret-env)',
    '  --timeout <duration>              per-attempt timeout (default: 30s)',
    '  --eventually <duration>           retry until it passes or this much time passes',
    '  --interval <duration>             pause between retries (default: 1s)',
    '  --report-dir <dir>                where artifacts (e.g. screenshots) go (default: a temp dir)',
    '  --json                            print the result as JSON',
    '',
    'Exit codes: 0 passed, 1 failed, 2 usage or configuration error.',
  )
  return lines.join('\n')
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let cur = obj
  for (const p of parts.slice(0, -1)) {
    if (!cur[p] || typeof cur[p] !== 'object') cur[p] = {}
    cur = cur[p] as Record<string, unknown>
  }
  const last = parts[parts.length - 1]!
  const prev = cur[last]
  // Repeated options collect into a list (e.g. --require a --require b).
  cur[last] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value]
}

/** `200` → 200, `[200, 204]` → array, `true` → true; anything else stays a string. */
function coerce(raw: string): unknown {
  try {
    const v: unknown = parseYamlValue(raw)
    return v === null ? raw : v
  } catch {
    return raw
  }
}

export const command: Command = {
  summary: 'run one check from the terminal',
  async main(argv) {
    const [kindName, ...rest] = argv
    if (!kindName || kindName === '--help' || kindName === '-h') {
      process.stdout.write((await generalHelp()) + '\n')
      return kindName ? 0 : 2
    }
    const kind = await loadKind(kindName)
    if (!kind) throw new UsageError(`unknown check kind "${kindName}" (expected one of: ${KIND_NAMES.join(', ')})`)
    const entry: Record<string, unknown> = { id: `check.${kind.kind}`, kind: kind.kind }
    const common: Record<string, string> = {}
    let json = false
    const positionals: string[] = []
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i]!
      if (arg === '--help' || arg === '-h') {
        process.stdout.write(kindHelp(kind) + '\n')
        return 0
      }
      if (arg === '--json') {
        json = true
        continue
      }
      if (!arg.startsWith('--')) {
        positionals.push(arg)
        continue
      }
      let name = arg.slice(2)
      let value: string | undefined
      const eq = name.indexOf('=')
      if (eq >= 0) {
        value = name.slice(eq + 1)
        name = name.slice(0, eq)
      }
      const takeValue = () => {
        if (value !== undefined) return value
        const next = rest[i + 1]
        if (next === undefined || next.startsWith('--')) return undefined
        i++
        return next
      }
      if (['timeout', 'eventually', 'interval', 'report-dir'].includes(name)) {
        const v = takeValue()
        if (v === undefined) throw new UsageError(`--${name} needs a value`)
        common[name] = v
        continue
      }
      const aliased = kind.aliases?.[name]
      // Top-level names are matched against the kind's own properties, so acronyms survive (on-nan → onNaN).
      const byKebab = (seg: string) => Object.keys(kind.properties).find((p) => p === seg || kebab(p) === seg) ?? camel(seg)
      let path = aliased ?? name.split('.').map((seg, i) => (i === 0 ? byKebab(seg) : camel(seg))).join('.')
      let isEnv = false
      if (!aliased && name.endsWith('-env')) {
        path = byKebab(name.slice(0, -4))
        isEnv = true
      }
      const top = path.split('.')[0]!
      if (!Object.hasOwn(kind.properties, top)) {
        throw new UsageError(`unknown option --${name} for "check ${kind.kind}" (run "runbook-kit check ${kind.kind} --help")`)
      }
      const propType = (kind.properties[top] as { type?: unknown }).type
      const v = takeValue()
      if (v === undefined) {
        if (propType === 'boolean' && !isEnv) {
          setPath(entry, path, true)
          continue
        }
        throw new UsageError(`--${name} needs a value`)
      }
      if (isEnv) {
        const secret = process.env[v]
        if (secret === undefined || secret === '') throw new ConfigError(`environment variable ${v} is not set (--${name} ${v})`)
        redactor.add(secret)
        setPath(entry, path, secret)
      } else {
        setPath(entry, path, propType === 'string' ? v : coerce(v))
      }
    }
    if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`)
    if (positionals.length === 1) {
      if (!kind.positional) throw new UsageError(`"check ${kind.kind}" takes no positional argument (got "${positionals[0]}")`)
      entry[kind.positional] = positionals[0]
    }
    const validate = compileSchema(kindEntrySchema(kind))
    if (!validate(entry)) {
      const problems = ajvProblems(validate.errors).map((p) => ({ ...p, path: p.path && !p.path.startsWith('(document)') ? `--${p.path.split('.').map(kebab).join('.')}` : 'options' }))
      throw new ConfigError(`invalid options for "check ${kind.kind}"`, { problems })
    }
    const reportDir = resolve(common['report-dir'] ?? join(tmpdir(), `runbook-kit-check-${process.pid}`))
    const ctx: BuildContext = {
      target: 'cli',
      targetFile: join(process.cwd(), 'cli'),
      tls: {},
      reportDir,
      redactor,
      resolvePath: (p) => resolve(p),
    }
    if (common.timeout) ctx.timeoutMs = parseDuration(common.timeout)
    const spec: CheckSpec = { ...kind.build(entry as never, ctx), id: entry.id as string, title: kind.title(entry as never, ctx), kind: kind.kind }
    if (common.timeout) spec.timeoutMs = parseDuration(common.timeout)
    if (common.eventually) spec.eventually = { timeoutMs: parseDuration(common.eventually), intervalMs: common.interval ? parseDuration(common.interval) : undefined }

    const controller = new AbortController()
    const onSignal = () => controller.abort()
    process.once('SIGINT', onSignal)
    const term = new TerminalReporter({ stream: json ? process.stderr : process.stdout, redactor, live: false })
    try {
      const outcome = await runChecks([spec], { concurrency: 1, signal: controller.signal, onEvent: json ? undefined : term.onEvent })
      const result = redactor.redactDeep(outcome.results[0]!) as CheckResult
      if (json) {
        process.stdout.write(JSON.stringify(result, null, 2) + '\n')
      } else {
        for (const line of evidenceLines(result.evidence)) term.line(`        ${line}`)
        term.line(closingLine({ pass: 0, fail: 0, error: 0, skip: 0, [result.status]: 1 }))
      }
      if (outcome.interrupted) return 130
      return result.status === 'pass' || result.status === 'skip' ? 0 : 1
    } finally {
      process.off('SIGINT', onSignal)
    }
  },
}

/** Evidence as `key: value` lines; nested values as compact JSON. */
export function evidenceLines(evidence: unknown, max = 60): string[] {
  if (!evidence || typeof evidence !== 'object') return []
  const lines: string[] = []
  for (const [k, v] of Object.entries(evidence)) {
    if (v === undefined) continue
    const text = typeof v === 'string' ? v : JSON.stringify(v)
    lines.push(`${k}: ${text.length > 300 ? text.slice(0, 300) + '…' : text}`)
    if (lines.length >= max) break
  }
  return lines
}
