import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { InterruptedError } from '../../../lib/errors.ts'
import { askTyped, askYesNo, type PromptIo } from '../../../lib/runbook/prompt.ts'

/** The operator's prompts, with the input stream injected (terminal mode, as on a real terminal). */

function terminal(): { io: PromptIo; type(text: string): void; end(): void; shown(): string } {
  const input = new PassThrough()
  const output = new PassThrough()
  let shown = ''
  output.on('data', (d: Buffer) => (shown += d.toString()))
  return { io: { input, output, isTTY: true }, type: (t) => input.write(t), end: () => input.end(), shown: () => shown.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') }
}

const tick = () => new Promise((r) => setTimeout(r, 20))

describe('askYesNo', () => {
  it.each([
    ['y', true],
    ['YES', true],
    [' yes ', true],
    ['n', false],
    ['No', false],
    ['', false],
  ])('%j → %s', async (answer, yes) => {
    const t = terminal()
    const asked = askYesNo(t.io, 'Proceed?')
    await tick()
    t.type(`${answer}\r`)
    expect(await asked).toBe(yes)
    expect(t.shown()).toContain('Proceed? [y/N] ')
  })

  it('asks again when the answer is neither yes nor no', async () => {
    const t = terminal()
    const asked = askYesNo(t.io, 'Proceed?')
    await tick()
    t.type('yse\r')
    await tick()
    t.type('y\r')
    expect(await asked).toBe(true)
    expect(t.shown()).toMatch(/Please answer y \(yes\) or n \(no\); "yse" is neither\.\n[^]*Proceed\? \[y\/N\] /)
    expect(t.shown().match(/Proceed\? \[y\/N\]/g)).toHaveLength(2)
  })

  it('Ctrl-C at the prompt is an interruption: the handler is called, the prompt line is ended, InterruptedError', async () => {
    const t = terminal()
    let interrupted = 0
    const asked = askYesNo(t.io, 'Proceed?', { onInterrupt: () => interrupted++ })
    await tick()
    t.type('\x03')
    await expect(asked).rejects.toThrow(InterruptedError)
    expect(interrupted).toBe(1)
    expect(t.shown()).toMatch(/Proceed\? \[y\/N\] \n$/)
  })

  it('a signal from elsewhere (SIGTERM) ends the question with InterruptedError and a newline', async () => {
    const t = terminal()
    const controller = new AbortController()
    const asked = askYesNo(t.io, 'Proceed?', { signal: controller.signal })
    await tick()
    controller.abort()
    await expect(asked).rejects.toThrow(InterruptedError)
    expect(t.shown()).toMatch(/\[y\/N\] \n$/)
  })

  it('the end of the input is a no', async () => {
    const t = terminal()
    const asked = askYesNo(t.io, 'Proceed?')
    await tick()
    t.end()
    expect(await asked).toBe(false)
  })
})

describe('askTyped', () => {
  it.each([
    ['downgrade production', true],
    ['downgrade prod', false],
    ['y', false],
  ])('%j → %s', async (typed, ok) => {
    const t = terminal()
    const asked = askTyped(t.io, 'Downgrade?', 'downgrade production')
    await tick()
    t.type(`${typed}\r`)
    expect(await asked).toBe(ok)
  })

  it('Ctrl-C is an interruption there too', async () => {
    const t = terminal()
    let interrupted = 0
    const asked = askTyped(t.io, 'Downgrade?', 'downgrade production', { onInterrupt: () => interrupted++ })
    await tick()
    t.type('\x03')
    await expect(asked).rejects.toThrow(InterruptedError)
    expect(interrupted).toBe(1)
  })
})
