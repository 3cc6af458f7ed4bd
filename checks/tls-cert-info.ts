import { createHash, X509Certificate } from 'node:crypto'
import {
  booleanValue,
  children,
  DerError,
  expectTag,
  integerHex,
  integerIsNegative,
  integerValue,
  isContext,
  oidText,
  readNode,
  STRING_TAGS,
  stringValue,
  TAG,
  timeValue,
  type DerNode,
} from './tls-der.ts'
import { canonicalIp } from './tls-hostname.ts'

/**
 * What the TLS check knows about one X.509 certificate, read with node:crypto's X509Certificate
 * (names as OpenSSL prints them, key type and size, fingerprints, signatures) and a small DER
 * reader for what X509Certificate does not expose (extensions, key identifiers, key usage bits).
 * Any key type OpenSSL reads works: RSA, RSA-PSS, EC, Ed25519, DSA.
 */
export interface CertSummary {
  /** Distinguished name in certificate order, as OpenSSL prints it: `CN=localhost, O=Example`. */
  subject: string
  issuer: string
  /** Subject common name, when present. */
  commonName?: string
  /** DNS names from the subjectAltName extension (as written, lower-cased). */
  dnsNames: string[]
  /** IP addresses from the subjectAltName extension, canonical text form. */
  ipAddresses: string[]
  /** Serial number, lower-case hex. */
  serial: string
  notBefore: Date
  notAfter: Date
  /** SHA-256 of the DER, `AB:CD:...`. */
  fingerprintSha256: string
  /** SHA-256 of the SubjectPublicKeyInfo (hex): a re-issued or cross-signed certificate keeps it. */
  spkiSha256: string
  /** `rsa`, `rsa-pss`, `ec`, `ed25519`, `dsa`, ... (`unknown` when OpenSSL cannot load the key). */
  keyType: string
  /** Modulus length for RSA/DSA, curve size for EC. 0 when unknown. */
  keyBits: number
  /** Named curve for EC keys (`prime256v1`). */
  curve?: string
  /** Signature algorithm name (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `RSASSA-PSS`) or the OID when unknown. */
  signatureAlgorithm: string
  /** Digest of the signature (`sha256`, `sha1`, `md5`), when known; for RSASSA-PSS read from its parameters. */
  signatureHash?: string
  /** basicConstraints CA flag. */
  isCa: boolean
  /** basicConstraints pathLenConstraint, when present. */
  pathLen?: number
  /** keyUsage bits by name (`keyCertSign`), absent when the extension is absent. */
  keyUsage?: string[]
  /** extendedKeyUsage purposes by name (`serverAuth`) or OID, absent when the extension is absent. */
  extKeyUsage?: string[]
  /** Subject and issuer are the same name (OpenSSL's comparison): a root, or a self-signed leaf. */
  selfIssued: boolean
  /** OIDs of critical extensions OpenSSL does not handle (a verifier must reject the certificate). */
  unhandledCriticalExtensions?: string[]
}

/**
 * The certificate facts path validation needs, decoded the way OpenSSL caches them
 * (crypto/x509/v3_purp.c); names are OpenSSL's flag names where one exists.
 */
export interface PkixFacts {
  /** 0 for v1, 2 for v3. */
  version: number
  /** Canonical subject/issuer names (X509_NAME_cmp semantics: case and spaces folded). */
  subjectKey: string
  issuerKey: string
  /** EXFLAG_INVALID: a known extension is malformed or repeated, a negative pathLen, an empty keyUsage. */
  invalid: boolean
  /** EXFLAG_BCONS and EXFLAG_CA. */
  basicConstraints?: { ca: boolean; pathLen?: number }
  /** OpenSSL's ex_kusage (first byte, second byte << 8), when keyUsage is present. */
  keyUsageBits?: number
  /** extendedKeyUsage OIDs, when present. */
  extKeyUsage?: string[]
  /** Netscape certificate type bits, when present. */
  nsCertType?: number
  /** subjectKeyIdentifier, hex. */
  skid?: string
  /** authorityKeyIdentifier parts. */
  akid?: { keyId?: string; serial?: string; issuerKey?: string }
  /** OIDs of critical extensions OpenSSL does not handle (EXFLAG_CRITICAL). */
  unhandledCritical: string[]
  /** proxyCertInfo present (EXFLAG_PROXY). */
  proxy: boolean
  /** The certificate carries nameConstraints (not evaluated by the offline validator). */
  nameConstraints: boolean
  /** Key types that may have made this certificate's signature (OpenSSL's check_sig_alg_match); undefined for an unknown algorithm. */
  signerKeyTypes?: readonly string[]
  /** An EC key with explicit curve parameters. */
  explicitEcParams: boolean
  /** EXFLAG_SS: self-issued, its AKID matches its own SKID and the signature algorithm fits its key (no signature check). */
  selfSigned: boolean
  /** notAfter is 99991231235959Z (no well-defined expiry, RFC 5280 4.1.2.5). */
  neverExpires: boolean
}

