import { describe, expect, it } from 'vitest'
import { judgeCertificate, type CertificateLike } from '../../checks/kube-certificate-judge.ts'

const now = Date.parse('2026-06-01T00:00:00Z')
const day = 86_400_000
const cert = (conditions: NonNullable<CertificateLike['status']>['conditions'], notAfterDays: number | null = 60, generation = 2): CertificateLike => ({
  metadata: { name: 'api-tls', namespace: 'shop', generation },
  spec: { secretName: 'api-tls', issuerRef: { name: 'letsencrypt-prod', kind: 'ClusterIssuer' } },
  status: { conditions, ...(notAfterDays === null ? {} : { notAfter: new Date(now + notAfterDays * day).toISOString(), renewalTime: new Date(now + (notAfterDays - 30) * day).toISOString() }) },
})
const R = (status: string, extra: object = {}) => ({ type: 'Ready', status, observedGeneration: 2, ...extra })

describe('judgeCertificate', () => {
  it.each<[string, CertificateLike, 'pass' | 'fail', RegExp]>([
    ['ready and far from expiry', cert([R('True', { reason: 'Ready', message: 'Certificate is up to date and has not expired' })]), 'pass', /is ready, valid until 2026-07-31/],
    ['no conditions yet', cert([], null), 'fail', /has no Ready condition yet/],
    ['Ready False with reason', cert([R('False', { reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' })], null), 'fail', /not ready \(Ready=False, DoesNotExist: Issuing/],
    ['Ready Unknown', cert([R('Unknown')]), 'fail', /Ready=Unknown/],
    ['stale Ready', cert([R('True', { observedGeneration: 1 })]), 'fail', /stale \(observedGeneration 1, generation 2\)/],
    ['Issuing False', cert([R('True'), { type: 'Issuing', status: 'False', reason: 'Failed', message: 'The certificate request has failed to complete and will be retried' }]), 'fail', /issuance failed \(Issuing=False, Failed/],
    ['expires inside the threshold', cert([R('True')], 5), 'fail', /5 days left, less than the required 14/],
    ['expired', cert([R('True')], -1), 'fail', /expired at/],
    ['ready without notAfter', cert([R('True')], null), 'fail', /no status.notAfter/],
    ['no observedGeneration on the condition is accepted', cert([{ type: 'Ready', status: 'True' }]), 'pass', /is ready/],
  ])('%s', (_name, c, status, message) => {
    const v = judgeCertificate(c, { now, minValidityMs: 14 * day })
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
  })

  it('gives auditors the columns kubectl and cmctl show', () => {
    const v = judgeCertificate(cert([R('True', { reason: 'Ready' }), { type: 'Issuing', status: 'True', reason: 'Renewing' }]), { now, minValidityMs: 0 })
    expect(v.evidence).toMatchObject({ name: 'api-tls', ready: 'True', readyReason: 'Ready', secretName: 'api-tls', issuer: 'ClusterIssuer/letsencrypt-prod', daysLeft: 60, issuing: 'True' })
    expect(v.warnings).toEqual(['certificate api-tls is being re-issued (Renewing)'])
  })
})
