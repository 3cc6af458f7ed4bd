import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { Redactor } from '../../lib/redact.ts'
import type { CheckResult } from '../../lib/result.ts'
import { chalkFor, closingLine, colorLevel, TerminalReporter } from '../../lib/terminal.ts'

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

/** A stream that says whether it is a TTY and, if so, reports `depth` (as tty.WriteStream.getColorDepth does). */
const fakeStream = (isTTY: boolean, depth = 8) => ({ isTTY, getColorDepth: () => depth }) as unknown as NodeJS.WriteStream

describe('colorLevel: --no-color > NO_COLOR (non-empty) > FORCE_COLOR > TTY', () => {
  type Row = [flag: boolean | undefined, NO_COLOR: string | undefined, FORCE_COLOR: string | undefined, tty: boolean, level: number]
  const rows: Row[] = []
  // Every combination of the four inputs, with the expected level worked out from the rule, not from the code.
  for (const flag of [undefined, false, true])
    for (const noColor of [undefined, '', '1'])
      for (const force of [undefined, '0', '1', '3'])
        for (const tty of [false, true]) {
          const level = flag === false ? 0 : flag === true ? (tty ? 2 : 1) : noColor ? 0 : force === '0' ? 0 : force === '1' ? (tty ? 2 : 1) : force === '3' ? 3 : tty ? 2 : 0
          rows.push([flag, noColor, force, tty, level])
        }
  it.each(rows)('--no-color=%s NO_COLOR=%j FORCE_COLOR=%j tty=%s → level %i', (flag, noColor, force, tty, level) => {
    const env: Record<string, string | undefined> = { NO_COLOR: noColor, FORCE_COLOR: force }
    // flag: false is --no-color; true is a caller forcing colours (TerminalOptions.color).
    expect(colorLevel({ color: flag, env, stream: fakeStream(tty) })).toBe(level)
    expect(chalkFor({ color: flag, env, stream: fakeStream(tty) }).level).toBe(level)
  })

  it.each([
    [{ FORCE_COLOR: 'false' }, true, 0],
    [{ FORCE_COLOR: 'true' }, false, 1],
    [{ FORCE_COLOR: '' }, false, 1],
    [{ FORCE_COLOR: '2' }, false, 2],
    [{}, true, 2],
  ])('%j with tty=%s → %i', (env, tty, level) => expect(colorLevel({ env, stream: fakeStream(tty) })).toBe(level))

  it('takes the depth a TTY reports (TERM=dumb reports 1: no colour), and does not let it see NO_COLOR/FORCE_COLOR', () => {
    expect(colorLevel({ env: {}, stream: fakeStream(true, 24) })).toBe(3)
    expect(colorLevel({ env: {}, stream: fakeStream(true, 4) })).toBe(1)
    expect(colorLevel({ env: {}, stream: fakeStream(true, 1) })).toBe(0)
    expect(colorLevel({ env: { FORCE_COLOR: '1' }, stream: fakeStream(true, 1) })).toBe(1)
    let seen: Record<string, string | undefined> = {}
    const spy = { isTTY: true, getColorDepth: (e: Record<string, string | undefined>) => ((seen = e), 8) } as unknown as NodeJS.WriteStream
    colorLevel({ env: { NO_COLOR: '', FORCE_COLOR: undefined, TERM: 'xterm-256color' }, stream: spy })
    expect(seen).toEqual({ TERM: 'xterm-256color' })
  })

  it('colours the reporter by the same rule: FORCE_COLOR=1 without a TTY colours, NO_COLOR wins over it, --no-color over all', () => {
    const run = (opts: { color?: boolean; env: Record<string, string> }) => {
      const out = capture()
      const term = new TerminalReporter({ stream: out.stream, redactor: new Redactor(), live: false, ...opts })
      term.onEvent({ kind: 'finish', result: result({ status: 'fail', message: 'boom' }) })
      return out.text()
    }
    expect(run({ env: { FORCE_COLOR: '1' } })).toContain('\u001b[31m')
    expect(run({ env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).not.toContain('\u001b[')
    expect(run({ env: { FORCE_COLOR: '3' }, color: false })).not.toContain('\u001b[')
    expect(run({ env: {} })).not.toContain('\u001b[')
  })
})

describe('TerminalReporter on GitHub Actions', () => {
  it('folds the progress lines in one ::group:: that endGroup() closes once', () => {
    const out = capture()
    const redactor = new Redactor()
    redactor.add('s3cr3t-value')
    const term = new TerminalReporter({ stream: out.stream, redactor, live: false, env: { GITHUB_ACTIONS: 'true' } })
    term.begin('Smoke suite "s3cr3t-value": 1 check', 1, ['a'])
    term.onEvent({ kind: 'finish', result: result({ id: 'a', status: 'pass' }) })
    term.endGroup()
    term.endGroup()
    const lines = out.text().trimEnd().split('\n')
    expect(lines[0]).toBe('::group::Smoke suite "***": 1 check')
    expect(lines[1]).toMatch(/PASS {2}a/)
    expect(lines.slice(2)).toEqual(['::endgroup::'])
    const plain = capture()
    const t2 = new TerminalReporter({ stream: plain.stream, redactor, live: false, env: {} })
    t2.begin('Suite', 0)
    t2.endGroup()
    expect(plain.text()).toBe('Suite\n')
  })
})
