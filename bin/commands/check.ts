import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { AnyCheckKind } from '../../checks/kind.ts'
import { isGitHubActions, resultAnnotations } from '../../lib/ci.ts'
import { ajvProblems, compileSchema } from '../../lib/config.ts'
import { ConfigError, OptionsError, renderOptionMessage, UsageError } from '../../lib/errors.ts'
import { redactor } from '../../lib/redact.ts'
import type { CheckResult } from '../../lib/result.ts'
import { runChecks } from '../../lib/runner.ts'
import { closingLine, TerminalReporter } from '../../lib/terminal.ts'
import { buildCheck } from '../../checks/build.ts'
import { KIND_NAMES, loadKind, loadKinds } from '../../checks/registry.ts'
import { kindEntrySchema } from '../../smoke/target-schema.ts'
import type { Command } from '../cli.ts'
import { flagFor, kebab, kindHelp, parseCheckArgs } from './check-options.ts'

async function generalHelp(): Promise<string> {
  const KINDS = await loadKinds()
  const width = Math.max(...KINDS.map((k) => k.kind.length))
  return [
    'Usage: runbook-kit check <kind> [<argument>] [--<option> <value>...] [--json] [--no-color]',
    '',
    'Runs one check and prints its verdict and evidence. The options are the same names as the',
    "kind's fields in a target file (kebab-case; nested fields as --expect.status; lists comma-separated).",
    '',
    'Kinds:',
    ...KINDS.map((k) => `  ${k.kind.padEnd(width)}  ${k.positional ? `<${kebab(k.positional)}>  ` : ''}${k.description}`),
    '',
    'Run `runbook-kit check <kind> --help` for the options of one kind.',
  ].join('\n')
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
    const args = parseCheckArgs(kind, rest, process.env, redactor)
    if (args.help) {
      process.stdout.write(kindHelp(kind) + '\n')
      return 0
    }
    const entry = { ...args.options, id: `check.${kind.kind}`, kind: kind.kind } as Record<string, unknown> & { id: string; kind: string }
    if (args.command.timeout) entry.timeout = args.command.timeout
    if (args.command.eventually) entry.eventually = { timeout: args.command.eventually, ...(args.command.interval ? { interval: args.command.interval } : {}) }
    const validate = compileSchema(kindEntrySchema(kind))
    if (!validate(entry)) {
      const problems = ajvProblems(validate.errors).map((p) => {
        const missing = /^missing required key "(.+)"$/.exec(p.message)
        const at = p.path.startsWith('(document)') ? [] : p.path.split(/\.|\[(\d+)\]/).filter(Boolean)
        if (missing) {
          const flag = flagFor(kind, [...at, missing[1]!])
          return { path: flag, message: `required${at.length === 0 && kind.positional === missing[1] ? ` (or give it as the argument: check ${kind.kind} <${missing[1]}>)` : ''}` }
        }
        return { ...p, path: at.length > 0 ? flagFor(kind, at) : 'options' }
      })
      throw new ConfigError(`invalid options for "check ${kind.kind}"`, { problems })
    }
    const reportDir = resolve(args.command['report-dir'] ?? join(tmpdir(), `runbook-kit-check-${process.pid}`))
    const spec = buildForCli(kind, entry, reportDir)
    // The library's import time is not part of the check's --timeout.
    await kind.preload?.().catch(() => undefined)

    const controller = new AbortController()
    const onSignal = () => controller.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const term = new TerminalReporter({ stream: args.json ? process.stderr : process.stdout, redactor, live: false, color: args.noColor ? false : undefined })
    try {
      const outcome = await runChecks([spec], { concurrency: 1, signal: controller.signal, onEvent: args.json ? undefined : term.onEvent })
      const result = redactor.redactDeep(outcome.results[0]!) as CheckResult
      if (args.json) {
        process.stdout.write(JSON.stringify(result, null, 2) + '\n')
      } else {
        for (const line of evidenceLines(result.evidence)) term.line(`        ${line}`)
        term.line(closingLine({ pass: 0, fail: 0, error: 0, skip: 0, [result.status]: 1 }))
      }
      if (isGitHubActions()) for (const a of resultAnnotations(result)) term.line(a)
      if (outcome.interrupted) return 130
      return result.status === 'pass' || result.status === 'skip' ? 0 : 1
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  },
}

/** The one build path, with the option problems named as this command's flags. */
function buildForCli(kind: AnyCheckKind, entry: Record<string, unknown> & { id: string; kind: string }, reportDir: string) {
  try {
    return buildCheck(kind, entry, { tls: {}, reportDir, redactor, resolvePath: (p) => resolve(p) })
  } catch (err) {
    if (err instanceof OptionsError) {
      const name = (path: (string | number)[]) => flagFor(kind, path)
      const problems = err.problems.map((p) => ({ path: p.path.length > 0 ? name(p.path) : 'options', message: renderOptionMessage(p.message, name) }))
      throw new ConfigError(`invalid options for "check ${kind.kind}"`, { problems })
    }
    throw err
  }
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