/** A parsed certificate: the summary plus what chain validation needs. */
export interface CertInfo extends CertSummary {
  x509: X509Certificate
  der: Buffer
  pkix: PkixFacts
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, { name: string; hash?: string; signers: readonly string[] }>> = Object.freeze({
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', hash: 'md2', signers: ['rsa'] },
  '1.2.840.113549.1.1.3': { name: 'md4WithRSAEncryption', hash: 'md4', signers: ['rsa'] },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', hash: 'md5', signers: ['rsa'] },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', hash: 'sha1', signers: ['rsa'] },
  '1.2.840.113549.1.1.10': { name: 'RSASSA-PSS', signers: ['rsa-pss', 'rsa'] },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'sha256', signers: ['rsa'] },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'sha384', signers: ['rsa'] },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'sha512', signers: ['rsa'] },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', hash: 'sha224', signers: ['rsa'] },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', hash: 'sha1', signers: ['ec'] },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', hash: 'sha224', signers: ['ec'] },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'sha256', signers: ['ec'] },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'sha384', signers: ['ec'] },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'sha512', signers: ['ec'] },
  '1.2.840.10040.4.3': { name: 'dsa-with-SHA1', hash: 'sha1', signers: ['dsa'] },
  '2.16.840.1.101.3.4.3.1': { name: 'dsa-with-SHA224', hash: 'sha224', signers: ['dsa'] },
  '2.16.840.1.101.3.4.3.2': { name: 'dsa-with-SHA256', hash: 'sha256', signers: ['dsa'] },
  '1.3.101.112': { name: 'ED25519', signers: ['ed25519'] },
  '1.3.101.113': { name: 'ED448', signers: ['ed448'] },
})

const HASH_OIDS: Readonly<Record<string, string>> = Object.freeze({
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '1.2.840.113549.2.5': 'md5',
})

/** Curve sizes in bits, by the names node:crypto reports. */
const CURVE_BITS: Readonly<Record<string, number>> = Object.freeze({
  prime192v1: 192,
  secp192r1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256r1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
})

const FIXED_KEY_BITS: Readonly<Record<string, number>> = Object.freeze({ ed25519: 256, ed448: 456, x25519: 256, x448: 448 })

const OID = Object.freeze({
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  nsCertType: '2.16.840.1.113730.1.1',
  proxyCertInfo: '1.3.6.1.5.5.7.1.14',
  ecPublicKey: '1.2.840.10045.2.1',
  rsassaPss: '1.2.840.113549.1.1.10',
})

/** Extensions OpenSSL's verifier understands (X509_supported_extension); another critical one fails the path. */
const SUPPORTED_CRITICAL: ReadonlySet<string> = new Set([
  OID.nsCertType,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  '2.5.29.32', // certificatePolicies
  OID.crlDistributionPoints,
  OID.extKeyUsage,
  '1.3.6.1.5.5.7.1.7', // sbgp-ipAddrBlock
  '1.3.6.1.5.5.7.1.8', // sbgp-autonomousSysNum
  '1.3.6.1.5.5.7.48.1.5', // OCSP noCheck
  '2.5.29.36', // policyConstraints
  OID.proxyCertInfo,
  OID.nameConstraints,
  '2.5.29.33', // policyMappings
  '2.5.29.54', // inhibitAnyPolicy
])

/** Extensions whose malformed or repeated presence makes OpenSSL mark the certificate invalid. */
const DECODED_BY_OPENSSL: ReadonlySet<string> = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.nsCertType,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.subjectAltName,
  OID.nameConstraints,
  OID.crlDistributionPoints,
  OID.proxyCertInfo,
])

/** keyUsage bits as OpenSSL stores them (KU_* in x509v3.h), by RFC 5280 name. */
export const KEY_USAGE = Object.freeze({
  digitalSignature: 0x0080,
  nonRepudiation: 0x0040,
  keyEncipherment: 0x0020,
  dataEncipherment: 0x0010,
  keyAgreement: 0x0008,
  keyCertSign: 0x0004,
  cRLSign: 0x0002,
  encipherOnly: 0x0001,
  decipherOnly: 0x8000,
})

