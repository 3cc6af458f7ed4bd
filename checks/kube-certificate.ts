/**
 * certificateReady: a cert-manager Certificate (cert-manager.io/v1) is Ready for its current
 * generation, not failing issuance, and valid for long enough.
 */
import { InvalidArgumentError } from '../lib/errors.ts'
import { createKubeClient, describeKubeError, type KubeConnectionOptions } from '../clients/kube.ts'
import { type CheckResult, timed } from '../lib/result.ts'
import { type CertificateEvidence, type CertificateLike, judgeCertificate } from './kube-certificate-judge.ts'

export interface CertificateReadyOptions extends KubeConnectionOptions {
  /** Certificate name. Required. */
  name: string
  /** Fail when notAfter is closer than this, ms. Default 14 days (1209600000). 0 only requires it not to have expired. */
  minValidity?: number
  id?: string
  title?: string
}

export const CERTIFICATE_DEFAULTS = Object.freeze({ minValidity: 14 * 86_400_000 })

export async function certificateReady(opts: CertificateReadyOptions): Promise<CheckResult<CertificateEvidence & { serverMessage?: string }>> {
  const o = { ...CERTIFICATE_DEFAULTS, ...opts }
  if (!o.name) throw new InvalidArgumentError('certificateReady needs a name')
  if (!Number.isFinite(o.minValidity) || o.minValidity < 0) throw new InvalidArgumentError(`minValidity must be a non-negative number of ms, got ${o.minValidity}`)
  const client = createKubeClient(o)
  const ns = client.namespace
  return timed({ id: o.id ?? `kube-certificate.${o.name}`, title: o.title ?? `certificate ${o.name} in ${ns} is ready`, kind: 'kube-certificate' }, async () => {
    let cert: CertificateLike
    try {
      cert = (await client.custom.getNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace: ns, plural: 'certificates', name: o.name }, client.call())) as CertificateLike
    } catch (err) {
      const f = describeKubeError(err, { verb: 'get', resource: 'certificates.cert-manager.io', kind: 'certificate', name: o.name, namespace: ns }, client.server)
      const ev: CertificateEvidence & { serverMessage?: string } = { name: o.name, namespace: ns, ready: '' }
      if (f.serverMessage) ev.serverMessage = f.serverMessage
      return { status: 'fail', message: f.message, evidence: ev }
    }
    return judgeCertificate(cert, { now: Date.now(), minValidityMs: o.minValidity })
  })
}
