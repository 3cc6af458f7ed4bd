import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../lib/report/model.ts'
import { shardOf } from '../../smoke/shard.ts'
import { junitXsd, runCli, type CliRun } from '../helpers/cli.ts'
import { junitCases, junitCounts, readReport, startLoopbackApp, verdicts, writeManyChecksTarget, type LoopbackApp } from '../helpers/scale.ts'
import { validateJunit } from '../lib/report/fixtures.ts'

// `smoke --shard i/n` then `merge`: the union of the shards is the unsharded run.

const work = mkdtempSync(join(tmpdir(), 'rbk-shard-cli-'))
const N_CHECKS = 15
let app: LoopbackApp
let target: string
let full: { run: CliRun; dir: string }
let shards: { run: CliRun; dir: string }[]

beforeAll(async () => {
  app = await startLoopbackApp()
  target = writeManyChecksTarget(work, app.url, N_CHECKS)
  const smoke = async (dir: string, ...extra: string[]) => ({ dir, run: await runCli(['smoke', '--target', target, '--report-dir', dir, ...extra], { timeoutMs: 90_000 }) })
  ;[full, ...shards] = await Promise.all([
    smoke(join(work, 'full')),
    ...[1, 2, 3].map((i) => smoke(join(work, `shard-${i}`), '--shard', `${i}/3`, '--json-last-line')),
  ])
}, 180_000)
afterAll(async () => {
  await app?.close()
  rmSync(work, { recursive: true, force: true })
})

const merge = (out: string, ...inputs: string[]) => runCli(['merge', ...inputs, '--report-dir', out], { timeoutMs: 60_000 })

describe('smoke --shard i/n', () => {
  it('runs a disjoint share in each shard, says so, and records meta.shard', () => {
    const ids = shards.map((s) => readReport(s.dir).meta.shard!.ids)
    expect(ids.flat().sort()).toEqual(readReport(full.dir).results.map((r) => r.id).sort())
    for (const [k, s] of shards.entries()) {
      const r = readReport(s.dir)
      expect(r.meta.shard).toEqual({ index: k + 1, total: 3, ids: r.results.map((x) => x.id), of: N_CHECKS, source: `--shard ${k + 1}/3` })
      expect(s.run.stdout).toContain(`Sharded: shard ${k + 1}/3 (--shard ${k + 1}/3): ${r.results.length} of ${N_CHECKS} checks`)
      expect(s.run.code).toBe(r.meta.exitCode)
    }
  })

  it('--json-last-line ends stdout with report.json on one line, the same data as the file', () => {
    for (const s of shards) {
      const lines = s.run.stdout.trimEnd().split('\n')
      const last = lines[lines.length - 1]!
      expect(JSON.parse(last)).toEqual(readReport(s.dir))
      expect(lines.slice(0, -1).some((l) => l.startsWith('{'))).toBe(false)
    }
  })

  it('an empty shard passes with 0 checks and says it had nothing to run', async () => {
    const all = Array.from({ length: N_CHECKS }, (_, i) => `check-${i}`)
    const total = 40
    const empty = Array.from({ length: total }, (_, k) => k + 1).find((k) => all.every((id) => shardOf(id, total) !== k))!
    const dir = join(work, 'empty')
    const run = await runCli(['smoke', '--target', target, '--shard', `${empty}/${total}`, '--report-dir', dir])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`none of the ${N_CHECKS} checks hash to this shard; nothing to run, which is a pass with 0 checks`)
    expect(run.stdout).toMatch(/^0 passed, 0 failed$/m)
    const r = readReport(dir)
    expect(r.meta).toMatchObject({ verdict: 'passed', exitCode: 0, shard: { index: empty, total, ids: [], of: N_CHECKS } })
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('no checks of 15 (an empty shard: a pass with 0 checks)')
  })

  it('takes the index from JOB_COMPLETION_INDEX with --shard-total, like a Kubernetes Indexed Job', async () => {
    const dir = join(work, 'k8s-1')
    const run = await runCli(['smoke', '--target', target, '--shard-total', '3', '--report-dir', dir], { env: { JOB_COMPLETION_INDEX: '1' } })
    const r = readReport(dir)
    expect(r.meta.shard).toMatchObject({ index: 2, total: 3, source: 'JOB_COMPLETION_INDEX=1 (0-based), --shard-total 3' })
    expect(r.meta.shard!.ids).toEqual(readReport(shards[1]!.dir).meta.shard!.ids)
    expect(run.code).toBe(r.meta.exitCode)
  })

  it('rejects a bad shard as a usage error before anything runs', async () => {
    const run = await runCli(['smoke', '--target', target, '--shard', '4/3', '--report-dir', join(work, 'bad')])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--shard: the shard index must be from 1 to 3, got 4')
    expect(existsSync(join(work, 'bad', 'report.json'))).toBe(false)
  })
})