/** extendedKeyUsage purposes by OID. */
export const EKU = Object.freeze({
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  OCSPSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
  nsSGC: '2.16.840.1.113730.4.1',
  msSGC: '1.3.6.1.4.1.311.10.3.3',
})
const EKU_NAMES: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(Object.entries(EKU).map(([name, oid]) => [oid, name])))

const NEVER_EXPIRES_MS = Date.UTC(9999, 11, 31, 23, 59, 59)

/**
 * A canonical form of a DER Name for comparisons, following X509_NAME_cmp: string values are
 * folded to lower case with leading, trailing and repeated spaces removed; an RDN's members are
 * order-independent (DER sorts a SET).
 */
function nameKey(name: DerNode): string {
  const rdns = children(expectTag(name, TAG.SEQUENCE, 'Name')).map((rdn) =>
    children(expectTag(rdn, TAG.SET, 'RDN'))
      .map((ava) => {
        const [type, value] = children(expectTag(ava, TAG.SEQUENCE, 'AttributeTypeAndValue'))
        if (!type || !value) throw new DerError('AttributeTypeAndValue: missing part')
        const oid = oidText(expectTag(type, TAG.OID, 'attribute type'))
        if (value.cls === 0 && STRING_TAGS.has(value.tag)) {
          const canon = stringValue(value)
            .replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '')
            .replace(/[ \t\n\v\f\r]+/g, ' ')
            .replace(/[A-Z]/g, (c) => c.toLowerCase())
          return `${oid}=s:${canon}`
        }
        return `${oid}=x:${value.bytes.toString('hex')}`
      })
      .sort(),
  )
  return JSON.stringify(rdns)
}

function firstCommonName(name: DerNode): string | undefined {
  for (const rdn of children(name)) {
    for (const ava of children(rdn)) {
      const [type, value] = children(ava)
      if (type && value && oidText(type) === OID.commonName) return stringValue(value)
    }
  }
  return undefined
}

/** node:crypto prints names one attribute per line; join them on one line. */
function displayName(multiline: string): string {
  return multiline.split('\n').filter(Boolean).join(', ')
}

function ipText(bytes: Buffer): string | undefined {
  if (bytes.length === 4) return [...bytes].join('.')
  if (bytes.length === 16) {
    const groups: string[] = []
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16))
    return canonicalIp(groups.join(':'))
  }
  return undefined
}

interface Extension {
  oid: string
  critical: boolean
  value: Buffer
}

function readExtensions(node: DerNode | undefined): Extension[] {
  if (!node) return []
  const seq = children(node)[0]
  return children(expectTag(seq, TAG.SEQUENCE, 'Extensions')).map((ext) => {
    const parts = children(expectTag(ext, TAG.SEQUENCE, 'Extension'))
    const oid = oidText(expectTag(parts[0], TAG.OID, 'extnID'))
    const hasCritical = parts[1]?.cls === 0 && parts[1]?.tag === TAG.BOOLEAN
    const critical = hasCritical ? booleanValue(parts[1]!) : false
    const value = expectTag(parts[hasCritical ? 2 : 1], TAG.OCTET_STRING, 'extnValue').value
    return { oid, critical, value }
  })
}

