import { describe, expect, it } from 'vitest'
import type { CertSummary } from '../../checks/tls-cert-info.ts'
import type { PathError } from '../../checks/tls-chain.ts'
import { daysUntil, judgeTls, tlsFindings, type TlsFindingCode, type TlsObservation, type TlsPolicy, type ValidationResult } from '../../checks/tls-judge.ts'

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
    fingerprintSha256: 'AA:01',
    spkiSha256: 'k-leaf',
    keyType: 'rsa',
    keyBits: 2048,
    signatureAlgorithm: 'sha256WithRSAEncryption',
    signatureHash: 'sha256',
    isCa: false,
    selfIssued: false,
    ...over,
  }
}

const LEAF = cert()
const INTERMEDIATE = cert({
  subject: 'CN=Example Intermediate',
  issuer: 'CN=Example Root',
  commonName: 'Example Intermediate',
  dnsNames: [],
  notAfter: at(900 * DAY),
  fingerprintSha256: 'AA:02',
  spkiSha256: 'k-int',
  isCa: true,
  keyUsage: ['keyCertSign', 'cRLSign'],
})
const ROOT = cert({
  subject: 'CN=Example Root',
  issuer: 'CN=Example Root',
  commonName: 'Example Root',
  dnsNames: [],
  notAfter: at(3000 * DAY),
  fingerprintSha256: 'AA:03',
  spkiSha256: 'k-root',
  isCa: true,
  selfIssued: true,
})
const POLICY: TlsPolicy = { minDays: 7, warnDays: 30, minProtocol: 'TLSv1.2', minRsaBits: 2048, minEcBits: 256, allowSelfSigned: false, requireSan: false }

/** A trusted path leaf → intermediate (sent) → root (trust store). */
function trusted(path: CertSummary[] = [LEAF, INTERMEDIATE, ROOT], untrustedCount = path.length - 1): ValidationResult {
  return { trusted: true, path, untrustedCount, errors: [], unevaluated: [] }
}
function failed(path: CertSummary[], errors: [PathError['code'], number][]): ValidationResult {
  return { trusted: false, path, untrustedCount: path.length, errors: errors.map(([code, depth]) => ({ code, depth, subject: path[depth]!.subject })), unevaluated: [] }
}

function obs(over: Partial<TlsObservation> = {}): TlsObservation {
  const presented = over.presented ?? [LEAF, INTERMEDIATE]
  return {
    target: 'api.example.com:443',
    source: 'server',
    hostname: 'api.example.com',
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    presented,
    validation: trusted(),
    trustStore: 'system roots',
    ...over,
  }
}

/** One presented/validated chain with the leaf replaced. */
function withLeaf(leaf: CertSummary): Partial<TlsObservation> {
  return { presented: [leaf, INTERMEDIATE], validation: trusted([leaf, INTERMEDIATE, ROOT]) }
}
function withIntermediate(i: CertSummary): Partial<TlsObservation> {
  return { presented: [LEAF, i], validation: trusted([LEAF, i, ROOT]) }
}

const OK = 'certificate for api.example.com valid for 89 more days (expires 2027-02-18)'

describe('daysUntil: one rounding rule (whole days, toward zero) for evidence and messages', () => {
  it.each<[string, number, number]>([
    ['89.5 days ahead', 89 * DAY + 12 * HOUR, 89],
    ['half a day ahead', 12 * HOUR, 0],
    ['half a day ago', -12 * HOUR, 0],
    ['1.5 days ago', -DAY - 12 * HOUR, -1],
    ['3 days and an hour ago', -3 * DAY - HOUR, -3],
  ])('%s', (_name, delta, days) => {
    expect(daysUntil(at(delta), NOW)).toBe(days)
  })
})

