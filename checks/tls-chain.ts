import type { X509Certificate } from 'node:crypto'
import type { CertInfo } from './tls-cert-info.ts'

/** How the presented chain relates to the trust store. Input to the judge. */
export interface ChainVerification {
  /** A path from the leaf to a trust anchor exists (using the bundle's intermediates if need be). */
  trusted: boolean
  /** The leaf is signed by its own key. */
  selfSigned: boolean
  /**
   * The path needed certificates that the server did not send but the CA bundle had
   * (subjects, leaf side first). Non-empty means an incomplete chain.
   */
  missingFromServer: string[]
  /** Subject of the anchor the path ends at, when trusted. */
  anchor?: string
  /** When not trusted: the issuer name nobody could vouch for (top of the longest presented path). */
  unknownIssuer?: string
}

/** A trust store: every certificate in a CA bundle (or the system roots). */
export interface TrustStore {
  /** Human name for messages: `system roots`, `CA bundle ca.pem`. */
  name: string
  certs: readonly X509Certificate[]
}

/** `parent` issued `child`: names and key identifiers line up and the signature verifies. */
export function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey)
  } catch {
    return false
  }
}

export function isSelfSigned(cert: X509Certificate): boolean {
  return issuedBy(cert, cert)
}

const MAX_DEPTH = 10

/**
 * Builds a path from the leaf to a self-signed certificate of the store (a trust anchor), or to a
 * store certificate identical to one on the path (a pinned certificate), the way a client would:
 * first with the certificates the server presented, then also with the store's intermediates.
 * Succeeding only the second way is an incomplete chain. Validity dates are not looked at here;
 * the judge reports them per certificate.
 */
export function verifyChain(presented: readonly CertInfo[], store: TrustStore): ChainVerification {
  const leaf = presented[0]
  if (!leaf) throw new RangeError('verifyChain needs at least the leaf certificate')
  const selfSigned = isSelfSigned(leaf.x509)
  const storeFingerprints = new Set(store.certs.map((c) => c.fingerprint256))
  const anchors = store.certs.filter(isSelfSigned)
  const storeIntermediates = store.certs.filter((c) => !isSelfSigned(c))
  const sent = presented.slice(1).map((c) => c.x509)
  const sentFingerprints = new Set(presented.map((c) => c.x509.fingerprint256))

  const search = (cert: X509Certificate, pool: readonly X509Certificate[], seen: Set<string>): X509Certificate[] | undefined => {
    if (storeFingerprints.has(cert.fingerprint256)) return [cert]
    const anchor = anchors.find((a) => issuedBy(cert, a))
    if (anchor) return [cert, anchor]
    if (seen.size >= MAX_DEPTH) return undefined
    for (const candidate of pool) {
      if (seen.has(candidate.fingerprint256) || !issuedBy(cert, candidate)) continue
      const rest = search(candidate, pool, new Set([...seen, candidate.fingerprint256]))
      if (rest) return [cert, ...rest]
    }
    return undefined
  }

  const start = new Set([leaf.x509.fingerprint256])
  const direct = search(leaf.x509, sent, start)
  if (direct) return { trusted: true, selfSigned, missingFromServer: [], anchor: subjectOf(direct.at(-1)!) }
  const withBundle = search(leaf.x509, [...sent, ...storeIntermediates], start)
  if (withBundle) {
    const missing = withBundle.filter((c) => !sentFingerprints.has(c.fingerprint256) && !anchors.includes(c)).map(subjectOf)
    return { trusted: true, selfSigned, missingFromServer: missing, anchor: subjectOf(withBundle.at(-1)!) }
  }
  return { trusted: false, selfSigned, missingFromServer: [], unknownIssuer: topIssuer(leaf, presented) }
}

/** Follows the presented certificates from the leaf as far as signatures allow; returns the top's issuer. */
function topIssuer(leaf: CertInfo, presented: readonly CertInfo[]): string {
  let top = leaf
  const seen = new Set([leaf.fingerprintSha256])
  for (;;) {
    const next = presented.find((c) => !seen.has(c.fingerprintSha256) && issuedBy(top.x509, c.x509))
    if (!next) return top.issuer
    seen.add(next.fingerprintSha256)
    top = next
  }
}

/** node:crypto prints names one attribute per line; join them the way the rest of the check does. */
function subjectOf(cert: X509Certificate): string {
  return cert.subject.split('\n').filter(Boolean).join(', ')
}
