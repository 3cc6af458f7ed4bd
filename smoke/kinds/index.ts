import type { AnyCheckKind } from '../../checks/kind.ts'
import { KIND_NAMES as CONVERTED, loadKind as loadConverted } from '../../checks/registry.ts'
import { fromLegacy } from './legacy.ts'
import type { CheckKind } from './types.ts'

// TRANSITIONAL: kinds move one by one to checks/ (one declaration beside the check, checks/registry.ts);
// the ones not moved yet are wrapped. This file goes away when the last kind has moved.

/**
 * Every check kind a target file can use, by name, each loaded on demand: a run loads only the kinds
 * its target uses (start-up time counts: it is part of every smoke run). A new kind is one module
 * exporting a `CheckKind` and one line here.
 */
const LOADERS: Readonly<Record<string, (() => Promise<CheckKind>) | null>> = Object.freeze({
  'http': null,
  'https-redirect': async () => (await import('./https-redirect.ts')).httpsRedirectKind,
  'security-headers': async () => (await import('./security-headers.ts')).securityHeadersKind,
  'tls': async () => (await import('./tls.ts')).tlsKind,
  'webhook': async () => (await import('./webhook.ts')).webhookKind,
  'metrics': async () => (await import('./metrics.ts')).metricsKind,
  'postgres': async () => (await import('./postgres.ts')).postgresKind,
  'alembic': async () => (await import('./alembic.ts')).alembicKind,
  'rls': async () => (await import('./rls.ts')).rlsKind,
  'sql': async () => (await import('./sql.ts')).sqlKind,
  'redis': async () => (await import('./redis.ts')).redisKind,
  'queue-depth': async () => (await import('./queue-depth.ts')).queueDepthKind,
  'prom-query': async () => (await import('./prom-query.ts')).promQueryKind,
  'prom-targets': async () => (await import('./prom-targets.ts')).promTargetsKind,
  'prom-alerts': async () => (await import('./prom-alerts.ts')).promAlertsKind,
  'latency': async () => (await import('./latency.ts')).latencyKind,
  'grafana': async () => (await import('./grafana.ts')).grafanaKind,
  'browser': async () => (await import('./browser.ts')).browserKind,
  'kube-rollout': null,
  'kube-pods': null,
  'kube-certificate': null,
  'kube-resource': null,
  'kube-secret-keys': null,
  'kube-ingress': null,
  'kube-hpa': null,
  'kube-events': null,
  'dns': async () => (await import('./dns.ts')).dnsKind,
})

/** The kind names, in documentation order. */
export const KIND_NAMES: readonly string[] = Object.freeze(Object.keys(LOADERS))

const loaded = new Map<string, Promise<AnyCheckKind>>()

/** The kind called `name`, or undefined when there is none. */
export function loadKind(name: string): Promise<AnyCheckKind | undefined> {
  if (CONVERTED.includes(name)) return loadConverted(name)
  const load = Object.hasOwn(LOADERS, name) ? LOADERS[name] : undefined
  if (!load) return Promise.resolve(undefined)
  let p = loaded.get(name)
  if (!p) {
    p = load().then(fromLegacy)
    loaded.set(name, p)
  }
  return p
}

/** The named kinds (unknown names skipped), or every kind; in KIND_NAMES order. */
export async function loadKinds(names: Iterable<string> = KIND_NAMES): Promise<AnyCheckKind[]> {
  const wanted = new Set(names)
  const kinds = await Promise.all(KIND_NAMES.filter((n) => wanted.has(n)).map((n) => loadKind(n)))
  return kinds.filter((k): k is AnyCheckKind => k !== undefined)
}