/** Decodes the extensions OpenSSL caches; a malformed one marks the certificate invalid, as OpenSSL does. */
function decodeExtensions(exts: Extension[], facts: PkixFacts, summary: Pick<CertSummary, 'dnsNames' | 'ipAddresses'>): void {
  const seen = new Set<string>()
  for (const ext of exts) {
    if (seen.has(ext.oid) && DECODED_BY_OPENSSL.has(ext.oid)) facts.invalid = true
    seen.add(ext.oid)
    if (ext.critical && !SUPPORTED_CRITICAL.has(ext.oid)) facts.unhandledCritical.push(ext.oid)
    try {
      const node = DECODED_BY_OPENSSL.has(ext.oid) ? readNode(ext.value) : undefined
      switch (ext.oid) {
        case OID.basicConstraints: {
          const parts = children(expectTag(node, TAG.SEQUENCE, 'basicConstraints'))
          let i = 0
          let ca = false
          if (parts[i]?.tag === TAG.BOOLEAN) ca = booleanValue(parts[i++]!)
          const bc: { ca: boolean; pathLen?: number } = { ca }
          const pl = parts[i]
          if (pl) {
            expectTag(pl, TAG.INTEGER, 'pathLenConstraint')
            if (integerIsNegative(pl)) facts.invalid = true
            else bc.pathLen = integerValue(pl)
          }
          facts.basicConstraints = bc
          break
        }
        case OID.keyUsage: {
          const bits = expectTag(node, TAG.BIT_STRING, 'keyUsage').value.subarray(1)
          facts.keyUsageBits = (bits[0] ?? 0) | ((bits[1] ?? 0) << 8)
          if (facts.keyUsageBits === 0) facts.invalid = true
          break
        }
        case OID.extKeyUsage:
          facts.extKeyUsage = children(expectTag(node, TAG.SEQUENCE, 'extKeyUsage')).map((o) => oidText(expectTag(o, TAG.OID, 'KeyPurposeId')))
          break
        case OID.nsCertType:
          facts.nsCertType = expectTag(node, TAG.BIT_STRING, 'nsCertType').value[1] ?? 0
          break
        case OID.subjectKeyIdentifier:
          facts.skid = expectTag(node, TAG.OCTET_STRING, 'subjectKeyIdentifier').value.toString('hex')
          break
        case OID.authorityKeyIdentifier: {
          const akid: NonNullable<PkixFacts['akid']> = {}
          for (const part of children(expectTag(node, TAG.SEQUENCE, 'authorityKeyIdentifier'))) {
            if (isContext(part, 0)) akid.keyId = part.value.toString('hex')
            else if (isContext(part, 2)) akid.serial = integerHex(part)
            else if (isContext(part, 1)) {
              // GeneralNames: only the first directoryName counts (as in X509_check_akid).
              const dir = children(part).find((g) => isContext(g, 4))
              const inner = dir ? children(dir)[0] : undefined // [4] EXPLICIT Name
              if (inner) akid.issuerKey = nameKey(inner)
            }
          }
          facts.akid = akid
          break
        }
        case OID.subjectAltName:
          for (const gn of children(expectTag(node, TAG.SEQUENCE, 'subjectAltName'))) {
            if (isContext(gn, 2)) summary.dnsNames.push(gn.value.toString('latin1').toLowerCase())
            else if (isContext(gn, 7)) {
              const ip = ipText(gn.value)
              if (ip) summary.ipAddresses.push(ip)
            }
          }
          break
        case OID.nameConstraints:
          expectTag(node, TAG.SEQUENCE, 'nameConstraints')
          facts.nameConstraints = true
          break
        case OID.crlDistributionPoints:
          expectTag(node, TAG.SEQUENCE, 'cRLDistributionPoints')
          break
        case OID.proxyCertInfo:
          facts.proxy = true
          break
      }
    } catch (err) {
      if (!(err instanceof DerError)) throw err
      facts.invalid = true
    }
  }
}

function keyUsageNames(bits: number): string[] {
  return Object.entries(KEY_USAGE)
    .filter(([, bit]) => (bits & bit) !== 0)
    .map(([name]) => name)
}

/** X509_check_akid: the authority key identifier of `akid` fits `issuer`. */
export function akidMatches(issuer: PkixFacts, issuerSerial: string, akid: PkixFacts['akid']): boolean {
  if (!akid) return true
  if (akid.keyId !== undefined && issuer.skid !== undefined && akid.keyId !== issuer.skid) return false
  if (akid.serial !== undefined && akid.serial !== issuerSerial) return false
  if (akid.issuerKey !== undefined && akid.issuerKey !== issuer.issuerKey) return false
  return true
}

