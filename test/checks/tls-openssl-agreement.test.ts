import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tlsCertificate, type TlsFindingCode } from '../../checks/tls.ts'
import { X509_ERRORS } from '../../checks/tls-chain.ts'
import type { CheckResult } from '../../lib/result.ts'
import type { TlsEvidence } from '../../checks/tls-judge.ts'
import { hasOpenssl, opensslCorpus, opensslVerify, type CaseName, type OpensslCorpus, type OpensslVerdict } from '../helpers/cert-corpus.ts'
import { startTlsServer } from '../helpers/tls-servers.ts'

/**
 * The TLS check's trust verdict against the reference, `openssl verify -purpose sslserver`, on a
 * corpus made with the openssl CLI: every case is judged from a PEM file (the check's own path
 * validation) and from a loopback server sending the chain in the order under test (OpenSSL's
 * verdict inside node:tls). For each case and mode:
 *   1. `trusted` equals openssl verify's verdict (without hostname);
 *   2. the check's path errors (OpenSSL codes and depths) begin with exactly the errors
 *      openssl verify printed (it stops at the first error it cannot continue past);
 *   3. live: node:tls's authorizationError equals the last of those errors (Node's verify
 *      callback never stops, so OpenSSL's final error is the last one);
 *   4. pass/fail equals `openssl verify ... -verify_hostname host`, except where the check is
 *      deliberately stricter (named per case: weak keys and signatures, time left, no SAN with
 *      requireSan), where openssl passes and the check fails with exactly those findings.
 */

interface Expectation {
  findings: TlsFindingCode[]
  /** Why the check fails where openssl verify passes. */
  stricter?: string
  /** Extra options (requireSan). */
  requireSan?: boolean
  /**
   * A known limit of the check's own validator (offline, and the error list in both modes):
   * the verdict from the PEM file and the own error codes may differ from openssl verify; the
   * live verdict is OpenSSL's and still agrees. Counted as a disagreement in the figures.
   */
  gap?: { reason: string; offlineFindings: TlsFindingCode[] }
}

const EXPECT: Record<CaseName, Expectation> = {
  'rsa-valid': { findings: [] },
  'ec256-valid': { findings: [] },
  'ec384-valid': { findings: [] },
  'two-intermediates': { findings: [] },
  'unordered-intermediates': { findings: ['chain-order'] },
  'root-sent-too': { findings: [] },
  'missing-intermediate': { findings: ['incomplete-chain'] },
  'expired-leaf': { findings: ['expired'] },
  'not-yet-valid': { findings: ['not-yet-valid'] },
  'expires-soon': { findings: ['expires-soon'], stricter: 'leaf expires within minDays (7)' },
  'wrong-host': { findings: ['hostname-mismatch'] },
  wildcard: { findings: [] },
  'self-signed': { findings: ['self-signed'] },
  'untrusted-root': { findings: ['untrusted'] },
  'ca-false-issuer': { findings: ['invalid-ca'] },
  'no-keycertsign-issuer': { findings: ['invalid-ca'] },
  'pathlen-exceeded': { findings: ['path-length-exceeded'] },
  'eku-client-only': { findings: ['wrong-purpose'] },
  'intermediate-eku-client-only': { findings: ['wrong-purpose'] },
  'unhandled-critical-extension': { findings: ['unhandled-critical-extension'] },
  'bad-signature': { findings: ['bad-signature'] },
  'expired-intermediate': { findings: ['intermediate-expired'] },
  'intermediate-expires-within-warn': { findings: ['chain-expires-warning'] },
  'expired-cross-sign-unused': { findings: ['unused-cert-expired'] },
  'rsa1024-intermediate': { findings: ['weak-key'], stricter: 'RSA-1024 intermediate key (minRsaBits 2048)' },
  'rsa1024-leaf': { findings: ['weak-key'], stricter: 'RSA-1024 leaf key (minRsaBits 2048)' },
  'sha1-intermediate': { findings: ['weak-signature'], stricter: 'SHA-1 signature on the intermediate' },
  'sha1-leaf': { findings: ['weak-signature'], stricter: 'SHA-1 signature on the leaf' },
  'no-san': { findings: ['no-san'] },
  'name-constraints-violated': { findings: ['untrusted'], gap: { reason: 'name constraints are not evaluated offline', offlineFindings: ['not-evaluated'] } },
}

/** Cases run once more with options. */
const VARIANTS: [string, CaseName, Expectation][] = [['no-san with requireSan', 'no-san', { findings: ['no-san'], stricter: 'no subjectAltName with requireSan: true', requireSan: true }]]

const TABLE: [string, CaseName, Expectation][] = [...(Object.keys(EXPECT) as CaseName[]).map((n): [string, CaseName, Expectation] => [n, n, EXPECT[n]]), ...VARIANTS]

/**
 * The X509 codes node:tls names in authorizationError (X509ErrorCode() in src/crypto/
 * crypto_common.cc, listed in doc/api/tls.md); any other code comes out as UNSPECIFIED.
 */
const NODE_NAMED_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_CRL', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_SIGNATURE_FAILURE', 'CRL_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID', 'CRL_HAS_EXPIRED', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD', 'ERROR_IN_CRL_NEXT_UPDATE_FIELD', 'OUT_OF_MEM', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
])

