import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { Redactor } from '../../../lib/redact.ts'
import type { StepRecord } from '../../../lib/report/model.ts'
import { FORMAT, RunbookView, type RunbookEvent } from '../../../lib/runbook/view.ts'

/** The terminal view: one formatter per event kind (the type makes a missing one a compile error). */

function printed(events: RunbookEvent[], redactor = new Redactor()): string {
  const out = new PassThrough()
  let text = ''
  out.on('data', (d: Buffer) => (text += d.toString()))
  const view = new RunbookView(out, redactor, 0)
  for (const e of events) view.emit(e)
  return text
}

const step = (s: Partial<StepRecord>): StepRecord => ({ index: 3, title: 'Apply', status: 'pass', message: '', startedAt: '', durationMs: 12, commands: [], checks: [], ...s })

describe('runbook terminal view', () => {
  it('has a formatter for every event kind', () => {
    expect(Object.keys(FORMAT).sort()).toEqual(['begin', 'check', 'command', 'command-end', 'confirmation', 'end', 'error', 'log', 'rollback', 'step-end', 'step-start', 'warning'])
  })

  it.each([
    [{ kind: 'step-start', index: 3, title: 'Apply', estimate: '1m', destructive: true, dryRun: false }, '\n[3] Apply (estimate 1m) [destructive]\n'],
    [{ kind: 'step-start', index: 0, label: 'R1', title: 'Undo: Apply', dryRun: false }, '\n[R1] Undo: Apply\n'],
    [{ kind: 'command', command: 'kubectl apply', dryRun: true }, '    would run kubectl apply\n'],
    [{ kind: 'command-end', record: { command: 'x', exitCode: 0, durationMs: 1 } }, ''],
    [{ kind: 'command-end', record: { command: 'x', exitCode: 3, durationMs: 5, stderrTail: 'a\nb' } }, '    exit 3 after 5 ms\n      a\n      b\n'],
    [{ kind: 'step-end', step: step({}) }, '  ✓ 3. Apply: pass (12 ms)\n'],
    [{ kind: 'step-end', step: step({ status: 'fail', message: 'boom' }) }, '  ✗ 3. Apply: fail (12 ms) — boom\n'],
    [{ kind: 'step-end', step: step({ status: 'error', interrupted: true, message: 'interrupted: killed' }) }, '  ⚠ 3. Apply: interrupted (12 ms) — interrupted: killed\n'],
    [{ kind: 'end', verdict: 'passed', exitCode: 0, line: '3 passed, 0 failed' }, '\nPASSED: 3 passed, 0 failed\n'],
  ] as [RunbookEvent, string][])('%j', (event, expected) => {
    expect(printed([event])).toBe(expected)
  })

  it('redacts what it prints', () => {
    const r = new Redactor()
    r.add('hunter2-secret')
    expect(printed([{ kind: 'log', text: 'token hunter2-secret' }], r)).toBe('    token ***\n')
  })
})
