import { X509Certificate } from 'node:crypto'
import forge from 'node-forge'
import { canonicalIp } from './tls-hostname.ts'

/**
 * What the TLS check knows about one X.509 certificate. Names, SANs, serial, validity and the
 * signature algorithm come from node-forge; key type and size from node:crypto, because forge
 * cannot read EC (or Ed25519) public keys.
 */
export interface CertSummary {
  /** Distinguished name, most significant attribute first: `CN=localhost, O=Example`. */
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
  /** `rsa`, `ec`, `ed25519`, `dsa`, ... */
  keyType: string
  /** Modulus length for RSA/DSA, curve size for EC. 0 when unknown. */
  keyBits: number
  /** Named curve for EC keys (`prime256v1`). */
  curve?: string
  /** Signature algorithm name (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`) or the OID when unknown. */
  signatureAlgorithm: string
  /** Basic constraints CA flag. */
  isCa: boolean
}

/** A parsed certificate: the summary plus the node:crypto object used for chain verification. */
export interface CertInfo extends CertSummary {
  x509: X509Certificate
  der: Buffer
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = Object.freeze({
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-SHA256',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
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

/** A tiny RSA public key put in place of a key forge cannot read, so forge parses everything else. */
let placeholderSpki: forge.asn1.Asn1 | undefined
function placeholderRsaSpki(): forge.asn1.Asn1 {
  placeholderSpki ??= forge.pki.publicKeyToAsn1(forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3')))
  return placeholderSpki
}

function forgeCertificate(der: Buffer): forge.pki.Certificate {
  const asn = () => forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')))
  try {
    return forge.pki.certificateFromAsn1(asn())
  } catch (err) {
    // forge reads only RSA keys ("OID is not RSA"): swap in a placeholder SPKI and parse the rest.
    const cert = asn()
    const tbs = (cert.value as forge.asn1.Asn1[])[0]
    const fields = tbs?.value as forge.asn1.Asn1[] | undefined
    if (!fields) throw err
    const hasVersion = fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC
    // TBSCertificate: [version], serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    const spkiIndex = (hasVersion ? 1 : 0) + 5
    if (!fields[spkiIndex]) throw err
    fields[spkiIndex] = placeholderRsaSpki()
    return forge.pki.certificateFromAsn1(cert)
  }
}

function formatName(attrs: forge.pki.CertificateField[]): string {
  return attrs.map((a) => `${a.shortName ?? a.name ?? a.type}=${String(a.value)}`).join(', ')
}

/** Parses one DER certificate. Throws when the bytes are not a certificate. */
export function parseCertificate(der: Buffer): CertInfo {
  const x509 = new X509Certificate(der)
  const cert = forgeCertificate(der)
  const cn = cert.subject.getField('CN') as forge.pki.CertificateField | null
  const dnsNames: string[] = []
  const ipAddresses: string[] = []
  const san = cert.getExtension('subjectAltName') as { altNames?: { type: number; value: string; ip?: string }[] } | undefined
  for (const alt of san?.altNames ?? []) {
    if (alt.type === 2) dnsNames.push(alt.value.toLowerCase())
    else if (alt.type === 7 && alt.ip) ipAddresses.push(canonicalIp(alt.ip))
  }
  const basic = cert.getExtension('basicConstraints') as { cA?: boolean } | undefined
  const key = x509.publicKey
  const keyType = key.asymmetricKeyType ?? 'unknown'
  const details = key.asymmetricKeyDetails ?? {}
  const curve = details.namedCurve
  const keyBits = details.modulusLength ?? (curve ? (CURVE_BITS[curve] ?? 0) : (FIXED_KEY_BITS[keyType] ?? 0))
  const info: CertInfo = {
    subject: formatName(cert.subject.attributes),
    issuer: formatName(cert.issuer.attributes),
    dnsNames,
    ipAddresses,
    serial: cert.serialNumber.toLowerCase(),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    fingerprintSha256: x509.fingerprint256,
    keyType,
    keyBits,
    signatureAlgorithm: SIGNATURE_ALGORITHMS[cert.signatureOid] ?? cert.signatureOid,
    isCa: Boolean(basic?.cA),
    x509,
    der,
  }
  if (cn && cn.value !== undefined) info.commonName = String(cn.value)
  if (curve) info.curve = curve
  return info
}

/** Splits a PEM bundle into DER certificates, in file order. Non-certificate blocks (keys) are ignored. */
export function pemBundleToDer(pem: string): Buffer[] {
  const out: Buffer[] = []
  const re = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g
  for (const m of pem.matchAll(re)) out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'))
  return out
}
