import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createCa, generateRsaKeyPem, issueCert, type KeyPairPem } from '../../sandbox/pki.ts'

/**
 * Certificate corpora for the tests, generated at setup time, never with the code under test:
 * `opensslCorpus()` drives the `openssl` command line (the TLS check's tests: every class of
 * chain the check must judge as `openssl verify` does), `forgeCorpus()` the sandbox PKI
 * (sandbox/pki.ts, node-forge) for tests of the sandbox-facing kind. Validity windows are set
 * relative to `now` with an hour of slack, so "N days" in messages is exact when the check is
 * given the same `now`.
 */

const execFileAsync = promisify(execFile)
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

/** Whether an `openssl` binary is on PATH. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** One certificate made by the openssl CLI, with its key. */
export interface PkiCert {
  certPem: string
  certFile: string
  keyPem: string
  keyFile: string
  /** As the check prints names: `CN=Corpus Root CA, O=runbook-kit corpus`. */
  subject: string
}

/** A server identity to judge: what is sent, in the order under test, and what is trusted. */
export interface CorpusCase {
  name: string
  leaf: PkiCert
  /** Sent after the leaf, in this order (may be empty, may hold certificates off the path). */
  sent: PkiCert[]
  /** Leaf then `sent`, PEM: what a server presents and what a tls.crt holds. */
  chainPem: string
  chainFile: string
  /** `sent` alone, for `openssl verify -untrusted`; undefined when nothing is sent after the leaf. */
  untrustedFile?: string
  /** The trust store (PEM file). */
  caFile: string
  /** Name to verify. */
  host: string
}

export interface OpensslCorpus {
  dir: string
  /** Second precision, the time the corpus validity windows are relative to. */
  now: Date
  rootFile: string
  root: PkiCert
  intermediate: PkiCert
  /** Root + intermediate: the bundle that lets a leaf-only server verify. */
  rootAndIntermediateFile: string
  cases: Readonly<Record<CaseName, CorpusCase>>
  cleanup(): void
}

const CASE_NAMES = [
  'rsa-valid',
  'ec256-valid',
  'ec384-valid',
  'two-intermediates',
  'unordered-intermediates',
  'root-sent-too',
  'missing-intermediate',
  'expired-leaf',
  'not-yet-valid',
  'expires-soon',
  'wrong-host',
  'wildcard',
  'self-signed',
  'untrusted-root',
  'ca-false-issuer',
  'no-keycertsign-issuer',
  'pathlen-exceeded',
  'eku-client-only',
  'intermediate-eku-client-only',
  'unhandled-critical-extension',
  'bad-signature',
  'expired-intermediate',
  'intermediate-expires-within-warn',
  'expired-cross-sign-unused',
  'rsa1024-intermediate',
  'rsa1024-leaf',
  'sha1-intermediate',
  'sha1-leaf',
  'no-san',
  'name-constraints-violated',
] as const
export type CaseName = (typeof CASE_NAMES)[number]

type KeySpec = 'rsa2048' | 'rsa1024' | 'p256' | 'p384'

/** A private key and a request for it; `openssl ca -subj` gives each certificate its own name. */
interface KeyFiles {
  keyFile: string
  csrFile: string
}

interface IssueOptions {
  /** Subject CN; O=runbook-kit corpus follows. */
  cn: string
  key: KeyFiles
  /** Undefined: self-signed. */
  issuer?: PkiCert
  /** Validity relative to `now`, in ms. */
  from: number
  to: number
  ext: string[]
  md?: 'sha256' | 'sha384' | 'sha1'
}

const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid:always']
const LEAF_EXT = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid:always']
const SAN = 'subjectAltName=DNS:localhost,IP:127.0.0.1'
const ORG = 'runbook-kit corpus'
/** Concurrent openssl processes: the work is mostly process start-up, not CPU. */
const PARALLEL = 4

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z')
}

/** `openssl ca` keeps a database; each certificate gets its own, so issuing can run in parallel. */
function caConfig(name: string): string {
  return [
    '[ ca ]',
    'default_ca = corpus',
    '[ corpus ]',
    `database = ${name}.index`,
    'new_certs_dir = issued',
    `serial = ${name}.serial`,
    'default_md = sha256',
    'policy = anything',
    'unique_subject = no',
    'copy_extensions = none',
    'preserve = yes',
    '[ anything ]',
    'commonName = optional',
    'organizationName = optional',
    '[ req ]',
    'distinguished_name = dn',
    '[ dn ]',
    '',
  ].join('\n')
}

async function inParallel<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker))
  return out
}

/**
 * Builds every case with `openssl req` / `openssl ca` (which, unlike `x509 -req` in OpenSSL 3.0,
 * can backdate and postdate validity) in a temp directory.
 */
