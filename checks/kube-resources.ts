/**
 * Prerequisite checks from the seed runbooks: an object exists (namespace, service account, network
 * policies, ClusterIssuer...), a Secret has the required keys (names only: values are never kept),
 * an Ingress has an address and the expected TLS secret, an HPA is within bounds and active.
 */
import { InvalidArgumentError } from '../lib/errors.ts'
import { createKubeClient, describeKubeError, type KubeClient, type KubeConnectionOptions } from '../clients/kube.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'

/** apiVersion used when only a kind is given. */
export const DEFAULT_API_VERSIONS: Readonly<Record<string, string>> = Object.freeze({
  Namespace: 'v1',
  ServiceAccount: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  Pod: 'v1',
  Node: 'v1',
  PersistentVolumeClaim: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Ingress: 'networking.k8s.io/v1',
  IngressClass: 'networking.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  Certificate: 'cert-manager.io/v1',
  Issuer: 'cert-manager.io/v1',
  ClusterIssuer: 'cert-manager.io/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  PodDisruptionBudget: 'policy/v1',
})

// ---- resourceExists ------------------------------------------------------------------------

export interface ResourceExistsOptions extends KubeConnectionOptions {
  /** Kind, e.g. `ServiceAccount`, `NetworkPolicy`, `ClusterIssuer`. Required. */
  kind: string
  /** apiVersion of the kind. Default: from DEFAULT_API_VERSIONS (core and common kinds). */
  apiVersion?: string
  /** Object name. Without it, objects are listed and `minCount` applies. */
  name?: string
  /** Label selector when listing (no name). Default: all. */
  selector?: string
  /** Fewest objects when listing, count. Default 1. */
  minCount?: number
  id?: string
  title?: string
}

export interface ResourceEvidence {
  apiVersion: string
  kind: string
  namespace?: string
  name?: string
  found: string[]
  serverMessage?: string
}

export async function resourceExists(opts: ResourceExistsOptions): Promise<CheckResult<ResourceEvidence>> {
  if (!opts.kind) throw new InvalidArgumentError('resourceExists needs a kind')
  const apiVersion = opts.apiVersion ?? DEFAULT_API_VERSIONS[opts.kind]
  if (!apiVersion) throw new InvalidArgumentError(`no default apiVersion for kind ${opts.kind}: give apiVersion`)
  const minCount = opts.minCount ?? 1
  if (!Number.isInteger(minCount) || minCount < 0) throw new InvalidArgumentError(`minCount must be a non-negative integer, got ${minCount}`)
  const client = createKubeClient(opts)
  const what = opts.name ? `${opts.kind} ${opts.name}` : `${opts.kind} objects${opts.selector ? ` with ${opts.selector}` : ''}`
  return timed({ id: opts.id ?? `kube-resource.${opts.kind.toLowerCase()}${opts.name ? `.${opts.name}` : ''}`, title: opts.title ?? `${what} exists`, kind: 'kube-resource' }, async () => {
    const api = client.objects()
    const ev: ResourceEvidence = { apiVersion, kind: opts.kind, found: [] }
    let namespaced: boolean
    try {
      // Discovery (cached by the client): is the kind served, and is it namespaced? `resource()` is protected in the typings only.
      const res = await (api as unknown as { resource(a: string, k: string): Promise<{ namespaced: boolean } | undefined> }).resource(apiVersion, opts.kind)
      if (!res) return { status: 'fail', message: `the API server at ${client.server} does not serve kind ${opts.kind} in ${apiVersion}`, evidence: ev }
      namespaced = res.namespaced
    } catch (err) {
      return failWith(err, ev, client, { verb: 'get', resource: opts.kind, kind: opts.kind.toLowerCase() })
    }
    const ns = namespaced ? client.namespace : undefined
    if (ns) ev.namespace = ns
    const scope = ns ? ` in namespace ${ns}` : ''
    if (opts.name) {
      ev.name = opts.name
      try {
        const metadata: { name: string; namespace?: string } = { name: opts.name }
        if (ns) metadata.namespace = ns
        await api.read({ apiVersion, kind: opts.kind, metadata })
        ev.found = [opts.name]
        return { status: 'pass', message: `${opts.kind} ${opts.name} exists${scope}`, evidence: ev }
      } catch (err) {
        return failWith(err, ev, client, { verb: 'get', resource: plural(opts.kind), kind: opts.kind.toLowerCase(), name: opts.name, ...(ns ? { namespace: ns } : {}) })
      }
    }
    try {
      const list = await api.list(apiVersion, opts.kind, ns, undefined, undefined, undefined, undefined, opts.selector || undefined)
      ev.found = list.items.map((i) => i.metadata?.name ?? '').slice(0, 100)
      const n = list.items.length
      if (n >= minCount) return { status: 'pass', message: `${n} ${what}${scope} (at least ${minCount} expected)`, evidence: ev }
      return { status: 'fail', message: `${n} ${what}${scope}, expected at least ${minCount}`, evidence: ev }
    } catch (err) {
      return failWith(err, ev, client, { verb: 'list', resource: plural(opts.kind), kind: opts.kind.toLowerCase(), ...(ns ? { namespace: ns } : {}) })
    }
  })
}

