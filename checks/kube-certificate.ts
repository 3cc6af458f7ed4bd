/**
 * `kind: kube-certificate` — certificateReady: a cert-manager Certificate (cert-manager.io/v1) is
 * Ready for its current generation, not failing issuance, and valid for long enough.
 */
import { InvalidArgumentError } from '../lib/errors.ts'
import { createKubeClient, KUBE_CONNECTION_FIELDS, kubeLibrary } from '../clients/kube.ts'
import { stripUndefined } from '../lib/object.ts'
import { type CheckResult, timed } from '../lib/result.ts'
import { defaultsOf, Duration, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'
import { kubeApiFailure } from './kube-api-failure.ts'
import { type CertificateEvidence, type CertificateLike, judgeCertificate } from './kube-certificate-judge.ts'

export const KubeCertificateOptions = Options({
  name: Type.String({ minLength: 1, description: 'Certificate name' }),
  minValidity: Type.Optional(Duration({ default: '336h', description: 'fail when notAfter is closer than this; 0 only requires it not to have expired' })),
  ...KUBE_CONNECTION_FIELDS,
})
export type CertificateReadyOptions = Static<typeof KubeCertificateOptions> & RunContext

export const CERTIFICATE_DEFAULTS = defaultsOf(KubeCertificateOptions, 'minValidity')

export const kubeCertificateKind = defineKind({
  kind: 'kube-certificate',
  description: 'a cert-manager Certificate is Ready for its current generation, not failing issuance, and valid long enough',
  options: KubeCertificateOptions,
  preload: kubeLibrary,
  positional: 'name',
  title: (o) => certificateTitle(o.name, o.namespace),
  run: (o, rt) => certificateReady({ ...o, ...rt }),
})

function certificateTitle(name: string, namespace: string | undefined): string {
  return `certificate ${name}${namespace ? ` in ${namespace}` : ''} is ready`
}

export async function certificateReady(options: CertificateReadyOptions): Promise<CheckResult<CertificateEvidence & { serverMessage?: string }>> {
  const o = { ...CERTIFICATE_DEFAULTS, ...stripUndefined(options) }
  if (!o.name) throw new InvalidArgumentError('certificateReady needs a name')
  if (!Number.isFinite(o.minValidity) || o.minValidity < 0) throw new InvalidArgumentError(`minValidity must be a non-negative number of ms, got ${o.minValidity}`)
  const client = await createKubeClient(o)
  const ns = client.namespace
  return timed({ id: o.id ?? `kube-certificate.${o.name}`, title: o.title ?? certificateTitle(o.name, ns), kind: 'kube-certificate' }, async () => {
    let cert: CertificateLike
    try {
      cert = (await client.request((call) => client.custom.getNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace: ns, plural: 'certificates', name: o.name }, call))) as CertificateLike
    } catch (err) {
      return kubeApiFailure<CertificateEvidence & { serverMessage?: string }>(err, { verb: 'get', resource: 'certificates.cert-manager.io', kind: 'certificate', name: o.name, namespace: ns }, client, { name: o.name, namespace: ns, ready: '' })
    }
    return judgeCertificate(cert, { now: Date.now(), minValidityMs: o.minValidity })
  })
}