describe('runbook-kit merge', () => {
  it('the union of --shard 1/3..3/3 equals the unsharded run: test cases, ids, verdicts, counts, exit code', async () => {
    const out = join(work, 'merged')
    const run = await merge(out, ...shards.map((s) => s.dir))
    const fullReport = readReport(full.dir)
    expect(fullReport.meta.verdict).toBe('failed')
    expect(run.code).toBe(full.run.code)
    expect(run.code).toBe(1)
    const merged = readReport(out)
    expect(verdicts(merged)).toEqual(verdicts(fullReport))
    expect(merged.summary).toEqual(fullReport.summary)
    expect(junitCases(join(out, 'junit.xml'))).toEqual(junitCases(join(full.dir, 'junit.xml')))
    expect(junitCounts(join(out, 'junit.xml'))).toEqual(junitCounts(join(full.dir, 'junit.xml')))
    expect(run.stdout).toMatch(new RegExp(`^${fullReport.summary.pass} passed, ${fullReport.summary.fail + fullReport.summary.error} failed, ${fullReport.summary.skip} skipped$`, 'm'))
    // One valid JUnit file; report.md carries the SHA-256 of the merged report.json.
    const lint = validateJunit(readFileSync(join(out, 'junit.xml'), 'utf8'))
    expect(lint.status, lint.stderr).toBe(0)
    const sha = createHash('sha256').update(readFileSync(join(out, 'report.json'))).digest('hex')
    const md = readFileSync(join(out, 'report.md'), 'utf8')
    expect(md.trimEnd().endsWith(`\`${sha}\``)).toBe(true)
    expect(md).toContain('## Shards')
    // Each shard's own meta is kept.
    expect(merged.meta.shards!.map((s) => [s.shard!.index, s.host, s.startedAt, s.durationMs])).toEqual(shards.map((s) => {
      const m = readReport(s.dir).meta
      return [m.shard!.index, m.host, m.startedAt, m.durationMs]
    }))
    expect(merged.meta.mergedFrom).toEqual(shards.map((s) => readReport(s.dir).meta.runId))
  })

  it('reads the shards from a log of --json-last-line lines (what kubectl logs gives) and from a folder of folders', async () => {
    const log = join(work, 'pods.log')
    // kubectl logs -l ... --prefix: every line prefixed with its pod; the progress lines are skipped.
    writeFileSync(log, shards.map((s, k) => s.run.stdout.trimEnd().split('\n').map((l) => `[pod/smoke-${k}-abcde/smoke] ${l}`).join('\n')).join('\n') + '\n')
    const fromLog = join(work, 'merged-log')
    const a = await merge(fromLog, log)
    expect(a.stderr).toBe('')
    expect(a.code).toBe(1)
    const artifacts = join(work, 'artifacts')
    for (const [k, s] of shards.entries()) cpSync(s.dir, join(artifacts, `smoke-shard-${k + 1}`), { recursive: true })
    const fromFolder = join(work, 'merged-folder')
    const b = await merge(fromFolder, artifacts)
    expect(b.code).toBe(1)
    const reference = readReport(join(work, 'merged'))
    for (const dir of [fromLog, fromFolder]) {
      expect(verdicts(readReport(dir))).toEqual(verdicts(reference))
      expect(junitCases(join(dir, 'junit.xml'))).toEqual(junitCases(join(work, 'merged', 'junit.xml')))
    }
  })

  describe.concurrent('refuses inputs that are not exactly one sharded run (exit 2, the directories named, nothing written)', () => {
    /** A copy of shard k's folder with its report.json edited. */
    const variant = (k: number, name: string, edit: (r: RunReport) => void) => {
      const dir = join(work, 'variants', name)
      mkdirSync(dir, { recursive: true })
      const r = readReport(shards[k]!.dir)
      edit(r)
      writeFileSync(join(dir, 'report.json'), JSON.stringify(r, null, 2))
      return dir
    }
    const s1 = () => shards[0]!.dir
    const s2 = () => shards[1]!.dir
    const s3 = () => shards[2]!.dir

    it.each<[string, () => string[], RegExp]>([
      ['the same shard twice', () => [s1(), s2(), s2(), s3()], /shard 2 appears 2 times: (\S+shard-2), \1/],
      ['a missing shard', () => [s1(), s3()], /missing shard 2\/3 \(given: \S+shard-1 \(shard 1\/3\), \S+shard-3 \(shard 3\/3\)\)/],
      ['a total mismatch', () => [s1(), s2(), variant(2, 'total', (r) => (r.meta.shard!.total = 4))], /different shard counts: n=3 in \S+shard-1, \S+shard-2; n=4 in \S+variants\/total/],
      ['the same check id in two shards', () => [s1(), s2(), s3(), variant(0, 'extra', (r) => { r.meta.shard!.index = 2; r.meta.shard!.total = 3 })], /check id "[^"]+" is in 2 shards: \S+shard-1 \(shard 1\/3\), \S+variants\/extra \(shard 2\/3\)/],
      ['different targets', () => [s1(), variant(1, 'target', (r) => (r.meta.target = 'staging')), s3()], /different targets: "many" in \S+shard-1, \S+shard-3; "staging" in \S+variants\/target/],
      ['a folder without a report', () => [s1(), s2(), s3(), (mkdirSync(join(work, 'no-report'), { recursive: true }), join(work, 'no-report'))], /no-report: no report.json in it or in its subfolders/],
      ['an unsharded report', () => [full.dir], /full: not a shard's report/],
    ])('%s', async (_what, inputs, message) => {
      const out = join(work, `refused-${Math.random().toString(16).slice(2)}`)
      const run = await merge(out, ...inputs())
      expect(run.code).toBe(2)
      expect(run.stderr).toContain('cannot merge (nothing written)')
      expect(run.stderr).toMatch(message)
      expect(existsSync(join(out, 'report.json'))).toBe(false)
    })

    it('a file that holds no report', async () => {
      const file = join(work, 'notes.txt')
      writeFileSync(file, 'hello\n')
      const run = await merge(join(work, 'refused-file'), file)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`${file}: neither a report.json nor a log with report lines`)
    })
  })
})
