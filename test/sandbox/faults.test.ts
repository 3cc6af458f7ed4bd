import { describe, expect, it } from 'vitest'
import { UsageError } from '../../lib/errors.ts'
import { FAULT_DESCRIPTIONS, FAULTS, parseFaults } from '../../sandbox/faults.ts'

describe('parseFaults', () => {
  it.each([
    [undefined, []],
    [[], []],
    ['', []],
    ['slow', ['slow']],
    ['slow,no-hsts', ['slow', 'no-hsts']],
    [[' slow ', 'errors,expired-cert', ''], ['slow', 'errors', 'expired-cert']],
    [['slow', 'slow'], ['slow']],
  ] as const)('%j -> %j', (input, expected) => {
    expect(parseFaults(input as string[] | string | undefined)).toEqual(expected)
  })

  it.each([['nope'], [['slow', 'bogus']], ['readiness-500,slow']])('rejects %j with a UsageError listing the valid faults', (input) => {
    const call = () => parseFaults(input as string[] | string)
    expect(call).toThrow(UsageError)
    expect(call).toThrow(/unknown sandbox fault/)
    expect(call).toThrow(FAULTS.join(', '))
  })

  it('names the unknown fault in the message', () => {
    expect(() => parseFaults(['slow', 'bogus'])).toThrow('"bogus"')
  })

  it('describes every fault', () => {
    expect(Object.keys(FAULT_DESCRIPTIONS).sort()).toEqual([...FAULTS].sort())
  })
})