function plural(kind: string): string {
  const k = kind.toLowerCase()
  return k.endsWith('s') ? `${k}es` : k.endsWith('y') ? `${k.slice(0, -1)}ies` : `${k}s`
}

function failWith<E extends { serverMessage?: string }>(err: unknown, ev: E, client: KubeClient, op: Parameters<typeof describeKubeError>[1]): Verdict<E> {
  const f = describeKubeError(err, op, client.server)
  if (f.serverMessage) ev.serverMessage = f.serverMessage
  return { status: 'fail', message: f.message, evidence: ev }
}

// ---- secretHasKeys -------------------------------------------------------------------------

export interface SecretHasKeysOptions extends KubeConnectionOptions {
  /** Secret name. Required. */
  name: string
  /** Key names that must be present. Required, at least one. */
  keys: string[]
  /** Accept keys whose value is empty. Default false (an empty value counts as missing). */
  allowEmpty?: boolean
  /** Expected Secret type, e.g. `kubernetes.io/tls`. Default: any. */
  type?: string
  id?: string
  title?: string
}

export interface SecretKeysEvidence {
  name: string
  namespace: string
  type?: string
  /** Key names present (never values). */
  keys: string[]
  missing: string[]
  empty: string[]
  serverMessage?: string
}

/** Pure judgement over key names and which of them are empty. */
export function judgeSecretKeys(present: { name: string; empty: boolean }[], required: string[], opts: { allowEmpty: boolean; type?: string | undefined; actualType?: string | undefined }, ctx: { name: string; namespace: string }): Verdict<SecretKeysEvidence> {
  const names = present.map((p) => p.name).sort()
  const missing = required.filter((k) => !names.includes(k))
  const empty = opts.allowEmpty ? [] : required.filter((k) => present.some((p) => p.name === k && p.empty))
  const ev: SecretKeysEvidence = { name: ctx.name, namespace: ctx.namespace, keys: names, missing, empty }
  if (opts.actualType) ev.type = opts.actualType
  if (opts.type && opts.actualType !== opts.type) return { status: 'fail', message: `secret ${ctx.name} has type ${opts.actualType ?? '(none)'}, expected ${opts.type}`, evidence: ev }
  if (missing.length > 0) return { status: 'fail', message: `secret ${ctx.name} is missing key${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`, evidence: ev }
  if (empty.length > 0) return { status: 'fail', message: `secret ${ctx.name} has empty key${empty.length === 1 ? '' : 's'} ${empty.join(', ')}`, evidence: ev }
  return { status: 'pass', message: `secret ${ctx.name} has ${required.join(', ')}`, evidence: ev }
}

