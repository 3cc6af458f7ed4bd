import { describe, expect, it } from 'vitest'
import type { CertSummary } from '../../checks/tls-cert-info.ts'
import type { ChainVerification } from '../../checks/tls-chain.ts'
import { judgeTls, tlsFindings, type TlsFindingCode, type TlsObservation, type TlsPolicy } from '../../checks/tls-judge.ts'

const NOW = new Date('2026-11-21T12:00:00Z')
const DAY = 86_400_000
const HOUR = 3_600_000
const at = (ms: number) => new Date(NOW.getTime() + ms)

function cert(over: Partial<CertSummary> = {}): CertSummary {
  return {
    subject: 'CN=api.example.com',
    issuer: 'CN=Example Intermediate',
    commonName: 'api.example.com',
    dnsNames: ['api.example.com'],
    ipAddresses: [],
    serial: '01',
    notBefore: at(-30 * DAY),
    notAfter: at(89 * DAY + HOUR),
    fingerprintSha256: 'AA:BB',
    keyType: 'rsa',
    keyBits: 2048,
    signatureAlgorithm: 'sha256WithRSAEncryption',
    isCa: false,
    ...over,
  }
}

const intermediate = cert({
  subject: 'CN=Example Intermediate',
  issuer: 'CN=Example Root',
  commonName: 'Example Intermediate',
  dnsNames: [],
  notAfter: at(900 * DAY),
  isCa: true,
})
const TRUSTED: ChainVerification = { trusted: true, selfSigned: false, missingFromServer: [], anchor: 'CN=Example Root' }
const POLICY: TlsPolicy = { minDays: 7, warnDays: 30, minProtocol: 'TLSv1.2', minRsaBits: 2048, minEcBits: 256, allowSelfSigned: false }

function obs(over: Partial<TlsObservation> = {}): TlsObservation {
  return {
    target: 'api.example.com:443',
    hostname: 'api.example.com',
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    chain: [cert(), intermediate],
    verification: TRUSTED,
    trustStore: 'system roots',
    ...over,
  }
}

