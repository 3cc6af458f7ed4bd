import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import forge from 'node-forge'
import { InvalidArgumentError } from '../lib/errors.ts'

/**
 * A throwaway PKI for the sandbox and the tests: a CA (optionally an intermediate under another CA)
 * and leaf certificates with SANs. RSA keys come from node:crypto (OpenSSL, tens of ms) and are
 * converted to node-forge objects, because forge's pure-JS key generation takes seconds.
 */

/** A certificate and its private key, both PEM. */
export interface KeyPairPem {
  certPem: string
  keyPem: string
}

/** A CA: PEM forms plus the forge objects needed to sign with it. */
export interface CaBundle extends KeyPairPem {
  cert: forge.pki.Certificate
  key: forge.pki.rsa.PrivateKey
}

export interface CreateCaOptions {
  /** Subject CN. Default `runbook-kit sandbox CA` (`... intermediate CA` when `issuer` is set). */
  commonName?: string
  /** Default: one hour ago (tolerates small clock skew). */
  notBefore?: Date
  /** Default: `notBefore` + 10 years for a root, + 5 years for an intermediate. */
  notAfter?: Date
  /** RSA modulus size in bits. Default 2048; at least 1024. */
  keyBits?: number
  /** Signing CA; when set, the result is an intermediate CA signed by it. Default: self-signed root. */
  issuer?: CaBundle
  /** Use this RSA private key (PEM, PKCS#1 or PKCS#8) instead of generating one; `keyBits` is then ignored. */
  keyPem?: string
}

export interface IssueCertOptions {
  /** The CA that signs the certificate. */
  issuer: CaBundle
  /** Subject CN. */
  commonName: string
  /** DNS names and IP addresses (v4 or v6) for the subjectAltName; empty = no SAN extension (CN only). */
  hosts: string[]
  /** Default: one hour ago. */
  notBefore?: Date
  /** Default: `notBefore` + 90 days. */
  notAfter?: Date
  /** RSA modulus size in bits. Default 2048; at least 1024 (1024 exists to test weak-key findings). */
  keyBits?: number
  /** Signature digest. Default `sha256`; `sha1` exists to test weak-signature findings. */
  hash?: 'sha256' | 'sha1'
  /** Serial number as hex. Default: 16 random bytes (positive). */
  serial?: string
  /** Use this RSA private key (PEM, PKCS#1 or PKCS#8) instead of generating one; `keyBits` is then ignored. */
  keyPem?: string
}

const DAY_MS = 86_400_000
const DEFAULT_KEY_BITS = 2048
const DEFAULT_SUBJECT_O = 'runbook-kit sandbox'

/** Creates a self-signed root CA, or an intermediate CA when `opts.issuer` is given. */
export function createCa(opts: CreateCaOptions = {}): CaBundle {
  const issuer = opts.issuer
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3_600_000)
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + (issuer ? 5 : 10) * 365 * DAY_MS)
  checkValidity(notBefore, notAfter)
  const commonName = opts.commonName ?? (issuer ? 'runbook-kit sandbox intermediate CA' : 'runbook-kit sandbox CA')
  const { key, keyPem } = opts.keyPem ? importRsaKey(opts.keyPem) : generateRsaKey(opts.keyBits ?? DEFAULT_KEY_BITS)

  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  cert.serialNumber = randomSerial()
  cert.validity.notBefore = notBefore
  cert.validity.notAfter = notAfter
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: DEFAULT_SUBJECT_O },
  ]
  cert.setSubject(subject)
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    authorityKeyIdentifier(issuer?.cert ?? cert),
  ])
  cert.sign(issuer ? issuer.key : key, forge.md.sha256.create())
  return { cert, key, certPem: forge.pki.certificateToPem(cert), keyPem }
}

