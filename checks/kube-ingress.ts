/**
 * `kind: kube-ingress` — ingressReady: an Ingress has a load-balancer address and, when asked, a
 * rule for the host and a TLS block with the expected Secret.
 */
import { InvalidArgumentError } from '../lib/errors.ts'
import { createKubeClient, KUBE_CONNECTION_FIELDS, kubeLibrary } from '../clients/kube.ts'
import { stripUndefined } from '../lib/object.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'
import { Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'
import { kubeApiFailure } from './kube-api-failure.ts'

export const KubeIngressOptions = Options({
  name: Type.String({ minLength: 1, description: 'Ingress name' }),
  tlsSecret: Type.Optional(Type.String({ minLength: 1, description: 'the TLS block must use this Secret (default: not checked)' })),
  host: Type.Optional(Type.String({ minLength: 1, description: 'a rule (and the TLS block, with tlsSecret) must cover this host (default: not checked)' })),
  ...KUBE_CONNECTION_FIELDS,
})
export type IngressReadyOptions = Static<typeof KubeIngressOptions> & RunContext

export const kubeIngressKind = defineKind({
  kind: 'kube-ingress',
  description: 'an Ingress has a load-balancer IP or hostname and its TLS block names the expected secret',
  options: KubeIngressOptions,
  preload: kubeLibrary,
  positional: 'name',
  title: (o) => ingressTitle(o.name, o.namespace),
  run: (o, rt) => ingressReady({ ...o, ...rt }),
})

function ingressTitle(name: string, namespace: string | undefined): string {
  return `ingress ${name}${namespace ? ` in ${namespace}` : ''} is ready`
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

export async function ingressReady(options: IngressReadyOptions): Promise<CheckResult<IngressEvidence>> {
  const opts = stripUndefined(options)
  if (!opts.name) throw new InvalidArgumentError('ingressReady needs a name')
  const client = await createKubeClient(opts)
  const ns = client.namespace
  return timed({ id: opts.id ?? `kube-ingress.${opts.name}`, title: opts.title ?? ingressTitle(opts.name, ns), kind: 'kube-ingress' }, async () => {
    try {
      const ing = await client.request((call) => client.networking.readNamespacedIngress({ name: opts.name, namespace: ns }, call))
      return judgeIngress(ing as IngressLike, { tlsSecret: opts.tlsSecret, host: opts.host }, { name: opts.name, namespace: ns })
    } catch (err) {
      return kubeApiFailure<IngressEvidence>(err, { verb: 'get', resource: 'ingresses', kind: 'ingress', name: opts.name, namespace: ns }, client, { name: opts.name, namespace: ns, addresses: [], hosts: [], tls: [] })
    }
  })
}