describe('judgeTls', () => {
  it.each<[string, Partial<TlsObservation>, Partial<TlsPolicy>, TlsFindingCode[], string]>([
    ['expired leaf', { chain: [cert({ notAfter: at(-3 * DAY - HOUR) }), intermediate] }, {}, ['expired'], 'certificate expired 3 days ago (notAfter 2026-11-18T11:00:00Z)'],
    ['expired one second ago', { chain: [cert({ notAfter: at(-1000) }), intermediate] }, {}, ['expired'], 'certificate expired 0 days ago (notAfter 2026-11-21T11:59:59Z)'],
    ['not yet valid', { chain: [cert({ notBefore: at(5 * DAY + HOUR) }), intermediate] }, {}, ['not-yet-valid'], 'certificate is not valid until 2026-11-26T13:00:00Z (5 days from now)'],
    ['expires under minDays', { chain: [cert({ notAfter: at(3 * DAY + HOUR) }), intermediate] }, {}, ['expires-soon'], 'certificate expires in 3 days (notAfter 2026-11-24T13:00:00Z), under the 7-day minimum'],
    ['expires exactly at minDays is fine (warning only)', { chain: [cert({ notAfter: at(7 * DAY + HOUR) }), intermediate] }, {}, ['expires-warning'], 'certificate for api.example.com valid for 7 more days (expires 2026-11-28); warning: under the 30-day warning threshold'],
    ['minDays 0 accepts the last day', { chain: [cert({ notAfter: at(HOUR) }), intermediate] }, { minDays: 0, warnDays: 0 }, [], 'certificate for api.example.com valid for 0 more days (expires 2026-11-21)'],
    ['warnDays 0 disables the warning', { chain: [cert({ notAfter: at(10 * DAY + HOUR) }), intermediate] }, { warnDays: 0 }, [], 'certificate for api.example.com valid for 10 more days (expires 2026-12-01)'],
    ['hostname mismatch lists the SANs', { hostname: 'api.example.com', chain: [cert({ dnsNames: ['www.example.com'] }), intermediate] }, {}, ['hostname-mismatch'], 'hostname api.example.com not in certificate SANs [www.example.com]'],
    ['CN is ignored when SANs exist', { hostname: 'api.example.com', chain: [cert({ dnsNames: ['www.example.com'], commonName: 'api.example.com' }), intermediate] }, {}, ['hostname-mismatch'], 'hostname api.example.com not in certificate SANs [www.example.com]'],
    ['CN is used when there are no SANs', { chain: [cert({ dnsNames: [] }), intermediate] }, {}, [], 'certificate for api.example.com valid for 89 more days (expires 2027-02-18)'],
    ['no SANs and a different CN', { hostname: 'api.example.com', chain: [cert({ dnsNames: [], commonName: 'other.example.com' }), intermediate] }, {}, ['hostname-mismatch'], 'hostname api.example.com does not match the certificate (no SANs; CN other.example.com)'],
    ['no hostname given (PEM file): not checked', { hostname: undefined, chain: [cert({ dnsNames: ['www.example.com'] }), intermediate] }, {}, [], 'certificate for api.example.com valid for 89 more days (expires 2027-02-18)'],
    ['untrusted', { verification: { trusted: false, selfSigned: false, missingFromServer: [], unknownIssuer: 'CN=Evil Root' } }, {}, ['untrusted'], 'certificate chain does not verify against the system roots: issuer CN=Evil Root is not trusted'],
    ['incomplete chain', { chain: [cert()], verification: { ...TRUSTED, missingFromServer: ['CN=Example Intermediate'] } }, {}, ['incomplete-chain'], 'server did not send the intermediate certificate (chain verifies only with it added from the CA bundle): missing CN=Example Intermediate'],
    ['self-signed (untrusted is not repeated)', { chain: [cert({ issuer: 'CN=api.example.com' })], verification: { trusted: false, selfSigned: true, missingFromServer: [], unknownIssuer: 'CN=api.example.com' } }, {}, ['self-signed'], 'certificate is self-signed (CN=api.example.com)'],
    ['self-signed allowed', { chain: [cert({ issuer: 'CN=api.example.com' })], verification: { trusted: false, selfSigned: true, missingFromServer: [] } }, { allowSelfSigned: true }, [], 'certificate for api.example.com valid for 89 more days (expires 2027-02-18)'],
    ['RSA 1024', { chain: [cert({ keyBits: 1024 }), intermediate] }, {}, ['weak-key'], 'certificate key is RSA 1024 bits, below the minimum of 2048'],
    ['EC P-224', { chain: [cert({ keyType: 'ec', keyBits: 224, curve: 'secp224r1' }), intermediate] }, {}, ['weak-key'], 'certificate key is EC 224 bits, below the minimum of 256'],
    ['EC P-256 is fine', { chain: [cert({ keyType: 'ec', keyBits: 256, curve: 'prime256v1', signatureAlgorithm: 'ecdsa-with-SHA256' }), intermediate] }, {}, [], 'certificate for api.example.com valid for 89 more days (expires 2027-02-18)'],
    ['Ed25519 is not judged by RSA/EC sizes', { chain: [cert({ keyType: 'ed25519', keyBits: 256, signatureAlgorithm: 'ED25519' }), intermediate] }, {}, [], 'certificate for api.example.com valid for 89 more days (expires 2027-02-18)'],
    ['RSA 3072 with minRsaBits 4096', { chain: [cert({ keyBits: 3072 }), intermediate] }, { minRsaBits: 4096 }, ['weak-key'], 'certificate key is RSA 3072 bits, below the minimum of 4096'],
    ['SHA-1 leaf', { chain: [cert({ signatureAlgorithm: 'sha1WithRSAEncryption' }), intermediate] }, {}, ['weak-signature'], 'certificate is signed with sha1WithRSAEncryption (SHA-1 signatures are forgeable)'],
    ['MD5 leaf', { chain: [cert({ signatureAlgorithm: 'md5WithRSAEncryption' }), intermediate] }, {}, ['weak-signature'], 'certificate is signed with md5WithRSAEncryption (MD5 signatures are forgeable)'],
    ['ECDSA SHA-1 leaf', { chain: [cert({ keyType: 'ec', keyBits: 256, signatureAlgorithm: 'ecdsa-with-SHA1' }), intermediate] }, {}, ['weak-signature'], 'certificate is signed with ecdsa-with-SHA1 (SHA-1 signatures are forgeable)'],
    ['SHA-1 intermediate', { chain: [cert(), { ...intermediate, signatureAlgorithm: 'sha1WithRSAEncryption' }] }, {}, ['weak-signature'], 'intermediate certificate CN=Example Intermediate is signed with sha1WithRSAEncryption (SHA-1 signatures are forgeable)'],
    ['SHA-1 self-signed root in the chain is ignored', { chain: [cert(), intermediate, cert({ subject: 'CN=Example Root', issuer: 'CN=Example Root', isCa: true, notAfter: at(3000 * DAY), signatureAlgorithm: 'sha1WithRSAEncryption' })] }, {}, [], 'certificate for api.example.com valid for 89 more days (expires 2027-02-18)'],
    ['expired intermediate', { chain: [cert(), { ...intermediate, notAfter: at(-10 * DAY - HOUR) }] }, {}, ['intermediate-expired'], 'intermediate certificate CN=Example Intermediate expired 10 days ago (notAfter 2026-11-11T11:00:00Z)'],
    ['TLS 1.1', { protocol: 'TLSv1.1' }, {}, ['old-protocol'], 'server negotiated TLSv1.1, below the minimum TLSv1.2'],
    ['TLS 1.2 below a 1.3 minimum', { protocol: 'TLSv1.2' }, { minProtocol: 'TLSv1.3' }, ['old-protocol'], 'server negotiated TLSv1.2, below the minimum TLSv1.3'],
    ['no protocol (PEM file): not judged', { protocol: undefined }, { minProtocol: 'TLSv1.3' }, [], 'certificate for api.example.com valid for 89 more days (expires 2027-02-18)'],
    ['1 day left is singular', { chain: [cert({ notAfter: at(DAY + HOUR) }), intermediate] }, { minDays: 1, warnDays: 0 }, [], 'certificate for api.example.com valid for 1 more day (expires 2026-11-22)'],
  ])('%s', (_name, o, p, codes, message) => {
    const v = judgeTls(obs(o), { ...POLICY, ...p }, NOW)
    expect(v.evidence.findings).toEqual(codes)
    expect(v.message).toBe(message)
    const failing = tlsFindings(obs(o), { ...POLICY, ...p }, NOW).some((f) => f.severity === 'fail')
    expect(v.status).toBe(failing ? 'fail' : 'pass')
    expect(failing).toBe(codes.some((c) => c !== 'expires-warning'))
  })

  it('joins several failures in order of severity and keeps warnings apart', () => {
    const v = judgeTls(obs({ protocol: 'TLSv1', chain: [cert({ notAfter: at(-DAY - HOUR), keyBits: 1024 }), intermediate] }), POLICY, NOW)
    expect(v.status).toBe('fail')
    expect(v.evidence.findings).toEqual(['expired', 'weak-key', 'old-protocol'])
    expect(v.message).toBe(
      'certificate expired 1 day ago (notAfter 2026-11-20T11:00:00Z); certificate key is RSA 1024 bits, below the minimum of 2048; server negotiated TLSv1, below the minimum TLSv1.2',
    )
  })

  it('a warning alone passes and is listed in warnings', () => {
    const v = judgeTls(obs({ chain: [cert({ notAfter: at(20 * DAY + HOUR) }), intermediate] }), POLICY, NOW)
    expect(v.status).toBe('pass')
    expect(v.warnings).toEqual(['certificate expires in 20 days (notAfter 2026-12-11T13:00:00Z), under the 30-day warning threshold'])
  })

  it('records leaf evidence and every chain certificate with its own days left', () => {
    const v = judgeTls(obs(), POLICY, NOW)
    expect(v.evidence).toMatchObject({
      target: 'api.example.com:443',
      hostname: 'api.example.com',
      subject: 'CN=api.example.com',
      issuer: 'CN=Example Intermediate',
      sans: ['api.example.com'],
      serial: '01',
      notBefore: '2026-10-22T12:00:00Z',
      notAfter: '2027-02-18T13:00:00Z',
      daysLeft: 89,
      fingerprintSha256: 'AA:BB',
      keyType: 'rsa',
      keyBits: 2048,
      signatureAlgorithm: 'sha256WithRSAEncryption',
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      trusted: true,
      trustAnchor: 'CN=Example Root',
      trustStore: 'system roots',
      findings: [],
      chain: [
        { subject: 'CN=api.example.com', issuer: 'CN=Example Intermediate', notAfter: '2027-02-18T13:00:00Z', daysLeft: 89 },
        { subject: 'CN=Example Intermediate', issuer: 'CN=Example Root', notAfter: '2029-05-09T12:00:00Z', daysLeft: 900 },
      ],
    })
  })
})
