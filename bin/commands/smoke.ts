import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { isGitHubActions, reportAnnotations } from '../../lib/ci.ts'
import { UsageError } from '../../lib/errors.ts'
import { redactor } from '../../lib/redact.ts'
import { RUNNER_DEFAULTS } from '../../lib/runner.ts'
import { closingLine, TerminalReporter } from '../../lib/terminal.ts'
import { runSmoke } from '../../smoke/run.ts'
import { scaleOptions, scaleOutcomeLines, SCALE_HELP, compactReportLine } from './smoke-scale.ts'
import { sandboxFaults } from '../../sandbox/catalog.ts'
import type { Command } from '../cli.ts'

/** `text` in lines of at most `width` columns, each indented by `indent` spaces. */
function wrap(text: string, indent: number, width: number): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines.map((l) => ' '.repeat(indent) + l).join('\n')
}

const HELP = `Usage: runbook-kit smoke --target <name|path> [options]

Runs a target's smoke suite: every check concurrently, with timeouts and retries; writes
junit.xml, report.md and report.json; exits 0 when all passed.

Options:
  -t, --target <name|path>  target name (smoke/targets/<name>.yaml in the current folder,
                            then the built-in targets, e.g. "sandbox") or a path to a .yaml file
                            (required)
  -o, --report-dir <dir>    where to write the reports
                            (default: reports/<target>-<UTC timestamp>/)
      --only <id,...>       run only these check ids (default: all)
  -c, --concurrency <n>     maximum checks in flight (default: ${RUNNER_DEFAULTS.concurrency}, or the target's
                            "concurrency")
      --fault <name>        sandbox targets only: switch on a sandbox fault; repeatable or
${wrap(`comma-separated (default: none). Faults: ${Object.keys(sandboxFaults('smoke')).join(', ')}`, 28, 94)}
      --json                print report.json to stdout instead of the progress lines
${SCALE_HELP}
      --no-color            no colours (also NO_COLOR=1; FORCE_COLOR=1 colours without a TTY)
  -h, --help                show this help

Secrets: write env:NAME in the target file; values are read from the environment and
masked (***) in every line printed and every report written.

Exit codes: 0 all checks passed; 1 a check failed or errored; 2 usage or configuration
error (nothing was checked); 130 interrupted (reports are still written).`

/** After a second SIGINT/SIGTERM, how long writing the reports and stopping the sandbox may still take, ms. */
const LEAVE_WITHIN_MS = 10_000

