import { X509Certificate } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect as tlsConnect, type SecureVersion, type TlsOptions } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tlsCertificate, type TlsCertificateOptions, type TlsFindingCode } from '../../checks/tls.ts'
import { parseCertificate, pemBundleToDer } from '../../checks/tls-cert-info.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { hasOpenssl, opensslCorpus, type CaseName, type CorpusCase, type OpensslCorpus } from '../helpers/cert-corpus.ts'
import { closedPort, startOpensslServer, startPlainServer, startSilentServer, startTlsServer, type LoopbackServer } from '../helpers/tls-servers.ts'

const DAY = 86_400_000
const HOUR = 3_600_000
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
const OPENSSL = hasOpenssl()
const ORG = 'O=runbook-kit corpus'
const ROOT = `CN=Corpus Root CA, ${ORG}`
const INTERMEDIATE = `CN=Corpus Intermediate CA, ${ORG}`
const LEAF = `CN=localhost, ${ORG}`

let corpus: OpensslCorpus

beforeAll(async () => {
  // The corpus is made with the openssl CLI, independently of the code under test.
  if (OPENSSL) corpus = await opensslCorpus()
})

afterAll(() => {
  corpus?.cleanup()
})

const t = () => corpus.now.getTime()
const expires = () => iso(t() + 89 * DAY + 12 * HOUR).slice(0, 10)

async function withServer<T>(start: Promise<LoopbackServer>, fn: (port: number) => Promise<T>): Promise<T> {
  const server = await start
  try {
    return await fn(server.port)
  } finally {
    await server.close()
  }
}

function serve(c: { chainPem: string; leaf: { keyPem: string } }, extra: TlsOptions = {}): Promise<LoopbackServer> {
  // Security level 0 so the server may present weak keys and SHA-1 at all (OpenSSL 3 refuses them by default).
  return startTlsServer({ cert: c.chainPem, key: c.leaf.keyPem, ciphers: 'DEFAULT@SECLEVEL=0', ...extra })
}

function live(name: CaseName, extra: Partial<TlsCertificateOptions> = {}) {
  const c = corpus.cases[name]
  return withServer(serve(c), (port) => tlsCertificate({ host: '127.0.0.1', port, servername: c.host, ca: c.caFile, now: corpus.now, ...extra }))
}

function offline(name: CaseName, extra: Partial<TlsCertificateOptions> = {}) {
  const c = corpus.cases[name]
  return tlsCertificate({ pemFile: c.chainFile, ca: c.caFile, servername: c.host, now: corpus.now, ...extra })
}

