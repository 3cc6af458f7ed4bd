import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCa, generateRsaKeyPem, issueCert, type KeyPairPem } from '../../sandbox/pki.ts'

/**
 * The certificate corpus for the TLS check's tests, generated at setup time two independent ways:
 * node-forge (through sandbox/pki.ts) and the `openssl` command line. Validity windows are set
 * relative to `now` with an hour of slack, so "N days" in messages is exact when the check is
 * given the same `now`.
 */

const DAY = 86_400_000
const HOUR = 3_600_000

/** A server identity: the PEM chain to send (leaf first) and the leaf's key. */
export interface ServedCert {
  /** Leaf first, then whatever intermediates the server sends. */
  chainPem: string
  keyPem: string
  /** The leaf alone. */
  leafPem: string
}

export interface ForgeCorpus {
  now: Date
  /** Root CA PEM (trust this). */
  rootPem: string
  /** Intermediate CA under the root. */
  intermediatePem: string
  /** Root + intermediate: the bundle that lets a leaf-only server verify. */
  rootAndIntermediatePem: string
  valid: ServedCert
  expired: ServedCert
  notYetValid: ServedCert
  /** SAN www.example.com only. */
  wrongHost: ServedCert
  /** SAN *.example.test only. */
  wildcard: ServedCert
  /** Issued by a root that is not in any bundle the tests trust. */
  untrusted: ServedCert
  untrustedRootSubject: string
  /** Leaf under the intermediate, served without it. */
  missingIntermediate: ServedCert
  /** Valid leaf under an intermediate that expired 10 days ago. */
  expiredIntermediate: ServedCert
  expiredIntermediateSubject: string
  rsa1024: ServedCert
  sha1: ServedCert
  /** Expires in 3 days. */
  expiresSoon: ServedCert
}

const LOCAL_HOSTS = ['localhost', '127.0.0.1']

function served(leaf: KeyPairPem, ...intermediates: string[]): ServedCert {
  return { chainPem: leaf.certPem + intermediates.join(''), keyPem: leaf.keyPem, leafPem: leaf.certPem }
}

/** Builds the node-forge half of the corpus. One leaf key is shared by the RSA-2048 leaves (speed). */
export async function forgeCorpus(nowMs = Date.now()): Promise<ForgeCorpus> {
  const now = new Date(Math.floor(nowMs / 1000) * 1000)
  const t = now.getTime()
  const [rootKey, intKey, otherRootKey, expIntKey, leafKey] = await Promise.all([
    generateRsaKeyPem(),
    generateRsaKeyPem(),
    generateRsaKeyPem(),
    generateRsaKeyPem(),
    generateRsaKeyPem(),
  ])
  const root = createCa({ commonName: 'Corpus Root CA', keyPem: rootKey, notBefore: new Date(t - 365 * DAY) })
  const intermediate = createCa({ commonName: 'Corpus Intermediate CA', issuer: root, keyPem: intKey, notBefore: new Date(t - 300 * DAY) })
  const otherRoot = createCa({ commonName: 'Stranger Root CA', keyPem: otherRootKey, notBefore: new Date(t - 365 * DAY) })
  const expiredInt = createCa({
    commonName: 'Corpus Expired Intermediate CA',
    issuer: root,
    keyPem: expIntKey,
    notBefore: new Date(t - 400 * DAY),
    notAfter: new Date(t - 10 * DAY - HOUR),
  })
  const leaf = (hosts: string[], extra: Partial<Parameters<typeof issueCert>[0]> = {}, issuer = intermediate) =>
    issueCert({
      issuer,
      commonName: hosts[0] ?? 'localhost',
      hosts,
      keyPem: extra.keyBits ? undefined : leafKey,
      notBefore: new Date(t - HOUR),
      notAfter: new Date(t + 89 * DAY + 12 * HOUR),
      ...extra,
    })
  const intPem = intermediate.certPem
  const missing = leaf(LOCAL_HOSTS)
  return {
    now,
    rootPem: root.certPem,
    intermediatePem: intPem,
    rootAndIntermediatePem: root.certPem + intPem,
    valid: served(leaf(LOCAL_HOSTS), intPem),
    expired: served(leaf(LOCAL_HOSTS, { notBefore: new Date(t - 93 * DAY), notAfter: new Date(t - 3 * DAY - HOUR) }), intPem),
    notYetValid: served(leaf(LOCAL_HOSTS, { notBefore: new Date(t + 5 * DAY + HOUR), notAfter: new Date(t + 95 * DAY) }), intPem),
    wrongHost: served(leaf(['www.example.com']), intPem),
    wildcard: served(leaf(['*.example.test']), intPem),
    untrusted: served(leaf(LOCAL_HOSTS, {}, otherRoot)),
    untrustedRootSubject: 'CN=Stranger Root CA, O=runbook-kit sandbox',
    missingIntermediate: { chainPem: missing.certPem, keyPem: missing.keyPem, leafPem: missing.certPem },
    expiredIntermediate: served(leaf(LOCAL_HOSTS, {}, expiredInt), expiredInt.certPem),
    expiredIntermediateSubject: 'CN=Corpus Expired Intermediate CA, O=runbook-kit sandbox',
    rsa1024: served(leaf(LOCAL_HOSTS, { keyBits: 1024 }), intPem),
    sha1: served(leaf(LOCAL_HOSTS, { hash: 'sha1' }), intPem),
    expiresSoon: served(leaf(LOCAL_HOSTS, { notAfter: new Date(t + 3 * DAY + HOUR) }), intPem),
  }
}