export const command: Command = {
  summary: "run a target's smoke suite",
  async main(argv) {
    let values
    try {
      ;({ values } = parseArgs({
        args: argv,
        options: {
          target: { type: 'string', short: 't' },
          'report-dir': { type: 'string', short: 'o' },
          only: { type: 'string', multiple: true },
          concurrency: { type: 'string', short: 'c' },
          fault: { type: 'string', multiple: true },
          json: { type: 'boolean', default: false },
          'no-color': { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
          ...scaleOptions.parseArgs,
        },
        allowPositionals: false,
        strict: true,
      }))
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\nRun "runbook-kit smoke --help" for the options.`)
    }
    if (values.help) {
      process.stdout.write(HELP + '\n')
      return 0
    }
    if (!values.target) throw new UsageError('missing --target <name|path> (e.g. --target sandbox)\nRun "runbook-kit smoke --help" for the options.')
    let concurrency: number | undefined
    if (values.concurrency !== undefined) {
      concurrency = Number(values.concurrency)
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a positive integer, got "${values.concurrency}"`)
    }
    const split = (xs: string[] | undefined) => (xs ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)
    const scale = scaleOptions.resolve(values, process.env)
    const out = values.json ? process.stderr : process.stdout
    const term = new TerminalReporter({ stream: out, redactor, color: values['no-color'] ? false : undefined })

    // First SIGINT/SIGTERM: stop in-flight checks (or the sandbox start-up), write the reports, stop
    // the sandbox, exit 130. A second one does not abandon the reports: it only bounds the wait, so the
    // process leaves within LEAVE_WITHIN_MS (the sandbox's processes are then killed on the way out).
    const controller = new AbortController()
    let signals = 0
    const onSignal = (sig: NodeJS.Signals) => {
      signals++
      if (signals === 1) {
        term.line(`\n${sig}: stopping in-flight checks; then the reports are written and the sandbox stopped… (again to leave within ${LEAVE_WITHIN_MS / 1000} s)`)
        controller.abort()
      } else if (signals === 2) {
        term.line(`\n${sig} again: writing the reports and stopping the sandbox; leaving within ${LEAVE_WITHIN_MS / 1000} s`)
        setTimeout(() => {
          process.stderr.write(`runbook-kit smoke: could not finish within ${LEAVE_WITHIN_MS / 1000} s after the second ${sig}; leaving now\n`)
          process.exit(130)
        }, LEAVE_WITHIN_MS).unref()
      }
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      const outcome = await runSmoke({
        target: values.target,
        reportDir: values['report-dir'],
        only: split(values.only),
        concurrency,
        faults: split(values.fault),
        signal: controller.signal,
        onEvent: term.onEvent,
        command: ['runbook-kit', 'smoke', ...argv].join(' '),
        ...scale.smoke,
        onStart: ({ target, checks, sandbox, shard }) => {
          const where = sandbox ? ` (sandbox at ${sandbox.httpsUrl}${sandbox.faults.length ? `, faults: ${sandbox.faults.join(', ')}` : ''})` : ''
          term.begin(`Smoke suite "${target.name}": ${checks.length} check${checks.length === 1 ? '' : 's'}${where}`, checks.length, checks.map((c) => c.id))
          if (shard) term.line(scaleOutcomeLines.shard(shard))
        },
      })
      term.end()
      term.endGroup()
      const { report, reports } = outcome
      // GitHub Actions: an annotation per failing check on its target-file line (redacted before escaping).
      if (isGitHubActions()) for (const a of reportAnnotations(redactor.redactDeep(report))) term.line(a)
      if (report.meta.verdict === 'config-error') {
        process.stderr.write(redactor.redact(`runbook-kit smoke: configuration error: ${report.meta.error}\n`))
      } else if (report.meta.error && report.meta.error !== outcome.writeError) {
        process.stderr.write(redactor.redact(`runbook-kit smoke: ${report.meta.error}\n`))
      }
      // The same redacted bytes as report.json (the in-memory report still holds resolved secrets).
      if (values.json) process.stdout.write(reports ? await readFile(reports.json, 'utf8') : JSON.stringify(redactor.redactDeep(report), null, 2) + '\n')
      if (report.meta.verdict === 'interrupted') term.line('Interrupted: checks still running were stopped and are marked in the reports.')
      if (report.summary.error > 0) term.line(`(${report.summary.error} of the failed could not be checked: status "error")`)
      // A configuration error checked nothing: no "0 passed, 0 failed" line that a reader could take for a result.
      if (report.meta.verdict !== 'config-error') term.line(closingLine(report.summary))
      if (reports) {
        term.line(`Reports: ${reports.junit}\n         ${reports.markdown}\n         ${reports.json}`)
        if (reports.stepSummaryError) process.stderr.write(redactor.redact(`runbook-kit smoke: warning: ${reports.stepSummaryError}\n`))
      }
      if (outcome.writeError) {
        process.stderr.write(redactor.redact(`runbook-kit smoke: REPORTS NOT WRITTEN: ${outcome.writeError}\n`))
        process.stderr.write(outcome.fallbackDir ? `runbook-kit smoke: THE RECORD OF THIS RUN IS IN ${outcome.fallbackDir}/ (the run fails for the lost reports)\n` : 'runbook-kit smoke: the record of this run could not be written anywhere\n')
      }
      scaleOutcomeLines.metrics(outcome.metrics, term, redactor)
      // Last, after every other stdout line: `kubectl logs` of a shard's pod ends with its report.
      if (scale.jsonLastLine) process.stdout.write(await compactReportLine(reports?.json, report, redactor))
      return outcome.exitCode
    } finally {
      term.end()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  },
}