describe.skipIf(!OPENSSL)('tlsCertificate: each class the issue names, live and from a PEM file', () => {
  /** Words that depend on where the certificates came from. */
  type Said = { sent: string; also: string }
  it.each<[string, CaseName, Partial<TlsCertificateOptions>, 'pass' | 'fail', TlsFindingCode[], (w: Said) => string]>([
    ['valid RSA chain', 'rsa-valid', {}, 'pass', [], () => `certificate for localhost valid for 89 more days (expires ${expires()})`],
    ['valid EC P-384 leaf', 'ec384-valid', {}, 'pass', [], () => `certificate for localhost valid for 89 more days (expires ${expires()})`],
    // An issuer that is not a CA: OpenSSL says "invalid CA certificate".
    ['issuer with basicConstraints CA:FALSE', 'ca-false-issuer', {}, 'fail', ['invalid-ca'], () => `intermediate certificate CN=Not A CA, ${ORG} is not a valid CA certificate (basicConstraints does not say CA:TRUE), yet it issued ${LEAF}`],
    [
      'issuer whose keyUsage lacks keyCertSign',
      'no-keycertsign-issuer',
      {},
      'fail',
      ['invalid-ca'],
      () => `intermediate certificate CN=No CertSign CA, ${ORG} is not a valid CA certificate (its keyUsage (digitalSignature) does not include keyCertSign), yet it issued ${LEAF}`,
    ],
    // OpenSSL (-purpose sslserver) says "unsuitable certificate purpose".
    ['leaf whose extendedKeyUsage lacks serverAuth', 'eku-client-only', {}, 'fail', ['wrong-purpose'], () => 'certificate is not for TLS servers: its extendedKeyUsage is clientAuth, without serverAuth'],
    ['intermediates sent in a non-standard order pass, with a warning', 'unordered-intermediates', {}, 'pass', ['chain-order'], () => `certificate for localhost valid for 89 more days (expires ${expires()}); warning: intermediates sent out of order`],
    [
      'an expired cross-signed certificate sent but not on the path only warns',
      'expired-cross-sign-unused',
      {},
      'pass',
      ['unused-cert-expired'],
      (w) => `certificate for localhost valid for 89 more days (expires ${expires()}); warning: ${w.also} expired CN=New Root X1, ${ORG} (not on the verified path)`,
    ],
    [
      'an intermediate that expires within warnDays warns',
      'intermediate-expires-within-warn',
      {},
      'pass',
      ['chain-expires-warning'],
      () => `certificate for localhost valid for 89 more days (expires ${expires()}); warning: intermediate certificate CN=Corpus Expiring Intermediate CA, ${ORG} expires in 20 days`,
    ],
    ['a 1024-bit RSA intermediate fails', 'rsa1024-intermediate', {}, 'fail', ['weak-key'], () => `intermediate certificate CN=Corpus RSA-1024 Intermediate CA, ${ORG} key is RSA 1024 bits, below the minimum of 2048`],
    ['a SHA-1 signed intermediate fails', 'sha1-intermediate', {}, 'fail', ['weak-signature'], () => `intermediate certificate CN=Corpus SHA-1 Intermediate CA, ${ORG} is signed with sha1WithRSAEncryption (SHA-1 signatures are forgeable)`],
    [
      'a server that does not send its intermediate: incomplete chain, naming the missing issuer',
      'missing-intermediate',
      {},
      'fail',
      ['incomplete-chain'],
      (w) => `chain is incomplete: ${w.sent} no certificate for the issuer ${INTERMEDIATE}, and the CA bundle ${corpus.rootFile} does not have it`,
    ],
    ['a CN and no subjectAltName warns', 'no-san', {}, 'pass', ['no-san'], () => `certificate for localhost valid for 89 more days (expires ${expires()}); warning: no subjectAltName (browsers reject CN-only certificates)`],
    ['a CN and no subjectAltName fails with requireSan', 'no-san', { requireSan: true }, 'fail', ['no-san'], () => 'certificate has no subjectAltName: browsers ignore its subject CN (localhost) and reject it'],
    // One rounding rule: expired 1.5 days ago is "1 day ago" and daysLeft -1.
    ['expired leaf', 'expired-leaf', {}, 'fail', ['expired'], () => `certificate expired 1 day ago (notAfter ${iso(t() - DAY - 12 * HOUR)})`],
    ['not yet valid', 'not-yet-valid', {}, 'fail', ['not-yet-valid'], () => `certificate is not valid until ${iso(t() + 5 * DAY + HOUR)} (5 days from now)`],
    ['expires within minDays', 'expires-soon', {}, 'fail', ['expires-soon'], () => `certificate expires in 3 days (notAfter ${iso(t() + 3 * DAY + HOUR)}), under the 7-day minimum`],
    ['wrong host', 'wrong-host', {}, 'fail', ['hostname-mismatch'], () => 'hostname localhost not in certificate SANs [www.example.com]'],
    ['wildcard match', 'wildcard', {}, 'pass', [], () => `certificate for api.example.test valid for 89 more days (expires ${expires()})`],
    ['wildcard does not cover two labels', 'wildcard', { servername: 'a.b.example.test' }, 'fail', ['hostname-mismatch'], () => 'hostname a.b.example.test not in certificate SANs [*.example.test]'],
    ['untrusted root', 'untrusted-root', {}, 'fail', ['untrusted'], () => `certificate chain does not verify against the CA bundle ${corpus.rootFile}: issuer CN=Stranger Root CA, ${ORG} is not trusted`],
    ['expired intermediate', 'expired-intermediate', {}, 'fail', ['intermediate-expired'], () => `intermediate certificate CN=Corpus Expired Intermediate CA, ${ORG} expired 10 days ago (notAfter ${iso(t() - 10 * DAY - HOUR)})`],
    ['RSA-1024 leaf', 'rsa1024-leaf', {}, 'fail', ['weak-key'], () => 'certificate key is RSA 1024 bits, below the minimum of 2048'],
    ['self-signed', 'self-signed', {}, 'fail', ['self-signed'], () => `certificate is self-signed (${LEAF})`],
    ['self-signed, allowed', 'self-signed', { allowSelfSigned: true }, 'pass', [], () => `certificate for localhost valid for 60 more days (expires ${iso(t() + 60 * DAY).slice(0, 10)})`],
  ])('%s', async (_name, name, extra, status, codes, message) => {
    const server = await live(name, extra)
    const file = await offline(name, extra)
    for (const [result, said] of [
      [server, { sent: 'the server sent', also: 'the server also sends' }],
      [file, { sent: 'the file holds', also: 'the file also holds' }],
    ] as const) {
      expect(result.evidence.findings, result.evidence.verifiedBy).toEqual(codes)
      expect(result.message).toBe(message(said))
      expect(result.status).toBe(status)
    }
  })

  it('records the full evidence of a valid chain: the trust verdict is OpenSSL\u2019s, from the handshake', async () => {
    const result = await live('rsa-valid')
    const leaf = new X509Certificate(corpus.cases['rsa-valid'].leaf.certPem)
    expect(result).toMatchObject({ id: 'tls.127.0.0.1', status: 'pass', kind: 'tls' })
    expect(result.evidence).toMatchObject({
      hostname: 'localhost',
      subject: LEAF,
      issuer: INTERMEDIATE,
      sans: ['localhost', '127.0.0.1'],
      serial: leaf.serialNumber.toLowerCase(),
      notBefore: iso(t() - HOUR),
      notAfter: iso(t() + 89 * DAY + 12 * HOUR),
      daysLeft: 89,
      chainDaysLeft: 3650,
      fingerprintSha256: leaf.fingerprint256,
      keyType: 'rsa',
      keyBits: 2048,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      protocol: 'TLSv1.3',
      trusted: true,
      verifiedBy: 'openssl-handshake',
      trustAnchor: ROOT,
      findings: [],
      chain: [
        { subject: LEAF, issuer: INTERMEDIATE, daysLeft: 89, key: 'RSA 2048', onPath: true },
        { subject: INTERMEDIATE, issuer: ROOT, key: 'EC 384 (secp384r1)', onPath: true },
      ],
      path: [
        { subject: LEAF, source: 'sent' },
        { subject: INTERMEDIATE, source: 'sent' },
        { subject: ROOT, source: 'trust store', key: 'RSA 2048' },
      ],
    })
    expect(result.evidence.cipher).toMatch(/^TLS_/)
    expect(result.evidence.verifyError).toBeUndefined()
  })

  it('leaf and chain expiry are separate figures', async () => {
    const result = await live('intermediate-expires-within-warn')
    expect(result.evidence).toMatchObject({ daysLeft: 89, chainDaysLeft: 20, chainNotAfter: iso(t() + 20 * DAY + HOUR) })
    expect(result.warnings).toEqual([`intermediate certificate CN=Corpus Expiring Intermediate CA, ${ORG} expires in 20 days (notAfter ${iso(t() + 20 * DAY + HOUR)}), under the 30-day warning threshold`])
  })

  it('expired: daysLeft and the message use the same number', async () => {
    const result = await offline('expired-leaf')
    expect(result.evidence.daysLeft).toBe(-1)
    expect(result.message).toMatch(/^certificate expired 1 day ago/)
  })

  it('live: the chain is what the server sent, in its order, even when Node\u2019s issuer walk would drop one', async () => {
    const result = await live('unordered-intermediates')
    expect(result.evidence.trusted).toBe(true)
    expect(result.evidence.chain.map((c) => c.subject)).toEqual([LEAF, INTERMEDIATE, `CN=Corpus Issuing CA 2, ${ORG}`])
    expect(result.evidence.path!.map((c) => c.subject)).toEqual([LEAF, `CN=Corpus Issuing CA 2, ${ORG}`, INTERMEDIATE, ROOT])
    expect(result.warnings![0]).toMatch(/^intermediate certificates are sent out of order .*TLS 1\.2 requires each certificate to be followed by its issuer/)
  })

  it('the Let\u2019s Encrypt long chain: the path uses the trusted root, the expired cross-sign stays a warning', async () => {
    const result = await live('expired-cross-sign-unused')
    expect(result.status).toBe('pass')
    expect(result.evidence.path!.map((c) => [c.subject, c.source])).toEqual([
      [LEAF, 'sent'],
      [`CN=R3, ${ORG}`, 'sent'],
      [`CN=New Root X1, ${ORG}`, 'trust store'],
    ])
    expect(result.evidence.chain.map((c) => c.onPath)).toEqual([true, true, false])
    expect(result.warnings).toEqual([
      `the server also sends CN=New Root X1, ${ORG}, expired 10 days ago (notAfter ${iso(t() - 10 * DAY)}); the verified path does not use it, so OpenSSL and curl accept the chain, but clients that build their path through it fail`,
    ])
  })

  it('missing intermediate that the CA bundle has: verifies for OpenSSL, still an incomplete chain for clients without it', async () => {
    const c = corpus.cases['missing-intermediate']
    const result = await withServer(serve(c), (port) => tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: corpus.rootAndIntermediateFile, now: corpus.now }))
    expect(result.evidence).toMatchObject({ trusted: true, findings: ['incomplete-chain'] })
    expect(result.message).toBe(`server did not send the intermediate certificate (chain verifies only with it added from the CA bundle ${corpus.rootAndIntermediateFile}): missing ${INTERMEDIATE}`)
  })

  it('a server that sends an intermediate also in the CA bundle is complete', async () => {
    const c = corpus.cases['rsa-valid']
    const result = await withServer(serve(c), (port) => tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: corpus.rootAndIntermediateFile, now: corpus.now }))
    expect(result.evidence.findings).toEqual([])
    expect(result.evidence.path!.map((p) => p.source)).toEqual(['sent', 'trust store', 'trust store'])
  })

  it('the system roots do not know the corpus root', async () => {
    const c = corpus.cases['rsa-valid']
    const result = await withServer(serve(c), (port) => tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', now: corpus.now }))
    expect(result.evidence).toMatchObject({ trusted: false, verifyError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', trustStore: 'system roots', findings: ['untrusted'] })
    expect(result.message).toBe(`certificate chain does not verify against the system roots: issuer ${ROOT} is not trusted`)
  })

  it('accepts the CA bundle as PEM text instead of a file', async () => {
    const c = corpus.cases['rsa-valid']
    const result = await withServer(serve(c), (port) => tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: corpus.root.certPem, now: corpus.now }))
    expect(result.status).toBe('pass')
    expect(result.evidence.trustStore).toBe('CA bundle')
  })

  it('an IP address host checks IP SANs and sends no SNI', async () => {
    const c = corpus.cases['rsa-valid']
    const result = await withServer(serve(c), (port) => tlsCertificate({ host: '127.0.0.1', port, ca: c.caFile, now: corpus.now }))
    expect(result.message).toBe(`certificate for 127.0.0.1 valid for 89 more days (expires ${expires()})`)
  })

  it('a warnDays hit marks the message and the warnings but passes', async () => {
    const result = await live('rsa-valid', { warnDays: 100 })
    expect(result.status).toBe('pass')
    expect(result.evidence.findings).toEqual(['expires-warning'])
    expect(result.message).toBe(`certificate for localhost valid for 89 more days (expires ${expires()}); warning: under the 100-day warning threshold`)
    expect(result.warnings).toEqual([`certificate expires in 89 days (notAfter ${iso(t() + 89 * DAY + 12 * HOUR)}), under the 100-day warning threshold`])
  })
})