describe('judgeTls', () => {
  it.each<[string, Partial<TlsObservation>, Partial<TlsPolicy>, TlsFindingCode[], string]>([
    ['valid', {}, {}, [], OK],
    ['expired leaf', withLeaf(cert({ notAfter: at(-3 * DAY - HOUR) })), {}, ['expired'], 'certificate expired 3 days ago (notAfter 2026-11-18T11:00:00Z)'],
    ['expired 1.5 days ago says 1 day, as daysLeft -1 does', withLeaf(cert({ notAfter: at(-DAY - 12 * HOUR) })), {}, ['expired'], 'certificate expired 1 day ago (notAfter 2026-11-20T00:00:00Z)'],
    ['expired one second ago', withLeaf(cert({ notAfter: at(-1000) })), {}, ['expired'], 'certificate expired 0 days ago (notAfter 2026-11-21T11:59:59Z)'],
    ['not yet valid', withLeaf(cert({ notBefore: at(5 * DAY + HOUR) })), {}, ['not-yet-valid'], 'certificate is not valid until 2026-11-26T13:00:00Z (5 days from now)'],
    ['expires under minDays', withLeaf(cert({ notAfter: at(3 * DAY + HOUR) })), {}, ['expires-soon'], 'certificate expires in 3 days (notAfter 2026-11-24T13:00:00Z), under the 7-day minimum'],
    ['expires exactly at minDays is fine (warning only)', withLeaf(cert({ notAfter: at(7 * DAY + HOUR) })), {}, ['expires-warning'], 'certificate for api.example.com valid for 7 more days (expires 2026-11-28); warning: under the 30-day warning threshold'],
    ['minDays 0 accepts the last day', withLeaf(cert({ notAfter: at(HOUR) })), { minDays: 0, warnDays: 0 }, [], 'certificate for api.example.com valid for 0 more days (expires 2026-11-21)'],
    ['warnDays 0 disables the warning', withLeaf(cert({ notAfter: at(10 * DAY + HOUR) })), { warnDays: 0 }, [], 'certificate for api.example.com valid for 10 more days (expires 2026-12-01)'],
    ['hostname mismatch lists the SANs', withLeaf(cert({ dnsNames: ['www.example.com'] })), {}, ['hostname-mismatch'], 'hostname api.example.com not in certificate SANs [www.example.com]'],
    ['CN is ignored when SANs exist', withLeaf(cert({ dnsNames: ['www.example.com'], commonName: 'api.example.com' })), {}, ['hostname-mismatch'], 'hostname api.example.com not in certificate SANs [www.example.com]'],
    [
      'no SANs: the CN still matches (as OpenSSL and curl do), with a warning',
      withLeaf(cert({ dnsNames: [] })),
      {},
      ['no-san'],
      `${OK}; warning: no subjectAltName (browsers reject CN-only certificates)`,
    ],
    ['no SANs with requireSan fails', withLeaf(cert({ dnsNames: [] })), { requireSan: true }, ['no-san'], 'certificate has no subjectAltName: browsers ignore its subject CN (api.example.com) and reject it'],
    ['no SANs and a different CN', withLeaf(cert({ dnsNames: [], commonName: 'other.example.com' })), {}, ['hostname-mismatch', 'no-san'], 'hostname api.example.com does not match the certificate (no SANs; CN other.example.com)'],
    ['no hostname given (PEM file): not checked', { ...withLeaf(cert({ dnsNames: ['www.example.com'] })), hostname: undefined }, {}, [], OK],
    [
      'leaf sent alone, issuer nowhere: an incomplete chain naming the issuer',
      { presented: [LEAF], validation: failed([LEAF], [['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 0], ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 0]]) },
      {},
      ['incomplete-chain'],
      'chain is incomplete: the server sent no certificate for the issuer CN=Example Intermediate, and the system roots does not have it',
    ],
    [
      'an intermediate whose issuer is not trusted',
      { validation: failed([LEAF, INTERMEDIATE], [['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 1]]) },
      {},
      ['untrusted'],
      'certificate chain does not verify against the system roots: issuer CN=Example Root is not trusted',
    ],
    [
      'the server sends an untrusted root',
      { presented: [LEAF, INTERMEDIATE, ROOT], validation: failed([LEAF, INTERMEDIATE, ROOT], [['SELF_SIGNED_CERT_IN_CHAIN', 2]]) },
      {},
      ['untrusted'],
      'certificate chain does not verify against the system roots: root CN=Example Root is not trusted',
    ],
    [
      'verifies only with an intermediate from the CA bundle: incomplete chain',
      { presented: [LEAF], validation: trusted([LEAF, INTERMEDIATE, ROOT], 1) },
      {},
      ['incomplete-chain'],
      'server did not send the intermediate certificate (chain verifies only with it added from the system roots): missing CN=Example Intermediate',
    ],
    [
      'the store has a copy of the intermediate the server sent: complete',
      { validation: trusted([LEAF, { ...INTERMEDIATE, fingerprintSha256: 'AA:99' }, ROOT], 1) },
      {},
      [],
      OK,
    ],
    [
      'self-signed (untrusted is not repeated)',
      { presented: [cert({ issuer: 'CN=api.example.com', selfIssued: true })], validation: failed([cert({ issuer: 'CN=api.example.com', selfIssued: true })], [['DEPTH_ZERO_SELF_SIGNED_CERT', 0]]) },
      {},
      ['self-signed'],
      'certificate is self-signed (CN=api.example.com)',
    ],
    [
      'self-signed allowed',
      { presented: [cert({ selfIssued: true })], validation: failed([cert({ selfIssued: true })], [['DEPTH_ZERO_SELF_SIGNED_CERT', 0]]) },
      { allowSelfSigned: true },
      [],
      OK,
    ],
    [
      'self-signed allowed, but not for TLS servers',
      { presented: [cert({ selfIssued: true, extKeyUsage: ['clientAuth'] })], validation: failed([cert({ selfIssued: true, extKeyUsage: ['clientAuth'] })], [['DEPTH_ZERO_SELF_SIGNED_CERT', 0], ['INVALID_PURPOSE', 0]]) },
      { allowSelfSigned: true },
      ['wrong-purpose'],
      'certificate is not for TLS servers: its extendedKeyUsage is clientAuth, without serverAuth',
    ],
    [
      'an issuer that is not a CA',
      { validation: failed([LEAF, { ...INTERMEDIATE, isCa: false }, ROOT], [['INVALID_CA', 1], ['INVALID_PURPOSE', 1]]) },
      {},
      ['invalid-ca'],
      'intermediate certificate CN=Example Intermediate is not a valid CA certificate (basicConstraints does not say CA:TRUE), yet it issued CN=api.example.com',
    ],
    [
      'an issuer whose keyUsage lacks keyCertSign',
      { validation: failed([LEAF, { ...INTERMEDIATE, keyUsage: ['digitalSignature'] }, ROOT], [['INVALID_CA', 1], ['INVALID_PURPOSE', 1], ['KEYUSAGE_NO_CERTSIGN', 1]]) },
      {},
      ['invalid-ca'],
      'intermediate certificate CN=Example Intermediate is not a valid CA certificate (its keyUsage (digitalSignature) does not include keyCertSign), yet it issued CN=api.example.com',
    ],
    [
      'a leaf for TLS clients only',
      { validation: failed([cert({ extKeyUsage: ['clientAuth'] }), INTERMEDIATE, ROOT], [['INVALID_PURPOSE', 0]]) },
      {},
      ['wrong-purpose'],
      'certificate is not for TLS servers: its extendedKeyUsage is clientAuth, without serverAuth',
    ],
    [
      'an intermediate restricted to TLS clients',
      { validation: failed([LEAF, { ...INTERMEDIATE, extKeyUsage: ['clientAuth'] }, ROOT], [['INVALID_PURPOSE', 1]]) },
      {},
      ['wrong-purpose'],
      'intermediate certificate CN=Example Intermediate limits extendedKeyUsage to clientAuth, without serverAuth',
    ],
    [
      'pathLen exceeded',
      { validation: failed([LEAF, { ...INTERMEDIATE, subject: 'CN=Lower' }, { ...INTERMEDIATE, pathLen: 0 }, ROOT], [['PATH_LENGTH_EXCEEDED', 2]]) },
      {},
      ['path-length-exceeded'],
      'intermediate certificate CN=Example Intermediate allows 0 intermediate CAs below it (pathLenConstraint), the path has 1',
    ],
    [
      'a signature that does not verify',
      { validation: failed([LEAF, INTERMEDIATE, ROOT], [['CERT_SIGNATURE_FAILURE', 0]]) },
      {},
      ['bad-signature'],
      'signature of the certificate does not verify with the key of its issuer CN=Example Intermediate',
    ],
    [
      'an unhandled critical extension',
      { validation: failed([cert({ unhandledCriticalExtensions: ['1.2.3.4'] }), INTERMEDIATE, ROOT], [['UNHANDLED_CRITICAL_EXTENSION', 0]]) },
      {},
      ['unhandled-critical-extension'],
      'certificate has a critical extension OpenSSL does not handle (1.2.3.4), so no client may accept it',
    ],
    [
      'time errors are worded by the validity checks, not repeated',
      { validation: failed([LEAF, { ...INTERMEDIATE, notAfter: at(-10 * DAY - HOUR) }, ROOT], [['CERT_HAS_EXPIRED', 1]]) },
      {},
      ['intermediate-expired'],
      'intermediate certificate CN=Example Intermediate expired 10 days ago (notAfter 2026-11-11T11:00:00Z)',
    ],
    ['an intermediate within warnDays warns', withIntermediate({ ...INTERMEDIATE, notAfter: at(20 * DAY + HOUR) }), {}, ['chain-expires-warning'], `${OK}; warning: intermediate certificate CN=Example Intermediate expires in 20 days`],
    ['an intermediate within minDays fails', withIntermediate({ ...INTERMEDIATE, notAfter: at(3 * DAY + HOUR) }), {}, ['chain-expires-soon'], 'intermediate certificate CN=Example Intermediate expires in 3 days (notAfter 2026-11-24T13:00:00Z), under the 7-day minimum'],
    ['the root of the path counts too', { validation: trusted([LEAF, INTERMEDIATE, { ...ROOT, notAfter: at(12 * DAY) }]) }, {}, ['chain-expires-warning'], `${OK}; warning: root certificate CN=Example Root expires in 12 days`],
    [
      'an expired certificate sent but not on the verified path only warns (the Let\u2019s Encrypt long chain)',
      { presented: [LEAF, INTERMEDIATE, cert({ subject: 'CN=Example Root', issuer: 'CN=Old Root', fingerprintSha256: 'AA:04', spkiSha256: 'k-root', isCa: true, notAfter: at(-10 * DAY) })] },
      {},
      ['unused-cert-expired'],
      `${OK}; warning: the server also sends expired CN=Example Root (not on the verified path)`,
    ],
    [
      'intermediates sent out of order',
      { presented: [LEAF, { ...INTERMEDIATE, subject: 'CN=Upper', fingerprintSha256: 'AA:05' }, INTERMEDIATE], validation: trusted([LEAF, INTERMEDIATE, { ...INTERMEDIATE, subject: 'CN=Upper', fingerprintSha256: 'AA:05' }, ROOT]) },
      {},
      ['chain-order'],
      `${OK}; warning: intermediates sent out of order`,
    ],
    ['RSA 1024 leaf', withLeaf(cert({ keyBits: 1024 })), {}, ['weak-key'], 'certificate key is RSA 1024 bits, below the minimum of 2048'],
    ['RSA 1024 intermediate', withIntermediate({ ...INTERMEDIATE, keyBits: 1024 }), {}, ['weak-key'], 'intermediate certificate CN=Example Intermediate key is RSA 1024 bits, below the minimum of 2048'],
    ['RSA 1024 root of the path', { validation: trusted([LEAF, INTERMEDIATE, { ...ROOT, keyBits: 1024 }]) }, {}, ['weak-key'], 'root certificate CN=Example Root key is RSA 1024 bits, below the minimum of 2048'],
    ['a weak certificate sent but not on the path is not judged', { presented: [LEAF, INTERMEDIATE, cert({ subject: 'CN=Extra', fingerprintSha256: 'AA:06', keyBits: 1024 })] }, {}, [], OK],
    ['EC P-224', withLeaf(cert({ keyType: 'ec', keyBits: 224, curve: 'secp224r1' })), {}, ['weak-key'], 'certificate key is EC 224 bits, below the minimum of 256'],
    ['EC P-256 is fine', withLeaf(cert({ keyType: 'ec', keyBits: 256, curve: 'prime256v1', signatureAlgorithm: 'ecdsa-with-SHA256' })), {}, [], OK],
    ['Ed25519 is not judged by RSA/EC sizes', withLeaf(cert({ keyType: 'ed25519', keyBits: 256, signatureAlgorithm: 'ED25519', signatureHash: undefined })), {}, [], OK],
    [
      'RSA 3072 with minRsaBits 4096: every certificate of the path is held to it',
      withLeaf(cert({ keyBits: 3072 })),
      { minRsaBits: 4096 },
      ['weak-key', 'weak-key', 'weak-key'],
      'certificate key is RSA 3072 bits, below the minimum of 4096; intermediate certificate CN=Example Intermediate key is RSA 2048 bits, below the minimum of 4096; root certificate CN=Example Root key is RSA 2048 bits, below the minimum of 4096',
    ],
    ['SHA-1 leaf', withLeaf(cert({ signatureAlgorithm: 'sha1WithRSAEncryption', signatureHash: 'sha1' })), {}, ['weak-signature'], 'certificate is signed with sha1WithRSAEncryption (SHA-1 signatures are forgeable)'],
    ['MD5 leaf', withLeaf(cert({ signatureAlgorithm: 'md5WithRSAEncryption', signatureHash: 'md5' })), {}, ['weak-signature'], 'certificate is signed with md5WithRSAEncryption (MD5 signatures are forgeable)'],
    ['RSASSA-PSS with SHA-1', withLeaf(cert({ signatureAlgorithm: 'RSASSA-PSS', signatureHash: 'sha1' })), {}, ['weak-signature'], 'certificate is signed with RSASSA-PSS (SHA-1 signatures are forgeable)'],
    ['SHA-1 intermediate', withIntermediate({ ...INTERMEDIATE, signatureAlgorithm: 'sha1WithRSAEncryption', signatureHash: 'sha1' }), {}, ['weak-signature'], 'intermediate certificate CN=Example Intermediate is signed with sha1WithRSAEncryption (SHA-1 signatures are forgeable)'],
    ['a root\u2019s own SHA-1 self-signature is ignored', { validation: trusted([LEAF, INTERMEDIATE, { ...ROOT, signatureAlgorithm: 'sha1WithRSAEncryption', signatureHash: 'sha1' }]) }, {}, [], OK],
    ['TLS 1.1', { protocol: 'TLSv1.1' }, {}, ['old-protocol'], 'server negotiated TLSv1.1, below the minimum TLSv1.2'],
    ['TLS 1.2 below a 1.3 minimum', { protocol: 'TLSv1.2' }, { minProtocol: 'TLSv1.3' }, ['old-protocol'], 'server negotiated TLSv1.2, below the minimum TLSv1.3'],
    ['no protocol (PEM file): not judged', { protocol: undefined, source: 'file' }, { minProtocol: 'TLSv1.3' }, [], OK],
    ['1 day left is singular', withLeaf(cert({ notAfter: at(DAY + HOUR) })), { minDays: 1, warnDays: 0 }, [], 'certificate for api.example.com valid for 1 more day (expires 2026-11-22)'],
    [
      'offline: name constraints are said to be unevaluated',
      { source: 'file', validation: { ...trusted(), unevaluated: ['name constraints of CN=Example Intermediate'] } },
      {},
      ['not-evaluated'],
      `${OK}; warning: name constraints of CN=Example Intermediate not evaluated`,
    ],
  ])('%s', (_name, o, p, codes, message) => {
    const v = judgeTls(obs(o), { ...POLICY, ...p }, NOW)
    expect(v.evidence.findings).toEqual(codes)
    expect(v.message).toBe(message)
    const failing = tlsFindings(obs(o), { ...POLICY, ...p }, NOW).some((f) => f.severity === 'fail')
    expect(v.status).toBe(failing ? 'fail' : 'pass')
  })

  describe('live mode: OpenSSL\u2019s verdict decides trust', () => {
    it('OpenSSL rejects what the own validation accepted: untrusted, with OpenSSL\u2019s reason', () => {
      const v = judgeTls(obs({ openssl: { authorized: false, error: 'CERT_REVOKED' } }), POLICY, NOW)
      expect(v.status).toBe('fail')
      expect(v.evidence).toMatchObject({ trusted: false, verifiedBy: 'openssl-handshake', verifyError: 'CERT_REVOKED', findings: ['untrusted'] })
      expect(v.message).toBe('certificate chain does not verify against the system roots: OpenSSL rejects it (CERT_REVOKED)')
    })

    it('OpenSSL accepts what the own validation rejected: trusted, and the disagreement is a warning', () => {
      const v = judgeTls(obs({ openssl: { authorized: true }, validation: failed([LEAF, INTERMEDIATE], [['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 1]]) }), POLICY, NOW)
      expect(v.status).toBe('pass')
      expect(v.evidence.trusted).toBe(true)
      expect(v.evidence.findings).toEqual(['validation-disagrees'])
      expect(v.warnings).toEqual(["OpenSSL accepted the chain, but the check's own path validation reports UNABLE_TO_GET_ISSUER_CERT_LOCALLY at depth 1; OpenSSL's verdict stands"])
    })

    it('both reject: the own validation explains, OpenSSL\u2019s code is evidence', () => {
      const v = judgeTls(obs({ presented: [LEAF], openssl: { authorized: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, validation: failed([LEAF], [['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 0], ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 0]]) }), POLICY, NOW)
      expect(v.evidence).toMatchObject({ trusted: false, verifyError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', findings: ['incomplete-chain'] })
      expect(v.evidence.pathErrors).toEqual([
        { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', depth: 0, subject: 'CN=api.example.com' },
        { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', depth: 0, subject: 'CN=api.example.com' },
      ])
    })
  })

  it('joins several failures in order of severity and keeps warnings apart', () => {
    const v = judgeTls(obs({ protocol: 'TLSv1', ...withLeaf(cert({ notAfter: at(-DAY - HOUR), keyBits: 1024 })) }), POLICY, NOW)
    expect(v.status).toBe('fail')
    expect(v.evidence.findings).toEqual(['expired', 'weak-key', 'old-protocol'])
    expect(v.message).toBe(
      'certificate expired 1 day ago (notAfter 2026-11-20T11:00:00Z); certificate key is RSA 1024 bits, below the minimum of 2048; server negotiated TLSv1, below the minimum TLSv1.2',
    )
  })

  it('a warning alone passes and is listed in warnings', () => {
    const v = judgeTls(obs(withLeaf(cert({ notAfter: at(20 * DAY + HOUR) }))), POLICY, NOW)
    expect(v.status).toBe('pass')
    expect(v.warnings).toEqual(['certificate expires in 20 days (notAfter 2026-12-11T13:00:00Z), under the 30-day warning threshold'])
  })

  it('records leaf evidence, the presented chain and the verified path, with leaf and chain expiry apart', () => {
    const v = judgeTls(obs({ validation: trusted([LEAF, INTERMEDIATE, { ...ROOT, notAfter: at(400 * DAY) }]) }), POLICY, NOW)
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
      chainNotAfter: '2027-12-26T12:00:00Z',
      chainDaysLeft: 400,
      fingerprintSha256: 'AA:01',
      keyType: 'rsa',
      keyBits: 2048,
      signatureAlgorithm: 'sha256WithRSAEncryption',
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      trusted: true,
      verifiedBy: 'offline-validator',
      trustAnchor: 'CN=Example Root',
      trustStore: 'system roots',
      findings: [],
      chain: [
        { subject: 'CN=api.example.com', issuer: 'CN=Example Intermediate', notAfter: '2027-02-18T13:00:00Z', daysLeft: 89, key: 'RSA 2048', onPath: true },
        { subject: 'CN=Example Intermediate', issuer: 'CN=Example Root', notAfter: '2029-05-09T12:00:00Z', daysLeft: 900, onPath: true },
      ],
      path: [
        { subject: 'CN=api.example.com', source: 'sent' },
        { subject: 'CN=Example Intermediate', source: 'sent' },
        { subject: 'CN=Example Root', source: 'trust store', daysLeft: 400 },
      ],
    })
    expect(v.evidence.pathErrors).toBeUndefined()
    expect(v.evidence.verifyError).toBeUndefined()
  })
})