/** Parses one DER certificate. Throws when the bytes are not a certificate. */
export function parseCertificate(der: Buffer): CertInfo {
  const x509 = new X509Certificate(der)
  const [tbs, sigAlg] = children(expectTag(readNode(der), TAG.SEQUENCE, 'Certificate'))
  const tbsParts = children(expectTag(tbs, TAG.SEQUENCE, 'TBSCertificate'))
  let i = 0
  let version = 0
  if (isContext(tbsParts[0], 0)) {
    version = integerValue(expectTag(children(tbsParts[0]!)[0], TAG.INTEGER, 'version'))
    i = 1
  }
  const serialNode = expectTag(tbsParts[i], TAG.INTEGER, 'serialNumber')
  const issuerNode = expectTag(tbsParts[i + 2], TAG.SEQUENCE, 'issuer')
  const [notBeforeNode, notAfterNode] = children(expectTag(tbsParts[i + 3], TAG.SEQUENCE, 'validity'))
  const subjectNode = expectTag(tbsParts[i + 4], TAG.SEQUENCE, 'subject')
  const spki = expectTag(tbsParts[i + 5], TAG.SEQUENCE, 'subjectPublicKeyInfo')
  const extensionsNode = tbsParts.slice(i + 6).find((n) => isContext(n, 3))
  if (!notBeforeNode || !notAfterNode) throw new DerError('validity: missing time')

  const [algId, algParams] = children(expectTag(children(spki)[0], TAG.SEQUENCE, 'AlgorithmIdentifier'))
  const spkiAlg = oidText(expectTag(algId, TAG.OID, 'algorithm'))
  const sigParts = children(expectTag(sigAlg, TAG.SEQUENCE, 'signatureAlgorithm'))
  const sigOid = oidText(expectTag(sigParts[0], TAG.OID, 'signature algorithm'))
  const sigInfo = SIGNATURE_ALGORITHMS[sigOid]
  let signatureHash = sigInfo?.hash
  if (sigOid === OID.rsassaPss) signatureHash = pssHash(sigParts[1])

  let keyType = 'unknown'
  let keyBits = 0
  let curve: string | undefined
  try {
    const key = x509.publicKey
    keyType = key.asymmetricKeyType ?? 'unknown'
    const details = key.asymmetricKeyDetails ?? {}
    curve = details.namedCurve
    keyBits = details.modulusLength ?? (curve ? (CURVE_BITS[curve] ?? 0) : (FIXED_KEY_BITS[keyType] ?? 0))
  } catch {
    // A key OpenSSL cannot load: no issuer can use it, and nothing can be said about its size.
  }

  const subjectKey = nameKey(subjectNode)
  const issuerKey = nameKey(issuerNode)
  // Times outside RFC 5280's two forms (seen in old certificates) fall back to OpenSSL's reading.
  const time = (node: DerNode, fallback: string) => {
    try {
      return timeValue(node)
    } catch {
      return new Date(fallback)
    }
  }
  const notBefore = time(notBeforeNode, x509.validFrom)
  const notAfter = time(notAfterNode, x509.validTo)
  const facts: PkixFacts = {
    version,
    subjectKey,
    issuerKey,
    invalid: false,
    unhandledCritical: [],
    proxy: false,
    nameConstraints: false,
    explicitEcParams: spkiAlg === OID.ecPublicKey && algParams?.tag === TAG.SEQUENCE,
    selfSigned: false,
    neverExpires: notAfter.getTime() === NEVER_EXPIRES_MS,
  }
  if (sigInfo) facts.signerKeyTypes = sigInfo.signers
  const summary: Pick<CertSummary, 'dnsNames' | 'ipAddresses'> = { dnsNames: [], ipAddresses: [] }
  decodeExtensions(readExtensions(extensionsNode), facts, summary)
  const serial = integerHex(serialNode)
  const selfIssued = subjectKey === issuerKey
  facts.selfSigned = selfIssued && akidMatches(facts, serial, facts.akid) && facts.signerKeyTypes?.includes(keyType) === true

  const info: CertInfo = {
    subject: displayName(x509.subject),
    issuer: displayName(x509.issuer),
    dnsNames: summary.dnsNames,
    ipAddresses: summary.ipAddresses,
    serial,
    notBefore,
    notAfter,
    fingerprintSha256: x509.fingerprint256,
    spkiSha256: createHash('sha256').update(spki.bytes).digest('hex'),
    keyType,
    keyBits,
    signatureAlgorithm: sigInfo?.name ?? sigOid,
    isCa: facts.basicConstraints?.ca ?? false,
    selfIssued,
    x509,
    der,
    pkix: facts,
  }
  const cn = firstCommonName(subjectNode)
  if (cn !== undefined) info.commonName = cn
  if (curve) info.curve = curve
  if (signatureHash) info.signatureHash = signatureHash
  if (facts.basicConstraints?.pathLen !== undefined) info.pathLen = facts.basicConstraints.pathLen
  if (facts.keyUsageBits !== undefined) info.keyUsage = keyUsageNames(facts.keyUsageBits)
  if (facts.extKeyUsage) info.extKeyUsage = facts.extKeyUsage.map((o) => EKU_NAMES[o] ?? o)
  if (facts.unhandledCritical.length > 0) info.unhandledCriticalExtensions = [...facts.unhandledCritical]
  return info
}

/** RSASSA-PSS-params hashAlgorithm ([0], default SHA-1). */
function pssHash(params: DerNode | undefined): string | undefined {
  if (!params || params.tag !== TAG.SEQUENCE) return 'sha1'
  const hash = children(params).find((p) => isContext(p, 0))
  if (!hash) return 'sha1'
  const alg = children(children(hash)[0]!)[0]
  return alg ? (HASH_OIDS[oidText(alg)] ?? oidText(alg)) : undefined
}

/** Splits a PEM bundle into DER certificates, in file order. Non-certificate blocks (keys) are ignored. */
export function pemBundleToDer(pem: string): Buffer[] {
  const out: Buffer[] = []
  const re = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g
  for (const m of pem.matchAll(re)) out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'))
  return out
}