describe.skipIf(!OPENSSL)('certificates are read with node:crypto, not node-forge', () => {
  it('an EC P-384 leaf under an EC P-256 CA: key, curve and signature come out right', () => {
    const [leaf, issuer] = pemBundleToDer(corpus.cases['ec384-valid'].chainPem).map(parseCertificate)
    expect(leaf).toMatchObject({ keyType: 'ec', keyBits: 384, curve: 'secp384r1', signatureAlgorithm: 'ecdsa-with-SHA384', signatureHash: 'sha384', extKeyUsage: ['serverAuth'], keyUsage: ['digitalSignature', 'keyEncipherment'] })
    expect(issuer).toMatchObject({ keyType: 'ec', keyBits: 256, curve: 'prime256v1', isCa: true, keyUsage: ['keyCertSign', 'cRLSign'] })
  })

  it('pathLen, missing extensions and unhandled critical extensions are read', () => {
    const pathLen0 = parseCertificate(pemBundleToDer(corpus.cases['pathlen-exceeded'].sent[1]!.certPem)[0]!)
    expect(pathLen0).toMatchObject({ isCa: true, pathLen: 0 })
    const noSan = parseCertificate(pemBundleToDer(corpus.cases['no-san'].leaf.certPem)[0]!)
    expect(noSan).toMatchObject({ dnsNames: [], ipAddresses: [], commonName: 'localhost' })
    const critical = parseCertificate(pemBundleToDer(corpus.cases['unhandled-critical-extension'].leaf.certPem)[0]!)
    expect(critical.unhandledCriticalExtensions).toEqual(['1.3.6.1.4.1.55555.1'])
  })

  it('no TLS check module imports node-forge', () => {
    const dir = join(import.meta.dirname, '../../checks')
    for (const file of readdirSync(dir).filter((f) => f.startsWith('tls'))) {
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/node-forge/)
    }
  })
})

