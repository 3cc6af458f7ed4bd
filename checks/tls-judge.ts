import type { Verdict } from '../lib/result.ts'
import type { CertSummary } from './tls-cert-info.ts'
import type { ChainVerification } from './tls-chain.ts'
import { hostnameMatches } from './tls-hostname.ts'

/** Stable codes of what the TLS check can find. Reports and tests key on these. */
export type TlsFindingCode =
  | 'expired'
  | 'not-yet-valid'
  | 'expires-soon'
  | 'expires-warning'
  | 'hostname-mismatch'
  | 'untrusted'
  | 'incomplete-chain'
  | 'self-signed'
  | 'weak-key'
  | 'weak-signature'
  | 'old-protocol'
  | 'intermediate-expired'
  | 'not-tls'
  | 'connect-failed'
  | 'handshake-failed'
  | 'timeout'

export interface TlsFinding {
  code: TlsFindingCode
  /** `fail` findings fail the check; `warn` findings only mark it. */
  severity: 'fail' | 'warn'
  message: string
}

/** TLS protocol versions, oldest first, as node:tls names them. */
export const TLS_PROTOCOLS = Object.freeze(['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const)
export type TlsProtocol = (typeof TLS_PROTOCOLS)[number]

/** One certificate of the presented chain, for evidence. */
export interface TlsChainEntry {
  subject: string
  issuer: string
  /** ISO-8601 UTC. */
  notAfter: string
  daysLeft: number
}

/** What the TLS check observed. Leaf fields are absent when no certificate was obtained. */
// A type alias (not an interface) so it is assignable to the runner's Record<string, unknown> evidence.
export type TlsEvidence = {
  /** `host:port` or the PEM file. */
  target: string
  /** Name checked against the SANs (servername or host); absent when none was checked. */
  hostname?: string
  subject?: string
  issuer?: string
  sans?: string[]
  serial?: string
  notBefore?: string
  notAfter?: string
  /** Whole days until notAfter (negative once expired). */
  daysLeft?: number
  fingerprintSha256?: string
  keyType?: string
  keyBits?: number
  signatureAlgorithm?: string
  /** Negotiated protocol (`TLSv1.3`); absent in PEM file mode. */
  protocol?: string
  cipher?: string
  /** The certificates the server presented (or the file held), leaf first. */
  chain: TlsChainEntry[]
  /** Whether a path to a trust anchor exists, and which anchor. */
  trusted?: boolean
  trustAnchor?: string
  /** Which trust store was used (`system roots`, `CA bundle ca.pem`). */
  trustStore?: string
  findings: TlsFindingCode[]
  /** When the connection failed: error code and, for timeouts, the phase. */
  error?: { code?: string; phase?: string; timeoutMs?: number }
}

/** Thresholds the judge applies. */
export interface TlsPolicy {
  minDays: number
  warnDays: number
  minProtocol: TlsProtocol
  minRsaBits: number
  minEcBits: number
  allowSelfSigned: boolean
}

/** Everything the judge needs about a successful handshake (or a PEM file). */
export interface TlsObservation {
  target: string
  /** Name to check against the SANs; undefined skips the hostname check (PEM file without a name). */
  hostname?: string
  protocol?: string
  cipher?: string
  /** Leaf first. */
  chain: readonly CertSummary[]
  verification: ChainVerification
  trustStore: string
}

const DAY_MS = 86_400_000
const WEAK_HASH = /^(md2|md5|sha1)with|^ecdsa-with-sha1$|^dsa-with-sha1$/i

/** `2026-11-18T00:00:00Z` (seconds precision, as certificates carry). */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** Whole days from `now` until `date` (floor, negative in the past). */
export function daysUntil(date: Date, now: Date): number {
  return Math.floor((date.getTime() - now.getTime()) / DAY_MS)
}

function chainEntry(c: CertSummary, now: Date): TlsChainEntry {
  return { subject: c.subject, issuer: c.issuer, notAfter: isoSeconds(c.notAfter), daysLeft: daysUntil(c.notAfter, now) }
}

/** The leaf's display name: the checked hostname, else its CN, else its first SAN. */
function leafName(leaf: CertSummary, hostname: string | undefined): string {
  return hostname ?? leaf.commonName ?? leaf.dnsNames[0] ?? leaf.ipAddresses[0] ?? leaf.subject
}

/** Every finding for one observation, most severe first. Pure. */
export function tlsFindings(obs: TlsObservation, policy: TlsPolicy, now: Date): TlsFinding[] {
  const leaf = obs.chain[0]
  if (!leaf) throw new RangeError('tlsFindings needs at least the leaf certificate')
  const out: TlsFinding[] = []
  const fail = (code: TlsFindingCode, message: string) => out.push({ code, severity: 'fail', message })
  const t = now.getTime()

  // Validity of the leaf.
  if (leaf.notAfter.getTime() < t) {
    fail('expired', `certificate expired ${plural(Math.floor((t - leaf.notAfter.getTime()) / DAY_MS), 'day')} ago (notAfter ${isoSeconds(leaf.notAfter)})`)
  } else if (leaf.notBefore.getTime() > t) {
    fail('not-yet-valid', `certificate is not valid until ${isoSeconds(leaf.notBefore)} (${plural(Math.floor((leaf.notBefore.getTime() - t) / DAY_MS), 'day')} from now)`)
  }

  // Trust.
  const v = obs.verification
  if (v.selfSigned && !policy.allowSelfSigned) {
    fail('self-signed', `certificate is self-signed (${leaf.subject})`)
  } else if (!v.trusted && !v.selfSigned) {
    fail('untrusted', `certificate chain does not verify against the ${obs.trustStore}: issuer ${v.unknownIssuer ?? leaf.issuer} is not trusted`)
  } else if (v.trusted && v.missingFromServer.length > 0) {
    fail('incomplete-chain', `server did not send the intermediate certificate (chain verifies only with it added from the CA bundle): missing ${v.missingFromServer.join(' and ')}`)
  }

  // Identity.
  if (obs.hostname !== undefined && !hostnameMatches(obs.hostname, leaf)) {
    const sans = [...leaf.dnsNames, ...leaf.ipAddresses]
    fail(
      'hostname-mismatch',
      sans.length > 0
        ? `hostname ${obs.hostname} not in certificate SANs [${sans.join(', ')}]`
        : `hostname ${obs.hostname} does not match the certificate (no SANs; CN ${leaf.commonName ?? 'absent'})`,
    )
  }

  // Time left.
  const daysLeft = daysUntil(leaf.notAfter, now)
  if (leaf.notAfter.getTime() >= t) {
    if (daysLeft < policy.minDays) {
      fail('expires-soon', `certificate expires in ${plural(daysLeft, 'day')} (notAfter ${isoSeconds(leaf.notAfter)}), under the ${policy.minDays}-day minimum`)
    } else if (daysLeft < policy.warnDays) {
      out.push({ code: 'expires-warning', severity: 'warn', message: `certificate expires in ${plural(daysLeft, 'day')} (notAfter ${isoSeconds(leaf.notAfter)}), under the ${policy.warnDays}-day warning threshold` })
    }
  }

  // The rest of the presented chain.
  for (const c of obs.chain.slice(1)) {
    if (c.notAfter.getTime() < t) {
      fail('intermediate-expired', `intermediate certificate ${c.subject} expired ${plural(Math.floor((t - c.notAfter.getTime()) / DAY_MS), 'day')} ago (notAfter ${isoSeconds(c.notAfter)})`)
    }
  }

  // Strength.
  const ec = leaf.keyType === 'ec'
  const minBits = ec ? policy.minEcBits : policy.minRsaBits
  if ((ec || leaf.keyType === 'rsa' || leaf.keyType === 'rsa-pss' || leaf.keyType === 'dsa') && leaf.keyBits < minBits) {
    fail('weak-key', `certificate key is ${leaf.keyType.toUpperCase()} ${leaf.keyBits} bits, below the minimum of ${minBits}`)
  }
  // A self-signed root's own signature is never checked by clients; every other signature is.
  obs.chain.forEach((c, i) => {
    if (!WEAK_HASH.test(c.signatureAlgorithm)) return
    if (i > 0 && c.subject === c.issuer) return
    fail('weak-signature', `${i === 0 ? 'certificate' : `intermediate certificate ${c.subject}`} is signed with ${c.signatureAlgorithm} (${/md5|md2/i.test(c.signatureAlgorithm) ? 'MD5' : 'SHA-1'} signatures are forgeable)`)
  })

  // Protocol.
  if (obs.protocol !== undefined) {
    const rank = TLS_PROTOCOLS.indexOf(obs.protocol as TlsProtocol)
    if (rank !== -1 && rank < TLS_PROTOCOLS.indexOf(policy.minProtocol)) {
      fail('old-protocol', `server negotiated ${obs.protocol}, below the minimum ${policy.minProtocol}`)
    }
  }
  return out
}

/** Judges a certificate observation into a verdict with evidence. Pure. */
export function judgeTls(obs: TlsObservation, policy: TlsPolicy, now: Date): Verdict<TlsEvidence> {
  const leaf = obs.chain[0]
  if (!leaf) throw new RangeError('judgeTls needs at least the leaf certificate')
  const findings = tlsFindings(obs, policy, now)
  const failures = findings.filter((f) => f.severity === 'fail')
  const warnings = findings.filter((f) => f.severity === 'warn').map((f) => f.message)
  const evidence: TlsEvidence = {
    target: obs.target,
    subject: leaf.subject,
    issuer: leaf.issuer,
    sans: [...leaf.dnsNames, ...leaf.ipAddresses],
    serial: leaf.serial,
    notBefore: isoSeconds(leaf.notBefore),
    notAfter: isoSeconds(leaf.notAfter),
    daysLeft: daysUntil(leaf.notAfter, now),
    fingerprintSha256: leaf.fingerprintSha256,
    keyType: leaf.keyType,
    keyBits: leaf.keyBits,
    signatureAlgorithm: leaf.signatureAlgorithm,
    chain: obs.chain.map((c) => chainEntry(c, now)),
    trusted: obs.verification.trusted,
    trustStore: obs.trustStore,
    findings: findings.map((f) => f.code),
  }
  if (obs.hostname !== undefined) evidence.hostname = obs.hostname
  if (obs.protocol !== undefined) evidence.protocol = obs.protocol
  if (obs.cipher !== undefined) evidence.cipher = obs.cipher
  if (obs.verification.anchor !== undefined) evidence.trustAnchor = obs.verification.anchor
  if (failures.length > 0) {
    const verdict: Verdict<TlsEvidence> = { status: 'fail', message: failures.map((f) => f.message).join('; '), evidence }
    if (warnings.length > 0) verdict.warnings = warnings
    return verdict
  }
  const name = leafName(leaf, obs.hostname)
  const base = `certificate for ${name} valid for ${plural(evidence.daysLeft!, 'more day')} (expires ${isoSeconds(leaf.notAfter).slice(0, 10)})`
  if (warnings.length === 0) return { status: 'pass', message: base, evidence }
  return { status: 'pass', message: `${base}; warning: under the ${policy.warnDays}-day warning threshold`, evidence, warnings }
}

/** The verdict when no certificate could be obtained (refused, not TLS, timed out). */
export function judgeTlsFailure(
  target: string,
  code: Extract<TlsFindingCode, 'not-tls' | 'connect-failed' | 'handshake-failed' | 'timeout'>,
  message: string,
  error: TlsEvidence['error'],
): Verdict<TlsEvidence> {
  const evidence: TlsEvidence = { target, chain: [], findings: [code] }
  if (error) evidence.error = error
  return { status: 'fail', message, evidence }
}