const OPENSSL = hasOpenssl()
let corpus: OpensslCorpus
const reference = new Map<CaseName, { path: OpensslVerdict; host: OpensslVerdict }>()
const tally = {
  offline: { cases: 0, verdict: 0, errors: 0, overall: 0, gaps: [] as string[] },
  live: { cases: 0, verdict: 0, errors: 0, overall: 0, node: 0, gaps: [] as string[] },
}

beforeAll(async () => {
  if (!OPENSSL) return
  corpus = await opensslCorpus()
  for (const name of Object.keys(EXPECT) as CaseName[]) {
    const c = corpus.cases[name]
    reference.set(name, { path: opensslVerify(c, { now: corpus.now }), host: opensslVerify(c, { now: corpus.now, hostname: c.host }) })
  }
})

afterAll(() => {
  corpus?.cleanup()
  if (tally.offline.cases + tally.live.cases === 0) return
  const line = (mode: string, t: { cases: number; verdict: number; errors: number; overall: number; node?: number; gaps: string[] }) =>
    `${mode}: ${t.cases} cases; trust verdict agrees ${t.verdict}/${t.cases}; error codes agree ${t.errors}/${t.cases}; pass/fail agrees ${t.overall}/${t.cases} (deliberately stricter cases counted as agreeing with their declared reason)` +
    (t.node !== undefined ? `; node:tls authorizationError = own last error ${t.node}/${t.cases}` : '') +
    (t.gaps.length > 0 ? `; known gaps: ${t.gaps.join(', ')}` : '')
  console.log(`openssl verify agreement\n  ${line('offline (pemFile)', tally.offline)}\n  ${line('live (loopback server)', tally.live)}`)
})

function judgeAgainstOpenssl(mode: 'offline' | 'live', name: CaseName, e: Expectation, result: CheckResult<TlsEvidence>): void {
  const ref = reference.get(name)!
  const t = tally[mode]
  t.cases++
  if (e.gap) {
    // The declared gap: prove it is exactly that, and nothing else.
    t.gaps.push(`${name} (${e.gap.reason})`)
    expect(ref.path.ok).toBe(false)
    expect(result.evidence.pathErrors).toBeUndefined()
    if (mode === 'offline') {
      expect(result.evidence.trusted).toBe(true)
      expect(result.evidence.findings).toEqual(e.gap.offlineFindings)
      expect(result.status).toBe('pass')
    } else {
      expect(result.evidence.trusted).toBe(false)
      t.verdict++
      expect(result.evidence.findings).toEqual(e.findings)
      expect(result.status).toBe('fail')
      t.overall++
    }
    return
  }
  // 1. The trust verdict is OpenSSL's.
  expect(result.evidence.trusted, `trusted vs openssl verify:\n${ref.path.output}`).toBe(ref.path.ok)
  t.verdict++
  // 2. The same errors, in the same order, as far as openssl verify went.
  const mine = (result.evidence.pathErrors ?? []).map((x) => ({ number: X509_ERRORS[x.code].number, depth: x.depth }))
  const theirs = ref.path.errors.map((x) => ({ number: x.number, depth: x.depth }))
  expect(mine.slice(0, theirs.length), ref.path.output).toEqual(theirs)
  if (!ref.path.ok) expect(theirs.length).toBeGreaterThan(0)
  t.errors++
  // 3. Live: Node's OpenSSL agrees with the check's own validation, error for error.
  if (mode === 'live') {
    const last = result.evidence.pathErrors?.at(-1)?.code
    expect(result.evidence.verifyError).toBe(last === undefined ? undefined : NODE_NAMED_CODES.has(last) ? last : 'UNSPECIFIED')
    tally.live.node++
  }
  // 4. The overall verdict, hostname included.
  expect(result.evidence.findings, result.message).toEqual(e.findings)
  if (e.stricter) {
    expect(ref.host.ok, `declared stricter (${e.stricter}) but openssl verify fails too`).toBe(true)
    expect(result.status).toBe('fail')
  } else {
    expect(result.status === 'pass', `${result.message}\nopenssl verify -verify_hostname ${corpus.cases[name].host}:\n${ref.host.output}`).toBe(ref.host.ok)
  }
  t.overall++
}

describe.skipIf(!OPENSSL)('TLS check verdicts agree with `openssl verify -purpose sslserver`', () => {
  it.each(TABLE)('offline (pemFile): %s', async (_title, name, e) => {
    const c = corpus.cases[name]
    const result = await tlsCertificate({ pemFile: c.chainFile, ca: c.caFile, servername: c.host, now: corpus.now, requireSan: e.requireSan })
    expect(result.evidence.verifiedBy).toBe('offline-validator')
    judgeAgainstOpenssl('offline', name, e, result)
  })

  it.each(TABLE)('live (loopback server): %s', async (_title, name, e) => {
    const c = corpus.cases[name]
    // Security level 0 on the server so it may present RSA-1024 and SHA-1 certificates at all.
    const server = await startTlsServer({ cert: c.chainPem, key: c.leaf.keyPem, ciphers: 'DEFAULT@SECLEVEL=0' })
    let result: CheckResult<TlsEvidence>
    try {
      result = await tlsCertificate({ host: '127.0.0.1', port: server.port, servername: c.host, ca: c.caFile, now: corpus.now, requireSan: e.requireSan })
    } finally {
      await server.close()
    }
    expect(result.evidence.verifiedBy).toBe('openssl-handshake')
    // What the server sent, in the order it sent it.
    expect(result.evidence.chain.map((x) => x.subject)).toEqual([c.leaf.subject, ...c.sent.map((x) => x.subject)])
    judgeAgainstOpenssl('live', name, e, result)
  })
})
