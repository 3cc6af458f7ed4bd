import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { convert } from 'xmlbuilder2'
import { summarize, type CheckResult } from '../../../lib/result.ts'
import type { ResultRecord, RunMeta, RunReport, StepRecord } from '../../../lib/report/model.ts'

/** Hand-built reports and XML helpers shared by the report tests. */

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const XSD = resolve(repoRoot, 'test', 'fixtures', 'schemas', 'junit-10.xsd')

export const SECRET = 'hunter2-Sup3r-s3cret-token'
/** Every kind of string that breaks naive XML/Markdown writers. */
export const NASTY = `a<b>&"c'd ]]> \u001b[31mred\u001b[0m \u0000\u0001\u0008\u000b\u000c\u001f|pipe\nline2 \`tick\``

export function meta(over: Partial<RunMeta> = {}): RunMeta {
  return {
    runId: 'smoke-sandbox-20261121T233000Z-ab12',
    kind: 'smoke',
    suite: 'sandbox',
    target: 'sandbox',
    targetFile: 'smoke/targets/sandbox.yaml',
    startedAt: '2026-11-21T23:30:00.000Z',
    finishedAt: '2026-11-21T23:30:02.500Z',
    durationMs: 2500,
    operator: 'alice',
    host: 'ci-7',
    gitCommit: '0123456789abcdef0123456789abcdef01234567',
    version: '0.1.0',
    ciJobUrl: 'https://github.com/acme/app/actions/runs/42',
    command: 'runbook-kit smoke --target sandbox',
    verdict: 'passed',
    exitCode: 0,
    ...over,
  }
}

export function result(id: string, status: CheckResult['status'], over: Partial<ResultRecord> = {}): ResultRecord {
  return {
    id,
    title: `Check ${id}`,
    status,
    message: `${id} is ${status}`,
    evidence: { statusCode: 200, latencyMs: 12 },
    startedAt: '2026-11-21T23:30:00.100Z',
    durationMs: 123,
    attempts: 1,
    kind: 'http',
    ...over,
  }
}

export function report(results: ResultRecord[], metaOver: Partial<RunMeta> = {}, steps: StepRecord[] = []): RunReport {
  const verdict = results.some((r) => r.status === 'fail' || r.status === 'error') ? 'failed' : 'passed'
  return {
    schemaVersion: 1,
    meta: meta({ verdict, exitCode: verdict === 'passed' ? 0 : 1, ...metaOver }),
    summary: summarize(results),
    results,
    steps,
  }
}

/** A report with one of everything: pass, fail, error, skip, retried-then-passed, retried-still-failing, interrupted. */
export function mixedReport(): RunReport {
  return report([
    result('health', 'pass'),
    result('ready', 'fail', { message: 'expected status 200, got 503', evidence: { statusCode: 503, body: '{"ready":false}' } }),
    result('db', 'error', { kind: 'postgres', message: 'connect ECONNREFUSED 127.0.0.1:5432', evidence: {} }),
    result('queue', 'skip', { kind: 'queue-depth', message: 'waived until 2026-12-01 (OPS-12)', attempts: 0 }),
    result('rollout', 'pass', {
      kind: 'kube-rollout',
      message: 'rollout complete (passed on attempt 3)',
      attempts: 3,
      attemptLog: [
        { attempt: 1, status: 'fail', message: '1/3 replicas updated', startedAt: '2026-11-21T23:30:00.100Z', durationMs: 10 },
        { attempt: 2, status: 'fail', message: '2/3 replicas updated', startedAt: '2026-11-21T23:30:01.100Z', durationMs: 10 },
        { attempt: 3, status: 'pass', message: 'rollout complete', startedAt: '2026-11-21T23:30:02.100Z', durationMs: 10 },
      ],
    }),
    result('drain', 'fail', {
      kind: 'queue-depth',
      message: 'depth 40 > 10 (still failing after 2 attempts over 1.0 s)',
      attempts: 2,
      attemptLog: [
        { attempt: 1, status: 'fail', message: 'depth 50 > 10', startedAt: '2026-11-21T23:30:00.100Z', durationMs: 10 },
        { attempt: 2, status: 'fail', message: 'depth 40 > 10', startedAt: '2026-11-21T23:30:01.100Z', durationMs: 10 },
      ],
    }),
    result('tls', 'error', { kind: 'tls', message: 'interrupted while running', interrupted: true, evidence: {} }),
    result('metrics', 'skip', { message: 'not run: the run was interrupted', interrupted: true, attempts: 0, durationMs: 0, evidence: {} }),
  ])
}