export async function opensslCorpus(nowMs = Date.now()): Promise<OpensslCorpus> {
  const dir = mkdtempSync(join(tmpdir(), 'rbk-tls-corpus-'))
  const now = new Date(Math.floor(nowMs / 1000) * 1000)
  const t = now.getTime()
  mkdirSync(join(dir, 'issued'))
  writeFileSync(join(dir, 'req.cnf'), caConfig('req'))
  const run = (args: string[]) => execFileAsync('openssl', args, { cwd: dir })
  const read = (f: string) => readFileSync(f.startsWith('/') ? f : join(dir, f), 'utf8')

  // Keys first, all at once. CAs have keys of their own (two CAs sharing a key issue each other's
  // certificates); the leaves share a few.
  const keySpecs = {
    root: 'rsa2048',
    intermediate: 'p384',
    ecIntermediate: 'p256',
    issuing: 'p256',
    stranger: 'p256',
    strangerInt: 'p256',
    notCa: 'p256',
    noCertSign: 'p256',
    pathLen0: 'p256',
    underPathLen0: 'p256',
    clientOnlyInt: 'p256',
    expiredInt: 'p256',
    soonInt: 'p256',
    weakInt: 'rsa1024',
    sha1Int: 'p256',
    oldRoot: 'p256',
    newRoot: 'p256',
    r3: 'p256',
    constrained: 'p256',
    leafRsa: 'rsa2048',
    leafRsa1024: 'rsa1024',
    leafP256: 'p256',
    leafP384: 'p384',
  } as const satisfies Record<string, KeySpec>
  const names = Object.keys(keySpecs) as (keyof typeof keySpecs)[]
  const keyList = await inParallel(names, async (name): Promise<KeyFiles> => {
    const spec: KeySpec = keySpecs[name]
    const keyFile = join(dir, `${name}.key`)
    const csrFile = join(dir, `${name}.csr`)
    const newKey = spec.startsWith('rsa') ? ['-newkey', `rsa:${spec.slice(3)}`] : ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${spec === 'p256' ? 'P-256' : 'P-384'}`]
    await run(['req', '-new', '-config', 'req.cnf', ...newKey, '-nodes', '-keyout', keyFile, '-out', csrFile, '-subj', '/CN=key'])
    return { keyFile, csrFile }
  })
  const key = Object.fromEntries(names.map((n, i) => [n, keyList[i]!])) as Record<keyof typeof keySpecs, KeyFiles>

  const issue = async (name: string, o: IssueOptions): Promise<PkiCert> => {
    writeFileSync(join(dir, `${name}.ext`), o.ext.join('\n') + '\n')
    writeFileSync(join(dir, `${name}.cnf`), caConfig(name))
    writeFileSync(join(dir, `${name}.index`), '')
    writeFileSync(join(dir, `${name}.serial`), '01\n')
    const signer = o.issuer ? ['-cert', o.issuer.certFile, '-keyfile', o.issuer.keyFile] : ['-selfsign', '-keyfile', o.key.keyFile]
    await run([
      'ca', '-batch', '-config', `${name}.cnf`, ...signer,
      '-in', o.key.csrFile, '-subj', `/CN=${o.cn}/O=${ORG}`, '-out', `${name}.pem`,
      '-startdate', stamp(t + o.from), '-enddate', stamp(t + o.to),
      '-extfile', `${name}.ext`, '-rand_serial', '-notext', '-md', o.md ?? 'sha256',
    ])
    return { certPem: read(`${name}.pem`), certFile: join(dir, `${name}.pem`), keyPem: read(o.key.keyFile), keyFile: o.key.keyFile, subject: `CN=${o.cn}, O=${ORG}` }
  }
  const ca = (name: string, cn: string, k: KeyFiles, issuer: PkiCert | undefined, extra: Partial<IssueOptions> = {}) =>
    issue(name, { cn, key: k, issuer, from: -365 * DAY, to: 3650 * DAY, ext: CA_EXT, ...extra })

  // CAs, level by level.
  const [root, stranger, oldRoot, newRoot] = await Promise.all([
    ca('root', 'Corpus Root CA', key.root, undefined),
    ca('stranger-root', 'Stranger Root CA', key.stranger, undefined),
    ca('old-root', 'Old Root CA X3', key.oldRoot, undefined, { from: -3000 * DAY, to: -30 * DAY }),
    ca('new-root', 'New Root X1', key.newRoot, undefined),
  ])
  const [intermediate, ecIntermediate, strangerInt, notCa, noCertSign, pathLen0, clientOnlyInt, expiredInt, soonInt, weakInt, sha1Int, newRootCross, r3, constrained] = await inParallel(
    [
      () => ca('intermediate', 'Corpus Intermediate CA', key.intermediate, root),
      () => ca('ec-intermediate', 'Corpus EC Intermediate CA', key.ecIntermediate, root),
      () => ca('stranger-int', 'Stranger Intermediate CA', key.strangerInt, stranger),
      () => ca('not-ca', 'Not A CA', key.notCa, root, { ext: ['basicConstraints=critical,CA:FALSE', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid:always'] }),
      () => ca('no-certsign', 'No CertSign CA', key.noCertSign, root, { ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid:always'] }),
      () => ca('pathlen0', 'PathLen Zero CA', key.pathLen0, root, { ext: ['basicConstraints=critical,CA:TRUE,pathlen:0', ...CA_EXT.slice(1)] }),
      () => ca('client-only-int', 'Client Only CA', key.clientOnlyInt, root, { ext: [...CA_EXT, 'extendedKeyUsage=clientAuth'] }),
      () => ca('expired-int', 'Corpus Expired Intermediate CA', key.expiredInt, root, { from: -400 * DAY, to: -10 * DAY - HOUR }),
      () => ca('soon-int', 'Corpus Expiring Intermediate CA', key.soonInt, root, { to: 20 * DAY + HOUR }),
      () => ca('rsa1024-int', 'Corpus RSA-1024 Intermediate CA', key.weakInt, root),
      () => ca('sha1-int', 'Corpus SHA-1 Intermediate CA', key.sha1Int, root, { md: 'sha1' }),
      // The Let's Encrypt long chain (2021-2024): the new root is trusted, the server still sends
      // the same root cross-signed by an old root, and that cross-sign has expired.
      () => ca('new-root-cross', 'New Root X1', key.newRoot, oldRoot, { from: -1000 * DAY, to: -10 * DAY }),
      () => ca('r3', 'R3', key.r3, newRoot),
      () => ca('constrained', 'Constrained CA', key.constrained, root, { ext: [...CA_EXT, 'nameConstraints=critical,permitted;DNS:example.com'] }),
    ],
    (f) => f(),
  )
  const [issuing, underPathLen0] = await Promise.all([
    ca('issuing', 'Corpus Issuing CA 2', key.issuing, intermediate!),
    ca('under-pathlen0', 'Below PathLen Zero CA', key.underPathLen0, pathLen0!),
  ])

  const leafOpts = (issuer: PkiCert, extra: Partial<IssueOptions>): IssueOptions => ({ cn: 'localhost', key: key.leafRsa, issuer, from: -HOUR, to: 89 * DAY + 12 * HOUR, ext: [...LEAF_EXT, SAN], ...extra })
  const noEku = LEAF_EXT.filter((e) => !e.startsWith('extendedKeyUsage'))
  // Name → [leaf issuer and options, sent after the leaf, CA file, host].
  const plan: Record<CaseName, [PkiCert | undefined, Partial<IssueOptions>, PkiCert[], 'new-root'?, string?]> = {
    'rsa-valid': [intermediate, {}, [intermediate!]],
    'ec256-valid': [ecIntermediate, { key: key.leafP256 }, [ecIntermediate!]],
    'ec384-valid': [ecIntermediate, { key: key.leafP384, md: 'sha384' }, [ecIntermediate!]],
    'two-intermediates': [issuing, {}, [issuing, intermediate!]],
    'unordered-intermediates': [issuing, {}, [intermediate!, issuing]],
    'root-sent-too': [intermediate, {}, [intermediate!, root]],
    'missing-intermediate': [intermediate, {}, []],
    'expired-leaf': [intermediate, { from: -90 * DAY, to: -DAY - 12 * HOUR }, [intermediate!]],
    'not-yet-valid': [intermediate, { from: 5 * DAY + HOUR, to: 95 * DAY }, [intermediate!]],
    'expires-soon': [intermediate, { to: 3 * DAY + HOUR }, [intermediate!]],
    'wrong-host': [intermediate, { ext: [...LEAF_EXT, 'subjectAltName=DNS:www.example.com'] }, [intermediate!]],
    wildcard: [intermediate, { cn: 'wildcard', ext: [...LEAF_EXT, 'subjectAltName=DNS:*.example.test'] }, [intermediate!], undefined, 'api.example.test'],
    'self-signed': [undefined, { to: 60 * DAY, ext: ['basicConstraints=critical,CA:FALSE', SAN] }, []],
    'untrusted-root': [strangerInt, {}, [strangerInt!]],
    'ca-false-issuer': [notCa, {}, [notCa!]],
    'no-keycertsign-issuer': [noCertSign, {}, [noCertSign!]],
    'pathlen-exceeded': [underPathLen0, {}, [underPathLen0, pathLen0!]],
    'eku-client-only': [intermediate, { ext: [...noEku, 'extendedKeyUsage=clientAuth', SAN] }, [intermediate!]],
    'intermediate-eku-client-only': [clientOnlyInt, {}, [clientOnlyInt!]],
    'unhandled-critical-extension': [intermediate, { ext: [...LEAF_EXT, SAN, '1.3.6.1.4.1.55555.1=critical,ASN1:UTF8String:must understand'] }, [intermediate!]],
    'bad-signature': [intermediate, {}, [intermediate!]],
    'expired-intermediate': [expiredInt, {}, [expiredInt!]],
    'intermediate-expires-within-warn': [soonInt, {}, [soonInt!]],
    'expired-cross-sign-unused': [r3, { key: key.leafP256 }, [r3!, newRootCross!], 'new-root'],
    'rsa1024-intermediate': [weakInt, {}, [weakInt!]],
    'rsa1024-leaf': [intermediate, { key: key.leafRsa1024 }, [intermediate!]],
    'sha1-intermediate': [sha1Int, {}, [sha1Int!]],
    'sha1-leaf': [intermediate, { md: 'sha1' }, [intermediate!]],
    'no-san': [intermediate, { ext: LEAF_EXT }, [intermediate!]],
    // The CA may only issue for example.com; the leaf is for localhost.
    'name-constraints-violated': [constrained, {}, [constrained!]],
  }
  const leaves = await inParallel(CASE_NAMES, async (name) => {
    const [issuer, extra] = plan[name]
    const opts = leafOpts(issuer!, extra)
    if (!issuer) delete opts.issuer
    return issue(`leaf-${name}`, opts)
  })

  // A leaf whose signature no longer verifies: one bit of the signature value flipped.
  const broken = leaves[CASE_NAMES.indexOf('bad-signature')]!
  const der = Buffer.from(broken.certPem.replace(/-----[^-]+-----|\s+/g, ''), 'base64')
  der.writeUInt8(der.at(-1)! ^ 0x01, der.length - 1) // the last byte belongs to the signature value
  broken.certPem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`
  writeFileSync(broken.certFile, broken.certPem)

  const rootFile = join(dir, 'root.pem')
  writeFileSync(rootFile, root.certPem)
  const rootAndIntermediateFile = join(dir, 'root-and-intermediate.pem')
  writeFileSync(rootAndIntermediateFile, root.certPem + intermediate!.certPem)
  const newRootFile = join(dir, 'new-root.pem')
  writeFileSync(newRootFile, newRoot.certPem)

  const cases = Object.fromEntries(
    CASE_NAMES.map((name, i) => {
      const [, , sent, store, host = 'localhost'] = plan[name]
      const leaf = leaves[i]!
      const chainPem = leaf.certPem + sent.map((c) => c.certPem).join('')
      const chainFile = join(dir, `case-${name}.chain.pem`)
      writeFileSync(chainFile, chainPem)
      const c: CorpusCase = { name, leaf, sent, chainPem, chainFile, caFile: store === 'new-root' ? newRootFile : rootFile, host }
      if (sent.length > 0) {
        c.untrustedFile = join(dir, `case-${name}.untrusted.pem`)
        writeFileSync(c.untrustedFile, sent.map((x) => x.certPem).join(''))
      }
      return [name, c]
    }),
  ) as Record<CaseName, CorpusCase>
  return { dir, now, rootFile, root, intermediate: intermediate!, rootAndIntermediateFile, cases, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** What `openssl verify` said: its exit status and every error line it printed, in order. */
export interface OpensslVerdict {
  ok: boolean
  errors: { number: number; depth: number; text: string }[]
  output: string
}

/**
 * The reference verdict: `openssl verify -CAfile ca -untrusted sent -purpose sslserver
 * [-verify_hostname host] leaf` at the corpus time (-attime).
 */
export function opensslVerify(c: CorpusCase, opts: { now: Date; hostname?: string }): OpensslVerdict {
  const args = ['verify', '-attime', String(Math.floor(opts.now.getTime() / 1000)), '-CAfile', c.caFile, '-purpose', 'sslserver']
  if (c.untrustedFile) args.push('-untrusted', c.untrustedFile)
  if (opts.hostname) args.push('-verify_hostname', opts.hostname)
  args.push(c.leaf.certFile)
  let output: string
  let ok: boolean
  try {
    output = execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    ok = true
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string }
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`
    ok = false
  }
  const errors = [...output.matchAll(/^error (\d+) at (\d+) depth lookup: (.*)$/gm)].map((m) => ({ number: Number(m[1]), depth: Number(m[2]), text: m[3]! }))
  return { ok: ok && /: OK$/m.test(output), errors, output }
}
