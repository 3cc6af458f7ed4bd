import { describe, expect, it } from 'vitest'
import { cleanText, humanDuration, isoNoZone, oneLine, seconds, stripAnsi } from '../../../lib/report/text.ts'

describe('report text helpers', () => {
  it.each([
    ['\u001b[31mred\u001b[0m', 'red'],
    ['\u001b[1;38;5;196mbold\u001b[22m', 'bold'],
    ['\u001b]8;;https://x.example\u0007link\u001b]8;;\u0007', 'link'],
    ['\u009b31mc1\u009b0m', 'c1'],
    ['plain [31m text', 'plain [31m text'],
  ])('stripAnsi(%j) → %j', (input, expected) => {
    expect(stripAnsi(input)).toBe(expected)
  })

  it.each([
    ['a\u0000b\u0001c\u0008d\u000be\u000cf\u001fg\u007fh', 'abcdefgh'],
    ['tab\tlf\ncr\r', 'tab\tlf\ncr\r'],
    ['lone \ud800 surrogate \udc00', 'lone  surrogate '],
    ['pair 😀 kept', 'pair 😀 kept'],
    ['\ufffe\uffff', ''],
    ['\u001b[32mok\u001b[0m\u001b', 'ok'],
  ])('cleanText(%j) → %j', (input, expected) => {
    expect(cleanText(input)).toBe(expected)
  })

  it('oneLine joins lines', () => {
    expect(oneLine('a\r\nb\nc\rd\te')).toBe('a b c d e')
  })

  it.each([
    [0, '0.000'],
    [0.4, '0.000'],
    [0.5, '0.001'],
    [999, '0.999'],
    [60_000, '60.000'],
    [Number.POSITIVE_INFINITY, '0.000'],
  ])('seconds(%s) → %s', (ms, expected) => {
    expect(seconds(ms)).toBe(expected)
  })

  it.each([
    ['2026-11-21T23:30:00.123Z', '2026-11-21T23:30:00'],
    ['2026-11-22T01:30:00+02:00', '2026-11-21T23:30:00'],
    ['not a date', undefined],
  ])('isoNoZone(%s) → %s', (iso, expected) => {
    expect(isoNoZone(iso)).toBe(expected)
  })

  it.each([
    [850, '850 ms'],
    [12_345, '12.35 s'],
    [185_000, '3 min 5.0 s'],
    [3_720_000, '1 h 2 min'],
    [-1, '—'],
  ])('humanDuration(%s) → %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected)
  })
})