/** Issues a TLS server (and client) leaf certificate signed by `opts.issuer`. */
export function issueCert(opts: IssueCertOptions): KeyPairPem {
  if (!opts?.issuer) throw new InvalidArgumentError('issueCert: issuer is required')
  if (!opts.commonName) throw new InvalidArgumentError('issueCert: commonName is required')
  if (!Array.isArray(opts.hosts)) throw new InvalidArgumentError('issueCert: hosts must be an array of DNS names or IPs')
  const hash = opts.hash ?? 'sha256'
  if (hash !== 'sha256' && hash !== 'sha1') throw new InvalidArgumentError(`issueCert: unsupported hash "${String(hash)}"`)
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3_600_000)
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + 90 * DAY_MS)
  checkValidity(notBefore, notAfter)
  if (opts.serial !== undefined && !/^[0-9a-fA-F]+$/.test(opts.serial)) {
    throw new InvalidArgumentError(`issueCert: serial must be hex, got "${opts.serial}"`)
  }
  const altNames = opts.hosts.map((h) => {
    if (typeof h !== 'string' || h === '') throw new InvalidArgumentError('issueCert: hosts entries must be non-empty strings')
    return isIP(h) ? { type: 7, ip: h } : { type: 2, value: h }
  })
  const { key, keyPem } = opts.keyPem ? importRsaKey(opts.keyPem) : generateRsaKey(opts.keyBits ?? DEFAULT_KEY_BITS)

  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  cert.serialNumber = opts.serial ?? randomSerial()
  cert.validity.notBefore = notBefore
  cert.validity.notAfter = notAfter
  cert.setSubject([
    { name: 'commonName', value: opts.commonName },
    { name: 'organizationName', value: DEFAULT_SUBJECT_O },
  ])
  cert.setIssuer(opts.issuer.cert.subject.attributes)
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    authorityKeyIdentifier(opts.issuer.cert),
  ]
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames })
  cert.setExtensions(extensions)
  cert.sign(opts.issuer.key, hash === 'sha1' ? forge.md.sha1.create() : forge.md.sha256.create())
  return { certPem: forge.pki.certificateToPem(cert), keyPem }
}

/**
 * Generates an RSA private key (PKCS#8 PEM) off the main thread. Key generation is the slow part
 * of issuing (50-250 ms per 2048-bit key); generate several at once and pass them as `keyPem`.
 */
export async function generateRsaKeyPem(bits = DEFAULT_KEY_BITS): Promise<string> {
  checkKeyBits(bits)
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      { modulusLength: bits, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } },
      (err, _publicKey, privateKey) => (err ? reject(err) : resolve(privateKey)),
    )
  })
}

function checkKeyBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1024 || bits > 8192) {
    throw new InvalidArgumentError(`keyBits must be an integer from 1024 to 8192, got ${String(bits)}`)
  }
}

function generateRsaKey(bits: number): { key: forge.pki.rsa.PrivateKey; keyPem: string } {
  checkKeyBits(bits)
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  return importRsaKey(privateKey)
}

function importRsaKey(keyPem: string): { key: forge.pki.rsa.PrivateKey; keyPem: string } {
  let key: forge.pki.rsa.PrivateKey
  try {
    key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey
  } catch (err) {
    throw new InvalidArgumentError('keyPem is not an RSA private key in PEM form', { cause: err })
  }
  return { key, keyPem }
}

function checkValidity(notBefore: Date, notAfter: Date): void {
  if (!(notBefore instanceof Date) || Number.isNaN(notBefore.getTime())) throw new InvalidArgumentError('notBefore must be a valid Date')
  if (!(notAfter instanceof Date) || Number.isNaN(notAfter.getTime())) throw new InvalidArgumentError('notAfter must be a valid Date')
  if (notAfter.getTime() <= notBefore.getTime()) throw new InvalidArgumentError('notAfter must be later than notBefore')
}

/** 16 random bytes as hex with the top bit clear, so the DER INTEGER is positive and keeps its length. */
function randomSerial(): string {
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0]! & 0x7f) | 0x40
  return bytes.toString('hex')
}

/**
 * forge's `keyIdentifier: true` hashes the certificate's own key, which is wrong for anything but a
 * self-signed certificate, so the issuer's key identifier is computed here and passed as bytes.
 */
function authorityKeyIdentifier(issuerCert: forge.pki.Certificate): object {
  return { name: 'authorityKeyIdentifier', keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes() }
}