describe.skipIf(!OPENSSL)('tlsCertificate against `openssl s_server` (another TLS stack)', () => {
  it('reads an ECDSA chain sent by s_server -cert_chain, in the order sent', async () => {
    const c: CorpusCase = corpus.cases['unordered-intermediates']
    const chainFile = join(corpus.dir, 's-server-chain.pem')
    writeFileSync(chainFile, c.sent.map((x) => x.certPem).join(''))
    const result = await withServer(startOpensslServer(c.leaf.certFile, c.leaf.keyFile, ['-cert_chain', chainFile]), (port) =>
      tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: c.caFile, now: corpus.now }),
    )
    expect(result.evidence.chain.map((x) => x.subject)).toEqual([LEAF, ...c.sent.map((x) => x.subject)])
    expect(result.evidence.findings).toEqual(['chain-order'])
    expect(result.status).toBe('pass')
  })

  it('tells the missing intermediate apart when s_server sends the leaf alone', async () => {
    const c = corpus.cases['ec256-valid']
    const result = await withServer(startOpensslServer(c.leaf.certFile, c.leaf.keyFile), (port) => tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: c.caFile, now: corpus.now }))
    expect(result.evidence.findings).toEqual(['incomplete-chain'])
    expect(result.evidence).toMatchObject({ keyType: 'ec', keyBits: 256, verifyError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
    expect(result.evidence.chain).toHaveLength(1)
  })
})