/** The openssl half: an ECDSA P-256 CA and leaves made by `openssl req` / `x509` / `ecparam`. */
export interface OpensslCorpus {
  dir: string
  /** ECDSA P-256 root (trust this). */
  caPem: string
  caFile: string
  /** ECDSA P-256 leaf, ecdsa-with-SHA256, SANs localhost + 127.0.0.1, 90 days. */
  ecValid: ServedCert & { certFile: string; keyFile: string }
  /** Same, but signed with ecdsa-with-SHA1. */
  ecSha1: ServedCert & { certFile: string; keyFile: string }
  /** Self-signed RSA-2048 leaf (`openssl req -x509`), SANs localhost + 127.0.0.1. */
  selfSigned: ServedCert & { certFile: string; keyFile: string }
  cleanup(): void
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Whether an `openssl` binary is on PATH. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export function opensslCorpus(): OpensslCorpus {
  const dir = mkdtempSync(join(tmpdir(), 'rbk-tls-corpus-'))
  const read = (f: string) => readFileSync(join(dir, f), 'utf8')
  const san = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n'
  writeFileSync(join(dir, 'leaf.ext'), san)
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'])
  openssl(dir, ['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '365', '-subj', '/CN=OpenSSL EC Root CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'ca.crt'])
  const ecLeaf = (name: string, digest: string) => {
    openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`])
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', '/CN=localhost', '-out', `${name}.csr`])
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', `-${digest}`, '-days', '90', '-extfile', 'leaf.ext', '-out', `${name}.crt`])
    const certPem = read(`${name}.crt`)
    return { chainPem: certPem, leafPem: certPem, keyPem: read(`${name}.key`), certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) }
  }
  const ecValid = ecLeaf('ec-valid', 'sha256')
  const ecSha1 = ecLeaf('ec-sha1', 'sha1')
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-sha256', '-days', '60', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-out', 'self.crt'])
  const selfPem = read('self.crt')
  return {
    dir,
    caPem: read('ca.crt'),
    caFile: join(dir, 'ca.crt'),
    ecValid,
    ecSha1,
    selfSigned: { chainPem: selfPem, leafPem: selfPem, keyPem: read('self.key'), certFile: join(dir, 'self.crt'), keyFile: join(dir, 'self.key') },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
