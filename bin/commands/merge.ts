import { constants } from 'node:fs'
import { access, mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { errorMessage, UsageError } from '../../lib/errors.ts'
import { redactor } from '../../lib/redact.ts'
import { parseReport } from '../../lib/report/json.ts'
import { mergeShards, type ShardInput } from '../../lib/report/merge.ts'
import { REPORT_FILES, writeReports } from '../../lib/report/write.ts'
import { closingLine } from '../../lib/terminal.ts'
import { checkMetricsTargets, publishMetrics } from '../../smoke/publish-metrics.ts'
import type { Command } from '../cli.ts'
import { scaleOutcomeLines } from './smoke-scale.ts'

const HELP = `Usage: runbook-kit merge <dir|file>... --report-dir <out> [options]

Merges the reports of one sharded run (smoke --shard i/n) into one run: junit.xml, report.md and
report.json in <out>, with summed counts, one verdict and exit code, each shard's metadata kept and
report.md's SHA-256 of report.json recomputed.

Inputs:
  <dir>                     a shard's report directory (its report.json), or a folder of them
                            (e.g. downloaded CI artifacts: shards/smoke-shard-1/report.json, ...)
  <file>                    a report.json, or a log whose lines include reports printed by
                            smoke --json-last-line (e.g. the output of kubectl logs for the Job's pods)

Options:
  -o, --report-dir <dir>    where to write the merged reports (required)
      --metrics-file <path> also write the merged results as Prometheus text (*.prom)
      --pushgateway <url>   also PUT them to a Pushgateway (group job/runbook_kit/target/<t>)
  -h, --help                show this help

The inputs must be exactly shards 1..n of one target: a shard given twice, a missing shard,
different shard counts or targets, or a check id in two shards is an error (exit 2, nothing written).

Exit codes: 0 every shard passed; 1 a check failed or errored; 2 unusable input (nothing merged),
or a shard had a configuration error; 130 a shard was interrupted.`

export const command: Command = {
  summary: 'merge the reports of a sharded run into one',
  async main(argv) {
    let parsed
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          'report-dir': { type: 'string', short: 'o' },
          'metrics-file': { type: 'string' },
          pushgateway: { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
        allowPositionals: true,
        strict: true,
      })
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\nRun "runbook-kit merge --help" for the options.`)
    }
    const { values, positionals } = parsed
    if (values.help) {
      process.stdout.write(HELP + '\n')
      return 0
    }
    if (positionals.length === 0) throw new UsageError('give the shard report directories to merge, e.g. runbook-kit merge shards/* --report-dir reports/merged')
    if (!values['report-dir']) throw new UsageError('missing --report-dir <out> (where the merged reports go)')
    const out = resolve(values['report-dir'])
    if (values.pushgateway) redactor.addUrlCredentials(values.pushgateway)
    const metrics = values['metrics-file'] !== undefined || values.pushgateway !== undefined
      ? await checkMetricsTargets({ metricsFile: values['metrics-file'], pushgateway: values.pushgateway }, process.cwd())
      : undefined

    const { inputs, problems } = await readInputs(positionals)
    const merged = problems.length === 0 ? mergeShards(inputs) : { ok: false as const, problems }
    if (!merged.ok) {
      process.stderr.write(redactor.redact(`runbook-kit merge: cannot merge (nothing written):\n${merged.problems.map((p) => `  - ${p}`).join('\n')}\n`))
      return 2
    }
    const { report } = merged
    const shards = report.meta.shards ?? []
    process.stdout.write(`Merged ${shards.length} shard${shards.length === 1 ? '' : 's'} of "${report.meta.target}":\n`)
    for (const [k, s] of shards.entries()) {
      const n = s.shard ? s.shard.ids.length : 0
      process.stdout.write(`  shard ${s.shard?.index ?? k + 1}/${s.shard?.total ?? shards.length}: ${n} check${n === 1 ? '' : 's'}, ${s.verdict} (exit ${s.exitCode}), ${s.host}, from ${inputs.find((i) => i.report.meta.runId === s.runId)?.source ?? s.runId}\n`)
    }
    for (const w of merged.warnings) process.stderr.write(redactor.redact(`runbook-kit merge: warning: ${w}\n`))
    if (metrics) {
      const published = await publishMetrics(report, metrics)
      if (published.warnings.length) report.meta.warnings = [...(report.meta.warnings ?? []), ...published.warnings]
      scaleOutcomeLines.metrics(published, { line: (t) => process.stdout.write(redactor.redact(t) + '\n') }, redactor)
    }
    try {
      await mkdir(out, { recursive: true })
      await access(out, constants.W_OK)
    } catch (err) {
      throw new UsageError(`cannot use report directory ${out}: ${errorMessage(err)}`, { cause: err })
    }
    const written = await writeReports(out, report, redactor)
    if (report.meta.error) process.stderr.write(redactor.redact(`runbook-kit merge: ${report.meta.error}\n`))
    process.stdout.write(`${closingLine(report.summary)}\n`)
    process.stdout.write(`Reports: ${written.junit}\n         ${written.markdown}\n         ${written.json}\n`)
    return report.meta.exitCode
  },
}

/** Reads every input; a path that is unreadable or holds no report is a problem naming it. */
async function readInputs(paths: readonly string[]): Promise<{ inputs: ShardInput[]; problems: string[] }> {
  const inputs: ShardInput[] = []
  const problems: string[] = []
  for (const p of paths) {
    try {
      const st = await stat(p)
      if (st.isDirectory()) {
        const own = join(p, REPORT_FILES.json)
        if (await exists(own)) {
          inputs.push({ source: p, report: parseReport(await readFile(own, 'utf8'), own) })
          continue
        }
        // A folder of shard folders (e.g. CI artifacts downloaded side by side).
        const subs = (await readdir(p, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => join(p, d.name)).sort()
        const found = []
        for (const s of subs) if (await exists(join(s, REPORT_FILES.json))) found.push(s)
        if (found.length === 0) problems.push(`${p}: no ${REPORT_FILES.json} in it or in its subfolders`)
        for (const s of found) inputs.push({ source: s, report: parseReport(await readFile(join(s, REPORT_FILES.json), 'utf8'), join(s, REPORT_FILES.json)) })
      } else {
        inputs.push(...reportsInFile(p, await readFile(p, 'utf8')))
      }
    } catch (err) {
      problems.push(`${p}: ${errorMessage(err)}`)
    }
  }
  return { inputs, problems }
}

/** A report.json, or every `--json-last-line` report in a log (a line prefix such as kubectl's `[pod/...]` is skipped). */
function reportsInFile(path: string, text: string): ShardInput[] {
  const trimmed = text.trim()
  if (trimmed.startsWith('{') && !trimmed.includes('\n{"schemaVersion"')) {
    try {
      return [{ source: path, report: parseReport(trimmed, path) }]
    } catch {
      // not one JSON document: read it as a log below
    }
  }
  const found: ShardInput[] = []
  text.split('\n').forEach((line, i) => {
    const at = line.indexOf('{"schemaVersion":')
    if (at < 0) return
    found.push({ source: `${path}:${i + 1}`, report: parseReport(line.slice(at).trim(), `${path} line ${i + 1}`) })
  })
  if (found.length === 0) throw new Error('neither a report.json nor a log with report lines (smoke --json-last-line prints them)')
  return found
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p)
    return true
  } catch {
    return false
  }
}