/** Whether this Node/OpenSSL can still complete a handshake at `version` (OpenSSL builds may drop TLS 1.0/1.1). */
async function canHandshakeAt(version: SecureVersion): Promise<boolean> {
  return withServer(serve(corpus.cases['rsa-valid'], { minVersion: version, maxVersion: version }), (port) =>
    new Promise<boolean>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' })
      s.once('secureConnect', () => (s.destroy(), resolve(true)))
      s.once('error', () => resolve(false))
    }),
  )
}

describe('protocol and connection failures', () => {
  it.for<SecureVersion>(['TLSv1', 'TLSv1.1'])('a %s-only server is observed and judged old', async (version, ctx) => {
    if (!OPENSSL) return ctx.skip('openssl CLI not installed (corpus)')
    // Some OpenSSL builds cannot speak TLS 1.0/1.1 at all; then there is nothing to observe.
    if (!(await canHandshakeAt(version))) return ctx.skip(`local OpenSSL cannot complete a ${version} handshake`)
    const c = corpus.cases['rsa-valid']
    const result = await withServer(serve(c, { minVersion: version, maxVersion: version }), (port) =>
      tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: c.caFile, now: corpus.now }),
    )
    expect(result.evidence.protocol).toBe(version)
    expect(result.evidence.findings).toEqual(['old-protocol'])
    expect(result.message).toBe(`server negotiated ${version}, below the minimum TLSv1.2`)
  })

  it('a plain TCP (HTTP) server is not TLS', async () => {
    const result = await withServer(startPlainServer(), async (port) => ({ port, r: await tlsCertificate({ host: '127.0.0.1', port }) }))
    expect(result.r.status).toBe('fail')
    expect(result.r.evidence.findings).toEqual(['not-tls'])
    expect(result.r.message).toBe(`127.0.0.1:${result.port} does not speak TLS (wrong version number): is it a plain TCP or HTTP port?`)
  })

  it('a server that never answers the ClientHello times out in the handshake phase', async () => {
    const result = await withServer(startSilentServer(), (port) => tlsCertificate({ host: '127.0.0.1', port, handshakeTimeout: 300 }))
    expect(result.status).toBe('fail')
    expect(result.message).toBe('TLS handshake timed out after 300 ms')
    expect(result.evidence.findings).toEqual(['timeout'])
    expect(result.evidence.error).toEqual({ code: 'RBK_TIMEOUT', phase: 'handshake', timeoutMs: 300 })
    expect(result.durationMs).toBeGreaterThanOrEqual(290)
    expect(result.durationMs).toBeLessThan(2000)
  })

  it('the caller\u2019s signal stops a hanging handshake at once', async () => {
    const result = await withServer(startSilentServer(), (port) => tlsCertificate({ host: '127.0.0.1', port, handshakeTimeout: 10_000, signal: AbortSignal.timeout(150) }))
    expect(result.status).toBe('fail')
    expect(result.evidence.error).toMatchObject({ code: 'ABORT_ERR', phase: 'handshake' })
    expect(result.durationMs).toBeLessThan(2000)
  })

  it('a closed port fails in the connect phase', async () => {
    const port = await closedPort()
    const result = await tlsCertificate({ host: '127.0.0.1', port })
    expect(result.status).toBe('fail')
    expect(result.evidence.findings).toEqual(['connect-failed'])
    expect(result.message).toBe(`cannot connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`)
  })
})

