import { InvalidArgumentError } from './errors.ts'

const BYTE_UNITS: Readonly<Record<string, number>> = Object.freeze({ '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 })

/** A byte count: a number, or `400MB`, `400MiB`, `1.5GB`. InvalidArgumentError otherwise. */
export function parseBytes(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`byte count must be non-negative, got ${value}`)
    return value
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined
  if (!m || unit === undefined) throw new InvalidArgumentError(`"${value}" is not a byte count (e.g. 400MB, 512MiB, 1073741824)`)
  return Math.round(Number(m[1]) * unit)
}
