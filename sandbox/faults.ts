import { UsageError } from '../lib/errors.ts'

/**
 * Faults the sandbox can be started with, so failing checks and failing reports can be seen and
 * tested. Each one breaks exactly one behaviour of the demo application.
 */
export const FAULTS = [
  'readiness-503',
  'health-degraded',
  'slow',
  'no-hsts',
  'no-redirect',
  'accept-bad-signature',
  'expired-cert',
  'wrong-host-cert',
  'errors',
] as const

export type Fault = (typeof FAULTS)[number]

/** What each fault does, for `--help` texts. */
export const FAULT_DESCRIPTIONS: Readonly<Record<Fault, string>> = Object.freeze({
  'readiness-503': 'GET /api/v1/ready answers 503 {"ready":false}',
  'health-degraded': 'GET /health answers 503 with redis "disconnected"',
  slow: 'every response is delayed (slowMs, default 1500 ms)',
  'no-hsts': 'HTTPS responses lack Strict-Transport-Security',
  'no-redirect': 'the HTTP port serves 200 "ok" instead of redirecting to HTTPS',
  'accept-bad-signature': 'the webhook accepts deliveries with a missing or wrong signature',
  'expired-cert': 'the served certificate expired yesterday',
  'wrong-host-cert': 'the served certificate is for wrong.example.test only',
  errors: 'every 3rd request to /health and /api/v1/* answers 500',
})

export function isFault(name: string): name is Fault {
  return (FAULTS as readonly string[]).includes(name)
}

/**
 * Parses fault names from a list, a comma-separated string, or a mix (`['slow,no-hsts', 'errors']`).
 * Blank entries are ignored and duplicates dropped. Throws UsageError naming the valid faults.
 */
export function parseFaults(list: string[] | string | undefined): Fault[] {
  if (list === undefined) return []
  const raw = (Array.isArray(list) ? list : [list]).flatMap((s) => String(s).split(','))
  const names = raw.map((s) => s.trim()).filter((s) => s !== '')
  const unknown = names.filter((n) => !isFault(n))
  if (unknown.length > 0) {
    const what = unknown.length === 1 ? 'unknown sandbox fault' : 'unknown sandbox faults'
    throw new UsageError(`${what} ${unknown.map((n) => `"${n}"`).join(', ')}; valid faults: ${FAULTS.join(', ')}`)
  }
  return [...new Set(names as Fault[])]
}
