import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { convert } from 'xmlbuilder2'
import type { RunReport } from '../../lib/report/model.ts'

/**
 * Helpers for the scale-out tests (sharding, merging, in-cluster runs): a loopback HTTP server with
 * healthy, failing and slow paths, a target file of many checks against it, and comparable views of
 * the reports (test cases as CI sees them, ids and verdicts).
 */

export interface LoopbackApp {
  url: string
  close(): Promise<void>
}

/** `/ok/*` 200, `/fail/*` 500, `/slow/*` 200 after 300 ms. */
export async function startLoopbackApp(): Promise<LoopbackApp> {
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/'
    const answer = () => {
      res.writeHead(path.startsWith('/fail/') ? 500 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ path }))
    }
    if (path.startsWith('/slow/')) setTimeout(answer, 300)
    else answer()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

/**
 * A target of `n` http checks: mostly passing, every 7th failing (500), every 11th skipped, a few slow.
 * Returns the file path.
 */
export function writeManyChecksTarget(dir: string, baseUrl: string, n = 15, name = 'many'): string {
  const lines = Array.from({ length: n }, (_, i) => {
    const path = i % 7 === 3 ? `/fail/${i}` : i % 5 === 4 ? `/slow/${i}` : `/ok/${i}`
    const skip = i % 11 === 10 ? ', skip: "waived (OPS-1)"' : ''
    return `  - { id: check-${i}, kind: http, url: ${path}${skip} }`
  })
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, `name: ${name}\nbaseUrl: ${baseUrl}\nchecks:\n${lines.join('\n')}\n`)
  return file
}

export function readReport(dir: string): RunReport {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport
}

type XmlNode = Record<string, any>

/** The test cases of a junit.xml as CI lists them: `classname | name | outcome`, sorted. */
export function junitCases(file: string): string[] {
  const doc = convert(readFileSync(file, 'utf8'), { format: 'object' }) as XmlNode
  const suite = doc.testsuites.testsuite as XmlNode
  const cases = ([] as XmlNode[]).concat(suite.testcase ?? [])
  return cases
    .map((c) => `${c['@classname']} | ${c['@name']} | ${c.failure ? 'failure' : c.error ? 'error' : c.skipped !== undefined ? 'skipped' : 'pass'}`)
    .sort()
}

/** The suite's counters: tests, failures, errors, skipped. */
export function junitCounts(file: string): Record<'tests' | 'failures' | 'errors' | 'skipped', number> {
  const doc = convert(readFileSync(file, 'utf8'), { format: 'object' }) as XmlNode
  const s = doc.testsuites.testsuite as XmlNode
  return { tests: Number(s['@tests']), failures: Number(s['@failures']), errors: Number(s['@errors']), skipped: Number(s['@skipped']) }
}

/** `id: status`, sorted. */
export function verdicts(report: RunReport): string[] {
  return report.results.map((r) => `${r.id}: ${r.status}`).sort()
}