export function steps(): StepRecord[] {
  return [
    {
      index: 1,
      title: 'Back up the database',
      status: 'pass',
      message: 'backup written',
      startedAt: '2026-11-21T23:30:00.000Z',
      durationMs: 1500,
      estimate: '2m',
      commands: [{ command: 'pg_dump -Fc app > /backups/app.dump', exitCode: 0, durationMs: 1400 }],
      checks: [],
      confirmations: [{ question: 'Proceed with the backup?', answer: 'yes', by: 'alice', at: '2026-11-21T23:29:59.000Z' }],
    },
    {
      index: 2,
      title: 'Apply migrations',
      status: 'fail',
      message: 'alembic upgrade head failed',
      startedAt: '2026-11-21T23:30:01.500Z',
      durationMs: 800,
      destructive: true,
      commands: [{ command: 'alembic upgrade head', exitCode: 1, durationMs: 700, stderrTail: 'sqlalchemy.exc.OperationalError: relation "x" does not exist' }],
      checks: ['health'],
    },
    {
      index: 3,
      title: 'Roll out',
      status: 'dry-run',
      message: 'would run kubectl',
      startedAt: '2026-11-21T23:30:02.300Z',
      durationMs: 0,
      commands: [{ command: 'kubectl rollout restart deploy/app', exitCode: null, durationMs: 0, dryRun: true }],
      checks: [],
    },
    {
      index: 4,
      title: 'Scale workers',
      status: 'rolled-back',
      message: 'reverted after step 2 failed',
      startedAt: '2026-11-21T23:30:02.300Z',
      durationMs: 200,
      commands: [],
      checks: [],
    },
  ]
}

/**
 * junit-10.xsd plus exactly the attributes runbook-kit adds outside strict mode (lib/report/junit.ts):
 * `skipped` on `<testsuites>`, `file`, `line` and `timestamp` on `<testcase>`. Validating against it
 * checks that everything else still follows the XSD.
 */
export function relaxedXsd(): string {
  if (relaxedPath) return relaxedPath
  const xsd = readFileSync(XSD, 'utf8')
  const timestamp = '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{3})?'
  const text = xsd
    .replace(
      '<xs:attribute name="classname" type="xs:string"/>',
      '$&<xs:attribute name="file" type="xs:string"/><xs:attribute name="line" type="xs:positiveInteger"/>' +
        `<xs:attribute name="timestamp"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="${timestamp}"/></xs:restriction></xs:simpleType></xs:attribute>`,
    )
    .replace(/(<xs:element name="testsuites">[\s\S]*?<xs:attribute name="errors" type="xs:string" \/>)/, '$1<xs:attribute name="skipped" type="xs:string"/>')
  if (text.split('name="line"').length !== 2 || !/<xs:element name="testsuites">[\s\S]*?name="skipped"/.test(text)) throw new Error('junit-10.xsd changed: cannot derive the relaxed schema')
  // One file per schema text, shared by the test processes (nothing piles up in the temp dir).
  relaxedPath = join(tmpdir(), `rbk-junit-10-relaxed-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.xsd`)
  if (!existsSync(relaxedPath)) {
    writeFileSync(`${relaxedPath}.${process.pid}`, text)
    renameSync(`${relaxedPath}.${process.pid}`, relaxedPath)
  }
  return relaxedPath
}
let relaxedPath: string | undefined

/** Runs xmllint against junit-10.xsd (`strict`) or `relaxedXsd()`; returns its exit status and stderr. */
export function validateJunit(xml: string, opts: { strict?: boolean } = {}): { status: number | null; stderr: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', opts.strict ? XSD : relaxedXsd(), '-'], { input: xml, encoding: 'utf8', timeout: 10_000 })
  return { status: r.status, stderr: r.stderr }
}

/** A string value selected by XPath, decoded by xmllint itself (an independent XML parser). */
export function xpath(xml: string, expr: string): string {
  // xmllint ends its output with a newline of its own.
  return execFileSync('xmllint', ['--xpath', `string(${expr})`, '-'], { input: xml, encoding: 'utf8', timeout: 10_000 }).replace(/\n$/, '')
}

export interface ParsedCase {
  classname: string
  name: string
  time: string
  children: Record<string, XmlNode[]>
}
export type XmlNode = { [key: string]: unknown }

/** Parses junit.xml with xmlbuilder2 into suites and cases; attribute and text values are entity-decoded. */
export function parseJunit(xml: string): { root: XmlNode; suite: XmlNode; properties: Record<string, string>; cases: ParsedCase[] } {
  const doc = decodeDeep(convert(xml, { format: 'object' })) as XmlNode
  const root = doc.testsuites as XmlNode
  const suite = root.testsuite as XmlNode
  const props: Record<string, string> = {}
  for (const p of list((suite.properties as XmlNode | undefined)?.property)) props[String(p['@name'])] = String(p['@value'])
  const cases = list(suite.testcase).map((tc) => {
    const children: Record<string, XmlNode[]> = {}
    for (const [k, v] of Object.entries(tc)) if (!k.startsWith('@')) children[k] = list(v)
    return { classname: String(tc['@classname']), name: String(tc['@name']), time: String(tc['@time']), children }
  })
  return { root, suite, properties: props, cases }
}

function list(v: unknown): XmlNode[] {
  if (v === undefined) return []
  const arr = Array.isArray(v) ? v : [v]
  return arr.map((x) => (typeof x === 'string' ? { '#': x } : (x as XmlNode)))
}

/** xmlbuilder2's object output keeps entities escaped; undo them. */
export function decode(v: unknown): string {
  if (v === undefined || v === null) return ''
  return String(v)
    .replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
}

function decodeDeep(v: unknown): unknown {
  if (typeof v === 'string') return decode(v)
  if (Array.isArray(v)) return v.map(decodeDeep)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeDeep(x)]))
  return v
}

/** Text of an element node (string or `#`). */
export function textOf(node: XmlNode | undefined): string {
  if (!node) return ''
  return String(node['#'] ?? '')
}
