import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { Redactor } from '../../lib/redact.ts'
import type { CheckResult } from '../../lib/result.ts'
import { closingLine, TerminalReporter } from '../../lib/terminal.ts'

function capture() {
  let text = ''
  const stream = new Writable({ write: (chunk, _enc, done) => ((text += chunk.toString()), done()) }) as unknown as NodeJS.WriteStream
  return { stream, text: () => text }
}

const result = (over: Partial<CheckResult>): CheckResult => ({ id: 'x', title: 'x', status: 'pass', message: 'ok', evidence: {}, startedAt: '', durationMs: 5, attempts: 1, ...over })

describe('TerminalReporter', () => {
  it('prints one redacted line per result, with the reason under a failure', () => {
    const out = capture()
    const redactor = new Redactor()
    redactor.add('hunter2-secret')
    const term = new TerminalReporter({ stream: out.stream, redactor, live: false, color: false })
    term.begin('Suite', 2, ['health', 'tls'])
    term.onEvent({ kind: 'finish', result: result({ id: 'health', title: 'Health', status: 'pass' }) })
    term.onEvent({ kind: 'finish', result: result({ id: 'tls', title: 'TLS', status: 'fail', message: 'bad token hunter2-secret' }) })
    const lines = out.text().split('\n')
    expect(lines[1]).toMatch(/^✓ PASS  health +Health \(5 ms\)$/)
    expect(lines[2]).toMatch(/^✗ FAIL  tls +TLS \(5 ms\)$/)
    expect(lines[3]).toBe('        bad token ***')
  })

  it('strips escape codes and control characters that come from targets or servers', () => {
    const out = capture()
    const term = new TerminalReporter({ stream: out.stream, redactor: new Redactor(), live: false, color: false })
    term.onEvent({ kind: 'finish', result: result({ title: 'evil\x1b[2J\x1b]0;pwned\x07 title', status: 'fail', message: 'clear\x1b[H\x00screen' }) })
    expect(out.text()).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/)
    expect(out.text()).toContain('clearscreen')
  })

  it.each([
    [{ pass: 3, fail: 1, error: 1, skip: 0 }, '3 passed, 2 failed'],
    [{ pass: 3, fail: 0, error: 0, skip: 2 }, '3 passed, 0 failed, 2 skipped'],
  ])('closing line %j → %s', (counts, line) => expect(closingLine(counts)).toBe(line))
})
