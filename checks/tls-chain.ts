import { akidMatches, KEY_USAGE, EKU, type CertInfo } from './tls-cert-info.ts'

/**
 * RFC 5280 path validation for the offline (PEM file) mode, written to agree with OpenSSL 3's
 * X509_verify_cert as `openssl verify -purpose sslserver` and Node's TLS client run it: the same
 * chain building (trusted-first, preferring currently valid issuers), the same checks in the same
 * order (basicConstraints and keyUsage of every CA, extendedKeyUsage for TLS servers on every
 * certificate, pathLen, unhandled critical extensions, signatures, validity of every certificate
 * including the trust anchor), and the same error codes. Errors are collected the way Node's
 * verify callback does (it never stops early), so the last one is what `socket.authorizationError`
 * would say (node:tls names only some codes; the others come out as UNSPECIFIED) and the first
 * ones are what `openssl verify` prints. Not evaluated: name constraints (reported in
 * `unevaluated`), policies (OpenSSL skips them by default), revocation, DANE, proxy certificate
 * details beyond rejecting them. Key sizes are not part of the verdict (OpenSSL's auth level 0,
 * as `openssl verify` by default): the judge applies its own strength rules.
 */

/** Verification error codes, OpenSSL's X509_V_ERR_* names without the prefix (node:tls uses the same names). */
export type X509ErrorCode = keyof typeof X509_ERRORS

/** OpenSSL's number and text for each code this validator can report (x509_vfy.h, x509_txt.c of OpenSSL 3.0). */
export const X509_ERRORS = Object.freeze({
  UNABLE_TO_GET_ISSUER_CERT: { number: 2, text: 'unable to get issuer certificate' },
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: { number: 6, text: 'unable to decode issuer public key' },
  CERT_SIGNATURE_FAILURE: { number: 7, text: 'certificate signature failure' },
  CERT_NOT_YET_VALID: { number: 9, text: 'certificate is not yet valid' },
  CERT_HAS_EXPIRED: { number: 10, text: 'certificate has expired' },
  DEPTH_ZERO_SELF_SIGNED_CERT: { number: 18, text: 'self-signed certificate' },
  SELF_SIGNED_CERT_IN_CHAIN: { number: 19, text: 'self-signed certificate in certificate chain' },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: { number: 20, text: 'unable to get local issuer certificate' },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: { number: 21, text: 'unable to verify the first certificate' },
  CERT_CHAIN_TOO_LONG: { number: 22, text: 'certificate chain too long' },
  PATH_LENGTH_EXCEEDED: { number: 25, text: 'path length constraint exceeded' },
  INVALID_PURPOSE: { number: 26, text: 'unsuitable certificate purpose' },
  KEYUSAGE_NO_CERTSIGN: { number: 32, text: 'key usage does not include certificate signing' },
  UNHANDLED_CRITICAL_EXTENSION: { number: 34, text: 'unhandled critical extension' },
  INVALID_NON_CA: { number: 37, text: 'invalid non-CA certificate (has CA markings)' },
  KEYUSAGE_NO_DIGITAL_SIGNATURE: { number: 39, text: 'key usage does not include digital signature' },
  PROXY_CERTIFICATES_NOT_ALLOWED: { number: 40, text: 'proxy certificates not allowed, please set the appropriate flag' },
  INVALID_CA: { number: 79, text: 'invalid CA certificate' },
  EC_KEY_EXPLICIT_PARAMS: { number: 94, text: 'Certificate public key has explicit ECC parameters' },
})

/** One verification error, at a depth of the built path (0 = leaf). */
export interface PathError {
  code: X509ErrorCode
  depth: number
  /** Subject of the certificate the error is about. */
  subject: string
}

/** The outcome of path validation. Input to the judge. */
export interface PathValidation {
  /** No error at all: a valid path from the leaf to a trust anchor exists. */
  trusted: boolean
  /** The path built, leaf first, ending at the trust anchor when one was reached. */
  path: CertInfo[]
  /** How many leading certificates of `path` came from the presented chain; the rest came from the trust store. */
  untrustedCount: number
  errors: PathError[]
  /** Checks OpenSSL would make that this validator does not (e.g. `name constraints of CN=X`). */
  unevaluated: string[]
}

/** A trust store: every certificate in a CA bundle (or the system roots), parsed. */
export interface TrustStore {
  /** Human name for messages: `system roots`, `CA bundle ca.pem`. */
  name: string
  certs: readonly CertInfo[]
}

/** OpenSSL's default verify depth (X509_VERIFY_PARAM depth 100) plus one, as build_chain uses it. */
const MAX_DEPTH = 101

/** netscape-cert-type bits (NS_* in x509v3.h). */
const NS_SSL_SERVER = 0x40
const NS_SSL_CA = 0x04
const NS_ANY_CA = 0x07

