import type { AnyCheckKind } from './kind.ts'

/**
 * Every check kind a target file can use, by name, each loaded on demand: a run loads only the
 * kinds its target uses (start-up time counts). The module of kind `x` is `checks/x.ts` and exports
 * `xKind` (camel case); a test holds every line to that rule. A new kind is one module, one line
 * here and its test.
 */
const LOADERS: Readonly<Record<string, () => Promise<AnyCheckKind>>> = Object.freeze({
  'http': async () => (await import('./http.ts')).httpKind,
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
  'kube-rollout': async () => (await import('./kube-rollout.ts')).kubeRolloutKind,
  'kube-pods': async () => (await import('./kube-pods.ts')).kubePodsKind,
  'kube-certificate': async () => (await import('./kube-certificate.ts')).kubeCertificateKind,
  'kube-resource': async () => (await import('./kube-resource.ts')).kubeResourceKind,
  'kube-secret-keys': async () => (await import('./kube-secret-keys.ts')).kubeSecretKeysKind,
  'kube-ingress': async () => (await import('./kube-ingress.ts')).kubeIngressKind,
  'kube-hpa': async () => (await import('./kube-hpa.ts')).kubeHpaKind,
  'kube-events': async () => (await import('./kube-events.ts')).kubeEventsKind,
  'dns': async () => (await import('./dns.ts')).dnsKind,
  'tcp': async () => (await import('./tcp.ts')).tcpKind,
})

/** The kind names, in documentation order. */
export const KIND_NAMES: readonly string[] = Object.freeze(Object.keys(LOADERS))

const loaded = new Map<string, Promise<AnyCheckKind>>()

/** The kind called `name`, or undefined when there is none. */
export function loadKind(name: string): Promise<AnyCheckKind | undefined> {
  const load = Object.hasOwn(LOADERS, name) ? LOADERS[name] : undefined
  if (!load) return Promise.resolve(undefined)
  let p = loaded.get(name)
  if (!p) {
    p = load()
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