describe.skipIf(!OPENSSL)('offline pemFile mode', () => {
  it('judges a PEM bundle (leaf first) without connecting', async () => {
    const file = corpus.cases['rsa-valid'].chainFile
    const result = await tlsCertificate({ pemFile: file, ca: corpus.rootFile, servername: 'localhost', now: corpus.now })
    expect(result.status).toBe('pass')
    expect(result.id).toBe('tls.case-rsa-valid.chain.pem')
    expect(result.evidence.target).toBe(file)
    expect(result.evidence.protocol).toBeUndefined()
    expect(result.evidence).toMatchObject({ verifiedBy: 'offline-validator', trusted: true, trustAnchor: ROOT })
    expect(result.evidence.chain).toHaveLength(2)
    expect(result.message).toBe(`certificate for localhost valid for 89 more days (expires ${expires()})`)
  })

  it('reports an expired certificate in a file, naming it by CN when no host is given', async () => {
    const result = await tlsCertificate({ pemFile: corpus.cases['expired-leaf'].chainFile, ca: corpus.rootFile, now: corpus.now })
    expect(result.evidence.findings).toEqual(['expired'])
    expect(result.evidence.hostname).toBeUndefined()
  })

  it('an unparseable certificate is an error (could not check), naming it', async () => {
    const file = join(corpus.dir, 'garbage.pem')
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    const result = await tlsCertificate({ pemFile: file, ca: corpus.rootFile })
    expect(result.status).toBe('error')
    expect(result.message).toMatch(/^cannot parse certificate 1 of .*garbage\.pem: /)
  })

  it('a missing file is an error (could not check), not a failure', async () => {
    const result = await tlsCertificate({ pemFile: join(corpus.dir, 'nope.crt') })
    expect(result.status).toBe('error')
    expect(result.message).toMatch(/^cannot read PEM file .*nope\.crt: ENOENT/)
  })
})

describe('bad arguments throw InvalidArgumentError', () => {
  it.each<[string, TlsCertificateOptions]>([
    ['neither host nor pemFile', {}],
    ['port 0', { host: 'localhost', port: 0 }],
    ['port 70000', { host: 'localhost', port: 70000 }],
    ['negative minDays', { host: 'localhost', minDays: -1 }],
    ['unknown protocol', { host: 'localhost', minProtocol: 'TLSv9' as never }],
    ['zero handshake timeout', { host: 'localhost', handshakeTimeout: 0 }],
    ['IP servername', { host: 'localhost', servername: '10.0.0.1' }],
    ['invalid now', { host: 'localhost', now: new Date('nope') }],
    ['requireSan not a boolean', { host: 'localhost', requireSan: 'yes' as never }],
  ])('%s', async (_name, opts) => {
    await expect(tlsCertificate(opts)).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