const sameCert = (a: CertInfo, b: CertInfo) => a.fingerprintSha256 === b.fingerprintSha256

/** ossl_x509_likely_issued: names, authority key identifier and signature/key algorithm fit (no signature check, no keyUsage). */
export function likelyIssued(issuer: CertInfo, subject: CertInfo): boolean {
  if (issuer.pkix.subjectKey !== subject.pkix.issuerKey) return false
  if (issuer.pkix.invalid || subject.pkix.invalid) return false
  if (!akidMatches(issuer.pkix, issuer.serial, subject.pkix.akid)) return false
  return subject.pkix.signerKeyTypes?.includes(issuer.keyType) === true
}

function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000)
}

/** ossl_x509_check_cert_time without callbacks. */
function timeValid(c: CertInfo, now: number): boolean {
  return now >= seconds(c.notBefore) && (c.pkix.neverExpires || now <= seconds(c.notAfter))
}

/** get0_best_issuer_sk: the first issuer that is currently valid, else the one expiring last. */
function bestIssuer(pool: readonly CertInfo[], x: CertInfo, chain: readonly CertInfo[], noDup: boolean, now: number): CertInfo | undefined {
  let best: CertInfo | undefined
  for (const candidate of pool) {
    if (noDup && !(x.selfIssued && chain.length === 1) && chain.some((c) => sameCert(c, candidate))) continue
    if (!likelyIssued(candidate, x)) continue
    if (timeValid(candidate, now)) return candidate
    if (!best || candidate.notAfter.getTime() > best.notAfter.getTime()) best = candidate
  }
  return best
}

/** X509_check_trust for the TLS server trust without auxiliary trust settings: self-signed and well-formed. */
function isTrustAnchor(c: CertInfo): boolean {
  return c.pkix.selfSigned && !c.pkix.invalid
}

/** check_ca: 0 not a CA, 1 a CA, 3 a v1 self-signed root, 4 keyUsage allows certificate signing (no basicConstraints), 5 Netscape CA. */
function checkCa(c: CertInfo): number {
  const p = c.pkix
  if (p.invalid) return 0
  if (p.keyUsageBits !== undefined && (p.keyUsageBits & KEY_USAGE.keyCertSign) === 0) return 0
  if (p.basicConstraints) return p.basicConstraints.ca ? 1 : 0
  if (p.version === 0 && p.selfSigned) return 3
  if (p.keyUsageBits !== undefined) return 4
  if (p.nsCertType !== undefined && (p.nsCertType & NS_ANY_CA) !== 0) return 5
  return 0
}

/** X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, requireCa) (check_purpose_ssl_server). */
function sslServerPurpose(c: CertInfo, requireCa: boolean): boolean {
  const p = c.pkix
  // x509v3_cache_extensions failed: X509_check_purpose returns -1, which outside strict mode passes.
  if (p.invalid) return true
  if (p.extKeyUsage && !p.extKeyUsage.some((o) => o === EKU.serverAuth || o === EKU.nsSGC || o === EKU.msSGC)) return false
  if (requireCa) {
    const ca = checkCa(c)
    if (ca === 0) return false
    return ca !== 5 || ((p.nsCertType ?? 0) & NS_SSL_CA) !== 0
  }
  if (p.nsCertType !== undefined && (p.nsCertType & NS_SSL_SERVER) === 0) return false
  const tls = KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment | KEY_USAGE.keyAgreement
  if (p.keyUsageBits !== undefined && (p.keyUsageBits & tls) === 0) return false
  return true
}

/** x509_signing_allowed: the issuer's keyUsage permits signing the subject. */
function signingAllowed(issuer: CertInfo, subject: CertInfo): X509ErrorCode | undefined {
  const ku = issuer.pkix.keyUsageBits
  if (ku === undefined) return undefined
  if (subject.pkix.proxy) return (ku & KEY_USAGE.digitalSignature) === 0 ? 'KEYUSAGE_NO_DIGITAL_SIGNATURE' : undefined
  return (ku & KEY_USAGE.keyCertSign) === 0 ? 'KEYUSAGE_NO_CERTSIGN' : undefined
}

function signatureVerifies(subject: CertInfo, issuer: CertInfo): boolean | undefined {
  let key
  try {
    key = issuer.x509.publicKey
  } catch {
    return undefined
  }
  try {
    return subject.x509.verify(key)
  } catch {
    return false
  }
}

/**
 * Validates the presented chain (leaf first, any order after it) against the trust store at
 * `now`, for a TLS server. Pure apart from signature verification.
 */
