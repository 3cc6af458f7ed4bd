import { describe, expect, it } from 'vitest'
import { maskUrlPasswords, Redactor } from '../../lib/redact.ts'
import { parseDuration } from '../../lib/duration.ts'

describe('Redactor', () => {
  it('masks registered secrets and their URL/base64 encodings, everywhere in nested data', () => {
    const r = new Redactor()
    r.add('s3cr3t/value+1')
    const b64 = Buffer.from('s3cr3t/value+1').toString('base64')
    expect(r.redact('x s3cr3t/value+1 y')).toBe('x *** y')
    expect(r.redact(`q=${encodeURIComponent('s3cr3t/value+1')}`)).toBe('q=***')
    expect(r.redact(`auth ${b64}`)).toBe('auth ***')
    expect(r.redactDeep({ a: ['s3cr3t/value+1'], 's3cr3t/value+1': 1 })).toEqual({ a: ['***'], '***': 1 })
  })

  it('ignores very short values that would shred ordinary text', () => {
    const r = new Redactor()
    r.add('ab')
    expect(r.redact('about')).toBe('about')
  })

  it.each([
    ['postgresql://app:hunter22@db:5432/x', 'postgresql://app:***@db:5432/x'],
    ['redis://:pw1234@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
    ['see https://user:tok@example.com/a and more', 'see https://user:***@example.com/a and more'],
    ['https://example.com/no/creds', 'https://example.com/no/creds'],
  ])('masks URL passwords: %s', (input, expected) => {
    expect(maskUrlPasswords(input)).toBe(expected)
  })
})

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['250', 250],
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
  ])('%s → %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms))

  it.each(['10 sec', 'soon', '-1', '5x', ''])('rejects %j', (input) => expect(() => parseDuration(input)).toThrow(/invalid duration/))
})
