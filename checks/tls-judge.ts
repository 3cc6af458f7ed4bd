import type { Verdict } from '../lib/result.ts'
import type { CertSummary } from './tls-cert-info.ts'
import { X509_ERRORS, type PathError } from './tls-chain.ts'
import { hostnameMatches } from './tls-hostname.ts'

/** Stable codes of what the TLS check can find. Reports and tests key on these. */
export type TlsFindingCode =
  | 'expired'
  | 'not-yet-valid'
  | 'expires-soon'
  | 'expires-warning'
  | 'hostname-mismatch'
  | 'no-san'
  | 'untrusted'
  | 'incomplete-chain'
  | 'self-signed'
  | 'invalid-ca'
  | 'path-length-exceeded'
  | 'wrong-purpose'
  | 'bad-signature'
  | 'unhandled-critical-extension'
  | 'intermediate-expired'
  | 'intermediate-not-yet-valid'
  | 'chain-expires-soon'
  | 'chain-expires-warning'
  | 'unused-cert-expired'
  | 'chain-order'
  | 'weak-key'
  | 'weak-signature'
  | 'old-protocol'
  | 'not-evaluated'
  | 'validation-disagrees'
  | 'not-tls'
  | 'connect-failed'
  | 'handshake-failed'
  | 'timeout'

export interface TlsFinding {
  code: TlsFindingCode
  /** `fail` findings fail the check; `warn` findings only mark it. */
  severity: 'fail' | 'warn'
  message: string
  /** For warnings: the few words appended to a passing verdict's message. */
  short?: string
}