export function validatePath(presented: readonly CertInfo[], store: TrustStore, now: Date): PathValidation {
  const leaf = presented[0]
  if (!leaf) throw new RangeError('validatePath needs at least the leaf certificate')
  const t = Math.floor(now.getTime() / 1000)
  const errors: PathError[] = []
  const chain: CertInfo[] = [leaf]
  const fail = (code: X509ErrorCode, depth: number, cert = chain[depth]!) => errors.push({ code, depth, subject: cert.subject })

  // build_chain, trusted-first: at each step ask the store, then the peer's certificates.
  const untrusted = [...presented]
  let numUntrusted = 1
  let searchTrusted = true
  let searchUntrusted = true
  let trusted = false
  while (searchTrusted || searchUntrusted) {
    const num = chain.length
    if (searchTrusted) {
      const curr = chain[num - 1]!
      let issuer = num > MAX_DEPTH ? undefined : bestIssuer(store.certs, curr, chain, false, t)
      let pushedSelfSigned = false
      let index = num
      if (issuer) {
        if (!curr.pkix.selfSigned) {
          chain.push(issuer)
          pushedSelfSigned = issuer.pkix.selfSigned
        } else if (sameCert(curr, issuer)) {
          // The peer sent a trust anchor itself: use the store's copy.
          index = num - 1
          numUntrusted = index
          chain[index] = issuer
          pushedSelfSigned = true
        } else {
          issuer = undefined // a self-signed look-alike of an anchor
        }
      }
      if (issuer) {
        searchUntrusted = false
        if (chain.slice(index).some(isTrustAnchor)) {
          trusted = true
          break
        }
        if (!pushedSelfSigned) continue
      }
      if (!searchUntrusted) break
    }
    if (searchUntrusted) {
      const curr = chain[num - 1]!
      const issuer = curr.pkix.selfSigned || num > MAX_DEPTH ? undefined : bestIssuer(untrusted, curr, chain, true, t)
      if (!issuer) {
        searchUntrusted = false
        searchTrusted = true
        continue
      }
      untrusted.splice(untrusted.indexOf(issuer), 1)
      chain.push(issuer)
      numUntrusted++
    }
  }
  const num = chain.length
  if (!trusted) {
    const top = chain[num - 1]!
    if (num > MAX_DEPTH) fail('CERT_CHAIN_TOO_LONG', num - 1)
    else if (top.pkix.selfSigned) fail(num === 1 ? 'DEPTH_ZERO_SELF_SIGNED_CERT' : 'SELF_SIGNED_CERT_IN_CHAIN', num - 1)
    else fail(numUntrusted < num ? 'UNABLE_TO_GET_ISSUER_CERT' : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', num - 1)
  }

  // check_extensions: critical extensions, CA constraints, purpose, path length.
  let mustBeCa = -1
  let plen = 0
  for (let i = 0; i < num; i++) {
    const x = chain[i]!
    if (x.pkix.unhandledCritical.length > 0) fail('UNHANDLED_CRITICAL_EXTENSION', i)
    if (x.pkix.proxy) fail('PROXY_CERTIFICATES_NOT_ALLOWED', i)
    const ca = checkCa(x)
    if (mustBeCa === 0 && ca !== 0) fail('INVALID_NON_CA', i)
    if (mustBeCa === 1 && (ca === 0 || (i + 1 < num && ca !== 1))) fail('INVALID_CA', i)
    if (num > 1 && x.pkix.explicitEcParams) fail('EC_KEY_EXPLICIT_PARAMS', i)
    if (!sslServerPurpose(x, mustBeCa > 0)) fail('INVALID_PURPOSE', i)
    const pathLen = x.pkix.basicConstraints?.pathLen
    if (i > 1 && pathLen !== undefined && plen > pathLen) fail('PATH_LENGTH_EXCEEDED', i)
    if (i > 0 && !x.selfIssued) plen++
    mustBeCa = x.pkix.proxy ? 0 : 1
  }

  // internal_verify: from the top down, keyUsage of each issuer, each signature, each validity period.
  let n = num - 1
  let xi = chain[n]!
  let xs = xi
  if (!likelyIssued(xi, xi)) {
    if (n > 0) {
      n--
      xs = chain[n]!
    } else {
      fail('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 0, xi)
    }
  }
  for (;;) {
    if (xs !== xi) {
      const ku = signingAllowed(xi, xs)
      if (ku) fail(ku, n + 1, xi)
      const ok = signatureVerifies(xs, xi)
      if (ok === undefined) fail('UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', n + 1, xi)
      else if (!ok) fail('CERT_SIGNATURE_FAILURE', n, xs)
    }
    if (t < seconds(xs.notBefore)) fail('CERT_NOT_YET_VALID', n, xs)
    if (!xs.pkix.neverExpires && t > seconds(xs.notAfter)) fail('CERT_HAS_EXPIRED', n, xs)
    if (--n < 0) break
    xi = xs
    xs = chain[n]!
  }

  const unevaluated = chain.filter((c, i) => i > 0 && c.pkix.nameConstraints).map((c) => `name constraints of ${c.subject}`)
  return { trusted: errors.length === 0, path: chain, untrustedCount: Math.min(numUntrusted, num), errors, unevaluated }
}
