import { InvalidArgumentError } from './errors.ts'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * Parses a duration: a number of milliseconds, or a string such as `500ms`, `10s`, `2m`, `1h`,
 * `1m30s`. Throws InvalidArgumentError for anything else.
 */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`duration must be a non-negative number of ms, got ${value}`)
    return value
  }
  const s = value.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s)
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy
  let total = 0
  let matched = 0
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * UNITS[m[2]!]!
    matched += m[0].length
  }
  if (matched === 0 || matched !== s.length) throw new InvalidArgumentError(`invalid duration "${value}": expected e.g. 500ms, 10s, 2m, 1h`)
  return Math.round(total)
}

/** JSON Schema fragment for a duration field (used by target-file schemas). */
export const durationSchema = Object.freeze({
  anyOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h))+$|^\\d+$' },
  ],
  description: 'milliseconds as a number, or a string like 500ms, 10s, 2m',
})