export async function secretHasKeys(opts: SecretHasKeysOptions): Promise<CheckResult<SecretKeysEvidence>> {
  if (!opts.name) throw new InvalidArgumentError('secretHasKeys needs a name')
  if (!Array.isArray(opts.keys) || opts.keys.length === 0 || opts.keys.some((k) => typeof k !== 'string' || !k)) throw new InvalidArgumentError('secretHasKeys needs a non-empty list of key names')
  const client = createKubeClient(opts)
  const ns = client.namespace
  return timed({ id: opts.id ?? `kube-secret-keys.${opts.name}`, title: opts.title ?? `secret ${opts.name} in ${ns} has ${opts.keys.join(', ')}`, kind: 'kube-secret-keys' }, async () => {
    let present: { name: string; empty: boolean }[]
    let actualType: string | undefined
    try {
      const s = await client.core.readNamespacedSecret({ name: opts.name, namespace: ns }, client.call())
      // Only names and emptiness leave this expression; values are dropped with `s`.
      present = [...Object.entries(s.data ?? {}), ...Object.entries(s.stringData ?? {})].map(([k, v]) => ({ name: k, empty: !v }))
      actualType = s.type
    } catch (err) {
      return failWith(err, { name: opts.name, namespace: ns, keys: [], missing: [...opts.keys], empty: [] } as SecretKeysEvidence, client, { verb: 'get', resource: 'secrets', kind: 'secret', name: opts.name, namespace: ns })
    }
    return judgeSecretKeys(present, opts.keys, { allowEmpty: opts.allowEmpty ?? false, type: opts.type, actualType }, { name: opts.name, namespace: ns })
  })
}

// ---- ingressReady --------------------------------------------------------------------------

export interface IngressReadyOptions extends KubeConnectionOptions {
  /** Ingress name. Required. */
  name: string
  /** The TLS block must name this Secret. Default: not checked. */
  tlsSecret?: string
  /** A rule (and, with tlsSecret, that TLS block) must cover this host. Default: not checked. */
  host?: string
  id?: string
  title?: string
}

export interface IngressEvidence {
  name: string
  namespace: string
  addresses: string[]
  hosts: string[]
  tls: { secretName?: string; hosts: string[] }[]
  ingressClassName?: string
  serverMessage?: string
}

export interface IngressLike {
  spec?: { ingressClassName?: string; rules?: { host?: string }[]; tls?: { secretName?: string; hosts?: string[] }[] }
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } }
}

export function judgeIngress(ing: IngressLike, opts: { tlsSecret?: string | undefined; host?: string | undefined }, ctx: { name: string; namespace: string }): Verdict<IngressEvidence> {
  const addresses = (ing.status?.loadBalancer?.ingress ?? []).map((a) => a.ip || a.hostname || '').filter(Boolean)
  const hosts = (ing.spec?.rules ?? []).map((r) => r.host ?? '*')
  const tls = (ing.spec?.tls ?? []).map((t) => ({ ...(t.secretName ? { secretName: t.secretName } : {}), hosts: t.hosts ?? [] }))
  const ev: IngressEvidence = { name: ctx.name, namespace: ctx.namespace, addresses, hosts, tls }
  if (ing.spec?.ingressClassName) ev.ingressClassName = ing.spec.ingressClassName
  const label = `ingress ${ctx.name}`
  if (addresses.length === 0) return { status: 'fail', message: `${label} has no load-balancer address yet`, evidence: ev }
  if (opts.host && !hosts.includes(opts.host)) return { status: 'fail', message: `${label} has no rule for host ${opts.host} (hosts: ${hosts.join(', ') || 'none'})`, evidence: ev }
  if (opts.tlsSecret) {
    const block = tls.find((t) => t.secretName === opts.tlsSecret)
    if (!block) return { status: 'fail', message: `${label} TLS does not use secret ${opts.tlsSecret} (${tls.map((t) => t.secretName ?? '(none)').join(', ') || 'no TLS block'})`, evidence: ev }
    if (opts.host && !block.hosts.includes(opts.host)) return { status: 'fail', message: `${label} TLS block with secret ${opts.tlsSecret} does not cover host ${opts.host}`, evidence: ev }
  }
  return { status: 'pass', message: `${label} is served at ${addresses.join(', ')}${opts.tlsSecret ? ` with TLS from ${opts.tlsSecret}` : ''}`, evidence: ev }
}

