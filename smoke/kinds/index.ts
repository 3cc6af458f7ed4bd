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
  'https-redirect': null,
  'security-headers': null,
  'tls': null,
  'webhook': null,
  'metrics': null,
  'postgres': null,
  'alembic': null,
  'rls': null,
  'sql': null,
  'redis': null,
  'queue-depth': null,
  'prom-query': null,
  'prom-targets': null,
  'prom-alerts': null,
  'latency': null,
  'grafana': null,
  'browser': null,
  'kube-rollout': async () => (await import('./kube-rollout.ts')).kubeRolloutKind,
  'kube-pods': async () => (await import('./kube-pods.ts')).kubePodsKind,
  'kube-certificate': async () => (await import('./kube-certificate.ts')).kubeCertificateKind,
  'kube-resource': async () => (await import('./kube-resource.ts')).kubeResourceKind,
  'kube-secret-keys': async () => (await import('./kube-secret-keys.ts')).kubeSecretKeysKind,
  'kube-ingress': async () => (await import('./kube-ingress.ts')).kubeIngressKind,
  'kube-hpa': async () => (await import('./kube-hpa.ts')).kubeHpaKind,
  'kube-events': async () => (await import('./kube-events.ts')).kubeEventsKind,
  'dns': null,
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
