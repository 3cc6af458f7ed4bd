import { errorMessage, RunbookKitError, UsageError } from '../lib/errors.ts'
import { redactor } from '../lib/redact.ts'
import { VERSION } from '../lib/version.ts'

/** A subcommand: parses its own arguments and returns the process exit code. */
export interface Command {
  summary: string
  main(argv: string[]): Promise<number>
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  smoke: async () => (await import('./commands/smoke.ts')).command,
  sandbox: async () => (await import('./commands/sandbox.ts')).command,
  check: async () => (await import('./commands/check.ts')).command,
  webhook: async () => (await import('./commands/webhook.ts')).command,
  merge: async () => (await import('./commands/merge.ts')).command,
}

function usage(): string {
  return [
    `runbook-kit ${VERSION} — deployment runbooks as executable, verifiable code`,
    '',
    'Usage: runbook-kit <command> [options]',
    '',
    'Commands:',
    '  smoke     run a target\'s smoke suite and write junit.xml, report.md, report.json',
    '  check     run one check from the terminal (check <kind> --help)',
    '  webhook   sign a test webhook delivery or verify a captured one',
    '  merge     merge the reports of a sharded run (smoke --shard i/n) into one',
    '  sandbox   run the built-in sandbox in the foreground',
    '',
    'Run `runbook-kit <command> --help` for its options.',
    'Exit codes: 0 all passed, 1 a check failed, 2 usage or configuration error, 130 interrupted.',
  ].join('\n')
}

/** Runs the CLI; returns the exit code. Errors are caught here, at the edge, and printed without a stack. */
export async function main(argv: string[]): Promise<number> {
  // `runbook-kit ... | head`: a closed pipe is the reader's choice, not a crash.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
      throw err
    })
  }
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n')
    return name ? 0 : 2
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(VERSION + '\n')
    return 0
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!load) {
    process.stderr.write(`runbook-kit: unknown command "${name}"\n\n${usage()}\n`)
    return 2
  }
  try {
    const command = await load()
    return await command.main(rest)
  } catch (err) {
    const text = redactor.redact(errorMessage(err))
    if (err instanceof RunbookKitError) {
      process.stderr.write(`runbook-kit ${name}: ${text}\n`)
      return err instanceof UsageError || err.code === 'RBK_CONFIG' || err.code === 'RBK_INVALID_ARGUMENT' ? 2 : 1
    }
    process.stderr.write(`runbook-kit ${name}: internal error: ${text}\n`)
    if (process.env.RUNBOOK_KIT_DEBUG) process.stderr.write(redactor.redact(String((err as Error)?.stack)) + '\n')
    return 1
  }
}
