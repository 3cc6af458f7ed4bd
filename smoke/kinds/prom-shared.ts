import type { PrometheusConnection } from '../../clients/prometheus.ts'
import { timeoutProperties, tlsProperties, transportFromEntry, type HttpTransportFields } from './http-shared.ts'
import type { BuildContext } from './types.ts'

/** Target-file fields for reaching Prometheus (shared by `prom-query`, `prom-targets`, `prom-alerts`). */
export interface PromConnectionFields extends HttpTransportFields {
  prometheus: string
  bearerToken?: string
  username?: string
  password?: string
  headers?: Record<string, string>
}

export const promConnectionProperties = Object.freeze({
  prometheus: { type: 'string', pattern: '^https?://', description: 'Prometheus base URL, e.g. http://prometheus:9090 (also Thanos/Mimir query URLs)' },
  bearerToken: { type: 'string', minLength: 1, description: 'bearer token, as env:NAME (never written into evidence)' },
  username: { type: 'string', description: 'basic auth user name' },
  password: { type: 'string', description: 'basic auth password, as env:NAME (never written into evidence)' },
  headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'extra request headers, e.g. X-Scope-OrgID for Mimir' },
  ...timeoutProperties,
  ...tlsProperties,
})

/** The connection options for the Prometheus client: timeouts parsed, CA file read. */
export function promConnection(entry: PromConnectionFields, ctx: BuildContext): Omit<PrometheusConnection, 'signal'> {
  const conn: Omit<PrometheusConnection, 'signal'> = { url: entry.prometheus, ...transportFromEntry(entry, ctx) }
  for (const k of ['bearerToken', 'username', 'password'] as const) {
    const v = entry[k]
    if (v !== undefined) {
      conn[k] = v
      ctx.redactor.add(k === 'username' ? undefined : v)
    }
  }
  if (entry.headers) conn.headers = entry.headers
  return conn
}