/** TLS protocol versions, oldest first, as node:tls names them. */
export const TLS_PROTOCOLS = Object.freeze(['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const)
export type TlsProtocol = (typeof TLS_PROTOCOLS)[number]

/** One certificate, for evidence. */
export interface TlsChainEntry {
  subject: string
  issuer: string
  /** ISO-8601 UTC. */
  notAfter: string
  /** Whole days until notAfter, truncated toward zero (negative once expired). */
  daysLeft: number
  /** `RSA 2048`, `EC 256 (prime256v1)`, `ED25519`. */
  key: string
  signatureAlgorithm: string
  /** In `chain`: whether the verified path uses this certificate. */
  onPath?: boolean
  /** In `path`: where the certificate came from. */
  source?: 'sent' | 'trust store'
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
  /** Whole days until the leaf's notAfter, truncated toward zero (negative once expired). */
  daysLeft?: number
  /** The earliest notAfter among the other certificates of the verified path (intermediates and trust anchor). */
  chainNotAfter?: string
  /** Whole days until `chainNotAfter`, same rounding as `daysLeft`. */
  chainDaysLeft?: number
  fingerprintSha256?: string
  keyType?: string
  keyBits?: number
  signatureAlgorithm?: string
  /** Negotiated protocol (`TLSv1.3`); absent in PEM file mode. */
  protocol?: string
  cipher?: string
  /** The certificates the server presented (or the file held), in the order sent, leaf first. */
  chain: TlsChainEntry[]
  /** The verified path (or as far as it could be built), leaf first, ending at the trust anchor. */
  path?: TlsChainEntry[]
  /** The path validation verdict: a valid path to a trust anchor exists. */
  trusted?: boolean
  /** Who gave the verdict: OpenSSL during the handshake (live), or the check's own validator (PEM file). */
  verifiedBy?: 'openssl-handshake' | 'offline-validator'
  /** OpenSSL's verification error (node:tls `authorizationError`) when the handshake did not verify. */
  verifyError?: string
  /** Errors of the check's own path validation, OpenSSL codes, leaf = depth 0. */
  pathErrors?: PathError[]
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
  requireSan: boolean
}

/** Path validation as the judge sees it (certificates as summaries). */
export interface ValidationResult {
  trusted: boolean
  path: readonly CertSummary[]
  untrustedCount: number
  errors: readonly PathError[]
  unevaluated: readonly string[]
}

/** Everything the judge needs about a successful handshake (or a PEM file). */
export interface TlsObservation {
  target: string
  /** Where the certificates came from, for messages. */
  source: 'server' | 'file'
  /** Name to check against the SANs; undefined skips the hostname check (PEM file without a name). */
  hostname?: string
  protocol?: string
  cipher?: string
  /** The certificates as presented, leaf first. */
  presented: readonly CertSummary[]
  /** The check's own path validation over `presented` and the trust store. */
  validation: ValidationResult
  /** Live mode: OpenSSL's verdict from the handshake. When present it decides trust. */
  openssl?: { authorized: boolean; error?: string }
  trustStore: string
}

const DAY_MS = 86_400_000
const WEAK_HASHES = new Set(['md2', 'md4', 'md5', 'sha1'])
const TIME_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'])

/** `2026-11-18T00:00:00Z` (seconds precision, as certificates carry). */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/**
 * Whole days from `now` until `date`, truncated toward zero: 1.5 days ago is -1, and the message
 * says "expired 1 day ago". One rule for evidence and messages.
 */
export function daysUntil(date: Date, now: Date): number {
  return Math.trunc((date.getTime() - now.getTime()) / DAY_MS) || 0
}

function keyLabel(c: CertSummary): string {
  const type = c.keyType.toUpperCase()
  if (c.keyBits === 0) return type
  return c.curve ? `${type} ${c.keyBits} (${c.curve})` : `${type} ${c.keyBits}`
}

function entry(c: CertSummary, now: Date): TlsChainEntry {
  return { subject: c.subject, issuer: c.issuer, notAfter: isoSeconds(c.notAfter), daysLeft: daysUntil(c.notAfter, now), key: keyLabel(c), signatureAlgorithm: c.signatureAlgorithm }
}

/** The leaf's display name: the checked hostname, else its CN, else its first SAN. */
function leafName(leaf: CertSummary, hostname: string | undefined): string {
  return hostname ?? leaf.commonName ?? leaf.dnsNames[0] ?? leaf.ipAddresses[0] ?? leaf.subject
}

const sameCert = (a: CertSummary, b: CertSummary) => a.fingerprintSha256 === b.fingerprintSha256
/**
 * Same subject, issuer and key: the trust store's copy (or a re-issue) of a certificate the server
 * sent. A cross-signed certificate differs in its issuer, so it is not the root it shares a key with.
 */
const sameIdentity = (a: CertSummary, b: CertSummary) => sameCert(a, b) || (a.subject === b.subject && a.issuer === b.issuer && a.spkiSha256 === b.spkiSha256)

/** How a certificate at `depth` of the path is named in messages. */
function role(depth: number, path: readonly CertSummary[], trusted: boolean): string {
  if (depth === 0) return 'certificate'
  if (depth === path.length - 1 && trusted && path[depth]!.selfIssued) return 'root certificate'
  return 'intermediate certificate'
}

function named(depth: number, path: readonly CertSummary[], trusted: boolean): string {
  return depth === 0 ? 'certificate' : `${role(depth, path, trusted)} ${path[depth]!.subject}`
}

/** The path errors that decide trust, after the verdict's source is settled. */
function effectiveErrors(obs: TlsObservation): { errors: readonly PathError[]; fromOpenssl?: string; disagreement?: string } {
  const v = obs.validation
  if (!obs.openssl) return { errors: v.errors }
  if (obs.openssl.authorized) {
    const first = v.errors[0]
    return first ? { errors: [], disagreement: `${first.code} at depth ${first.depth}` } : { errors: [] }
  }
  if (!v.trusted) return { errors: v.errors }
  return { errors: [], fromOpenssl: obs.openssl.error ?? 'UNSPECIFIED' }
}

function errorText(code: string): string {
  return (X509_ERRORS as Record<string, { text: string } | undefined>)[code]?.text ?? code
}

/** Findings for the path errors (time errors excluded: the validity checks below word those with days). */
function trustFindings(obs: TlsObservation, errors: readonly PathError[], trusted: boolean): TlsFinding[] {
  const out: TlsFinding[] = []
  const path = obs.validation.path
  const store = obs.trustStore
  const sent = obs.source === 'server' ? 'the server sent' : 'the file holds'
  const add = (code: TlsFindingCode, message: string) => {
    if (!out.some((f) => f.code === code && f.message === message)) out.push({ code, severity: 'fail', message })
  }
  const invalidCaAt = new Set(errors.filter((e) => e.code === 'INVALID_CA' || e.code === 'KEYUSAGE_NO_CERTSIGN').map((e) => e.depth))
  for (const e of errors) {
    const c = path[e.depth]
    if (TIME_ERRORS.has(e.code) || !c) continue
    switch (e.code) {
      case 'DEPTH_ZERO_SELF_SIGNED_CERT':
        add('self-signed', `certificate is self-signed (${c.subject})`)
        break
      case 'SELF_SIGNED_CERT_IN_CHAIN':
        add('untrusted', `certificate chain does not verify against the ${store}: root ${c.subject} is not trusted`)
        break
      case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      case 'UNABLE_TO_GET_ISSUER_CERT':
        if (e.depth === 0 && e.code !== 'UNABLE_TO_GET_ISSUER_CERT') {
          add('incomplete-chain', `chain is incomplete: ${sent} no certificate for the issuer ${c.issuer}, and the ${store} does not have it`)
        } else {
          add('untrusted', `certificate chain does not verify against the ${store}: issuer ${c.issuer} is not trusted`)
        }
        break
      case 'INVALID_CA':
      case 'KEYUSAGE_NO_CERTSIGN': {
        const issued = path[e.depth - 1]
        const why = !c.isCa ? 'basicConstraints does not say CA:TRUE' : `its keyUsage (${(c.keyUsage ?? []).join(', ')}) does not include keyCertSign`
        add('invalid-ca', `${named(e.depth, path, trusted)} is not a valid CA certificate (${why}), yet it issued ${issued ? issued.subject : 'the certificate below it'}`)
        break
      }
      case 'PATH_LENGTH_EXCEEDED': {
        const below = path.slice(1, e.depth).filter((x) => !x.selfIssued).length
        add('path-length-exceeded', `${named(e.depth, path, trusted)} allows ${plural(c.pathLen ?? 0, 'intermediate CA')} below it (pathLenConstraint), the path has ${below}`)
        break
      }
      case 'INVALID_PURPOSE':
        if (c.extKeyUsage && !c.extKeyUsage.includes('serverAuth')) {
          add(
            'wrong-purpose',
            e.depth === 0
              ? `certificate is not for TLS servers: its extendedKeyUsage is ${c.extKeyUsage.join(', ')}, without serverAuth`
              : `${named(e.depth, path, trusted)} limits extendedKeyUsage to ${c.extKeyUsage.join(', ')}, without serverAuth`,
          )
        } else if (e.depth === 0) {
          add('wrong-purpose', `certificate is not for TLS servers: its keyUsage (${(c.keyUsage ?? []).join(', ')}) has none of digitalSignature, keyEncipherment, keyAgreement`)
        } else if (!invalidCaAt.has(e.depth)) {
          add('invalid-ca', `${named(e.depth, path, trusted)} is not a valid CA certificate for TLS servers`)
        }
        break
      case 'CERT_SIGNATURE_FAILURE':
        add('bad-signature', `signature of ${e.depth === 0 ? 'the certificate' : named(e.depth, path, trusted)} does not verify with the key of its issuer ${c.issuer}`)
        break
      case 'UNHANDLED_CRITICAL_EXTENSION':
        add('unhandled-critical-extension', `${named(e.depth, path, trusted)} has a critical extension OpenSSL does not handle (${(c.unhandledCriticalExtensions ?? []).join(', ') || 'unknown'}), so no client may accept it`)
        break
      default:
        add('untrusted', `certificate chain does not verify against the ${store}: ${errorText(e.code)} (${c.subject})`)
    }
  }
  return out
}

/** Every finding for one observation, most severe first. Pure. */
export function tlsFindings(obs: TlsObservation, policy: TlsPolicy, now: Date): TlsFinding[] {
  const leaf = obs.presented[0]
  if (!leaf) throw new RangeError('tlsFindings needs at least the leaf certificate')
  const out: TlsFinding[] = []
  const fail = (code: TlsFindingCode, message: string) => out.push({ code, severity: 'fail', message })
  const warn = (code: TlsFindingCode, message: string, short: string) => out.push({ code, severity: 'warn', message, short })
  const t = now.getTime()
  const v = obs.validation
  const path = v.path.length > 0 ? v.path : [leaf]
  const { errors, fromOpenssl, disagreement } = effectiveErrors(obs)
  const trusted = errors.length === 0 && fromOpenssl === undefined

  // Validity of the leaf.
  if (leaf.notAfter.getTime() < t) {
    fail('expired', `certificate expired ${plural(-daysUntil(leaf.notAfter, now), 'day')} ago (notAfter ${isoSeconds(leaf.notAfter)})`)
  } else if (leaf.notBefore.getTime() > t) {
    fail('not-yet-valid', `certificate is not valid until ${isoSeconds(leaf.notBefore)} (${plural(daysUntil(leaf.notBefore, now), 'day')} from now)`)
  }

  // Trust: the path validation verdict, explained.
  const selfSignedOk = policy.allowSelfSigned && errors.some((e) => e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT')
  const counted = selfSignedOk ? errors.filter((e) => e.code !== 'DEPTH_ZERO_SELF_SIGNED_CERT') : errors
  out.push(...trustFindings(obs, counted, trusted))
  if (fromOpenssl !== undefined) {
    const text = errorText(fromOpenssl)
    const hint = v.unevaluated.length > 0 ? `; ${v.unevaluated.join(', ')}, which the check does not evaluate itself, may be why` : ''
    fail('untrusted', `certificate chain does not verify against the ${obs.trustStore}: OpenSSL rejects it (${fromOpenssl}${text === fromOpenssl ? '' : `: ${text}`})${hint}`)
  }
  if (trusted) {
    // Verifies, but only with intermediates from the trust store: clients without them fail.
    const missing = path.filter((c, i) => i >= v.untrustedCount && !c.selfIssued && !obs.presented.some((p) => sameIdentity(p, c))).map((c) => c.subject)
    if (missing.length > 0) {
      fail('incomplete-chain', `server did not send the intermediate certificate (chain verifies only with it added from the ${obs.trustStore}): missing ${missing.join(' and ')}`)
    }
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
  if (leaf.dnsNames.length === 0 && leaf.ipAddresses.length === 0) {
    const message = `certificate has no subjectAltName: browsers ignore its subject CN (${leaf.commonName ?? 'absent'}) and reject it`
    if (policy.requireSan) fail('no-san', message)
    else warn('no-san', `${message} (OpenSSL and curl still match the CN)`, 'no subjectAltName (browsers reject CN-only certificates)')
  }

  // Time left on the leaf.
  const daysLeft = daysUntil(leaf.notAfter, now)
  if (leaf.notAfter.getTime() >= t) {
    if (daysLeft < policy.minDays) {
      fail('expires-soon', `certificate expires in ${plural(daysLeft, 'day')} (notAfter ${isoSeconds(leaf.notAfter)}), under the ${policy.minDays}-day minimum`)
    } else if (daysLeft < policy.warnDays) {
      warn(
        'expires-warning',
        `certificate expires in ${plural(daysLeft, 'day')} (notAfter ${isoSeconds(leaf.notAfter)}), under the ${policy.warnDays}-day warning threshold`,
        `under the ${policy.warnDays}-day warning threshold`,
      )
    }
  }

  // The rest of the verified path: each certificate's validity and time left.
  path.forEach((c, i) => {
    if (i === 0) return
    const what = named(i, path, trusted)
    const left = daysUntil(c.notAfter, now)
    if (c.notAfter.getTime() < t) {
      fail('intermediate-expired', `${what} expired ${plural(-left, 'day')} ago (notAfter ${isoSeconds(c.notAfter)})`)
    } else if (c.notBefore.getTime() > t) {
      fail('intermediate-not-yet-valid', `${what} is not valid until ${isoSeconds(c.notBefore)}`)
    } else if (left < policy.minDays) {
      fail('chain-expires-soon', `${what} expires in ${plural(left, 'day')} (notAfter ${isoSeconds(c.notAfter)}), under the ${policy.minDays}-day minimum`)
    } else if (left < policy.warnDays) {
      warn(
        'chain-expires-warning',
        `${what} expires in ${plural(left, 'day')} (notAfter ${isoSeconds(c.notAfter)}), under the ${policy.warnDays}-day warning threshold`,
        `${what} expires in ${plural(left, 'day')}`,
      )
    }
  })

  // What was sent but is not on the path, and the order it was sent in.
  const onPath = (c: CertSummary) => path.some((p) => sameIdentity(p, c))
  const also = obs.source === 'server' ? 'the server also sends' : 'the file also holds'
  for (const c of obs.presented.slice(1)) {
    if (onPath(c) || c.notAfter.getTime() >= t) continue
    warn(
      'unused-cert-expired',
      `${also} ${c.subject}, expired ${plural(-daysUntil(c.notAfter, now), 'day')} ago (notAfter ${isoSeconds(c.notAfter)}); the verified path does not use it, so OpenSSL and curl accept the chain, but clients that build their path through it fail`,
      `${also} expired ${c.subject} (not on the verified path)`,
    )
  }
  const sentOrder = obs.presented
    .slice(1)
    .map((c) => path.findIndex((p) => sameIdentity(p, c)))
    .filter((i) => i > 0)
  if (sentOrder.some((d, i) => i > 0 && d < sentOrder[i - 1]!)) {
    warn(
      'chain-order',
      `intermediate certificates are sent out of order (${sentOrder.map((d) => path[d]!.subject).join(' then ')}); TLS 1.2 requires each certificate to be followed by its issuer (${[...sentOrder].sort((a, b) => a - b).map((d) => path[d]!.subject).join(' then ')}), and some clients give up`,
      'intermediates sent out of order',
    )
  }

  // Strength of every certificate of the path: keys, and every signature but a root's own.
  path.forEach((c, i) => {
    const what = i === 0 ? 'certificate' : named(i, path, trusted)
    const ec = c.keyType === 'ec'
    const minBits = ec ? policy.minEcBits : policy.minRsaBits
    if ((ec || c.keyType === 'rsa' || c.keyType === 'rsa-pss' || c.keyType === 'dsa') && c.keyBits < minBits) {
      fail('weak-key', `${what} key is ${c.keyType.toUpperCase()} ${c.keyBits} bits, below the minimum of ${minBits}`)
    }
    if (i > 0 && c.selfIssued) return
    const hash = c.signatureHash ?? (/^(md2|md4|md5|sha1)with/i.exec(c.signatureAlgorithm)?.[1] ?? (/-with-sha1$/i.test(c.signatureAlgorithm) ? 'sha1' : undefined))
    if (hash && WEAK_HASHES.has(hash.toLowerCase())) {
      fail('weak-signature', `${what} is signed with ${c.signatureAlgorithm} (${/^md/i.test(hash) ? 'MD5' : 'SHA-1'} signatures are forgeable)`)
    }
  })

  // Protocol.
  if (obs.protocol !== undefined) {
    const rank = TLS_PROTOCOLS.indexOf(obs.protocol as TlsProtocol)
    if (rank !== -1 && rank < TLS_PROTOCOLS.indexOf(policy.minProtocol)) {
      fail('old-protocol', `server negotiated ${obs.protocol}, below the minimum ${policy.minProtocol}`)
    }
  }

  // Honesty about the verdict itself.
  for (const what of obs.openssl ? [] : v.unevaluated) {
    warn('not-evaluated', `${what} were not evaluated offline; check the live server for a full validation`, `${what} not evaluated`)
  }
  if (disagreement !== undefined) {
    warn('validation-disagrees', `OpenSSL accepted the chain, but the check's own path validation reports ${disagreement}; OpenSSL's verdict stands`, 'own path validation disagrees with OpenSSL')
  }
  return out
}

/** Judges a certificate observation into a verdict with evidence. Pure. */
export function judgeTls(obs: TlsObservation, policy: TlsPolicy, now: Date): Verdict<TlsEvidence> {
  const leaf = obs.presented[0]
  if (!leaf) throw new RangeError('judgeTls needs at least the leaf certificate')
  const findings = tlsFindings(obs, policy, now)
  const failures = findings.filter((f) => f.severity === 'fail')
  const warnings = findings.filter((f) => f.severity === 'warn')
  const v = obs.validation
  const path = v.path.length > 0 ? v.path : [leaf]
  const { errors, fromOpenssl } = effectiveErrors(obs)
  const trusted = errors.length === 0 && fromOpenssl === undefined
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
    chain: obs.presented.map((c) => ({ ...entry(c, now), onPath: path.some((p) => sameIdentity(p, c)) })),
    path: path.map((c, i) => ({ ...entry(c, now), source: i < v.untrustedCount ? 'sent' : 'trust store' })),
    trusted,
    verifiedBy: obs.openssl ? 'openssl-handshake' : 'offline-validator',
    trustStore: obs.trustStore,
    findings: findings.map((f) => f.code),
  }
  const earliest = path.slice(1).reduce<CertSummary | undefined>((a, c) => (!a || c.notAfter < a.notAfter ? c : a), undefined)
  if (earliest) {
    evidence.chainNotAfter = isoSeconds(earliest.notAfter)
    evidence.chainDaysLeft = daysUntil(earliest.notAfter, now)
  }
  if (obs.hostname !== undefined) evidence.hostname = obs.hostname
  if (obs.protocol !== undefined) evidence.protocol = obs.protocol
  if (obs.cipher !== undefined) evidence.cipher = obs.cipher
  if (obs.openssl && !obs.openssl.authorized && obs.openssl.error !== undefined) evidence.verifyError = obs.openssl.error
  if (v.errors.length > 0) evidence.pathErrors = [...v.errors]
  if (trusted) evidence.trustAnchor = path.at(-1)!.subject
  const warningMessages = warnings.map((f) => f.message)
  if (failures.length > 0) {
    const verdict: Verdict<TlsEvidence> = { status: 'fail', message: failures.map((f) => f.message).join('; '), evidence }
    if (warningMessages.length > 0) verdict.warnings = warningMessages
    return verdict
  }
  const name = leafName(leaf, obs.hostname)
  const base = `certificate for ${name} valid for ${plural(evidence.daysLeft!, 'more day')} (expires ${isoSeconds(leaf.notAfter).slice(0, 10)})`
  if (warnings.length === 0) return { status: 'pass', message: base, evidence }
  return { status: 'pass', message: `${base}; warning: ${warnings.map((f) => f.short ?? f.message).join('; ')}`, evidence, warnings: warningMessages }
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