export async function ingressReady(opts: IngressReadyOptions): Promise<CheckResult<IngressEvidence>> {
  if (!opts.name) throw new InvalidArgumentError('ingressReady needs a name')
  const client = createKubeClient(opts)
  const ns = client.namespace
  return timed({ id: opts.id ?? `kube-ingress.${opts.name}`, title: opts.title ?? `ingress ${opts.name} in ${ns} is ready`, kind: 'kube-ingress' }, async () => {
    try {
      const ing = await client.networking.readNamespacedIngress({ name: opts.name, namespace: ns }, client.call())
      return judgeIngress(ing as IngressLike, { tlsSecret: opts.tlsSecret, host: opts.host }, { name: opts.name, namespace: ns })
    } catch (err) {
      return failWith(err, { name: opts.name, namespace: ns, addresses: [], hosts: [], tls: [] } as IngressEvidence, client, { verb: 'get', resource: 'ingresses', kind: 'ingress', name: opts.name, namespace: ns })
    }
  })
}

// ---- hpaHealthy ----------------------------------------------------------------------------

export interface HpaHealthyOptions extends KubeConnectionOptions {
  /** HorizontalPodAutoscaler name. Required. */
  name: string
  id?: string
  title?: string
}

export interface HpaEvidence {
  name: string
  namespace: string
  target?: string
  minReplicas?: number
  maxReplicas?: number
  currentReplicas?: number
  desiredReplicas?: number
  conditions: { type: string; status: string; reason?: string; message?: string }[]
  serverMessage?: string
}

export interface HpaLike {
  spec?: { minReplicas?: number; maxReplicas?: number; scaleTargetRef?: { kind?: string; name?: string } }
  status?: { currentReplicas?: number; desiredReplicas?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] }
}

export function judgeHpa(h: HpaLike, ctx: { name: string; namespace: string }): Verdict<HpaEvidence> {
  const min = h.spec?.minReplicas ?? 1
  const max = h.spec?.maxReplicas
  const cur = h.status?.currentReplicas
  const conds = (h.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) }))
  const ev: HpaEvidence = { name: ctx.name, namespace: ctx.namespace, minReplicas: min, conditions: conds }
  if (max !== undefined) ev.maxReplicas = max
  if (cur !== undefined) ev.currentReplicas = cur
  if (h.status?.desiredReplicas !== undefined) ev.desiredReplicas = h.status.desiredReplicas
  if (h.spec?.scaleTargetRef) ev.target = `${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}`
  const label = `hpa ${ctx.name}`
  for (const type of ['AbleToScale', 'ScalingActive']) {
    const c = conds.find((x) => x.type === type)
    if (!c) return { status: 'fail', message: `${label} has no ${type} condition yet`, evidence: ev }
    if (c.status !== 'True') return { status: 'fail', message: `${label} ${type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`, evidence: ev }
  }
  if (cur === undefined) return { status: 'fail', message: `${label} reports no current replicas`, evidence: ev }
  if (cur < min || (max !== undefined && cur > max)) return { status: 'fail', message: `${label} has ${cur} replicas, outside ${min}..${max ?? '∞'}`, evidence: ev }
  return { status: 'pass', message: `${label} has ${cur} replicas within ${min}..${max ?? '∞'}, able to scale and active`, evidence: ev }
}

export async function hpaHealthy(opts: HpaHealthyOptions): Promise<CheckResult<HpaEvidence>> {
  if (!opts.name) throw new InvalidArgumentError('hpaHealthy needs a name')
  const client = createKubeClient(opts)
  const ns = client.namespace
  return timed({ id: opts.id ?? `kube-hpa.${opts.name}`, title: opts.title ?? `hpa ${opts.name} in ${ns} is healthy`, kind: 'kube-hpa' }, async () => {
    try {
      const h = await client.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: opts.name, namespace: ns }, client.call())
      return judgeHpa(h as HpaLike, { name: opts.name, namespace: ns })
    } catch (err) {
      return failWith(err, { name: opts.name, namespace: ns, conditions: [] } as HpaEvidence, client, { verb: 'get', resource: 'horizontalpodautoscalers', kind: 'hpa', name: opts.name, namespace: ns })
    }
  })
}
