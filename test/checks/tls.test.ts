import { X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect, type SecureVersion, type TlsOptions } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tlsCertificate, type TlsCertificateOptions, type TlsFindingCode } from '../../checks/tls.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { forgeCorpus, hasOpenssl, opensslCorpus, type ForgeCorpus, type OpensslCorpus, type ServedCert } from '../helpers/cert-corpus.ts'
import { closedPort, startOpensslServer, startPlainServer, startSilentServer, startTlsServer, type LoopbackServer } from '../helpers/tls-servers.ts'

const DAY = 86_400_000
const HOUR = 3_600_000
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
const OPENSSL = hasOpenssl()
const ROOT = 'CN=Corpus Root CA, O=runbook-kit sandbox'
const INTERMEDIATE = 'CN=Corpus Intermediate CA, O=runbook-kit sandbox'

let corpus: ForgeCorpus
let ossl: OpensslCorpus | undefined
let dir: string
let rootFile: string
let bundleFile: string

beforeAll(async () => {
  corpus = await forgeCorpus()
  // The openssl half is generated independently of forge; absent openssl skips only its tests.
  if (OPENSSL) ossl = opensslCorpus()
  dir = mkdtempSync(join(tmpdir(), 'rbk-tls-test-'))
  rootFile = join(dir, 'root.pem')
  bundleFile = join(dir, 'root-and-intermediate.pem')
  writeFileSync(rootFile, corpus.rootPem)
  writeFileSync(bundleFile, corpus.rootAndIntermediatePem)
})

afterAll(() => {
  ossl?.cleanup()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function withServer<T>(start: Promise<LoopbackServer>, fn: (port: number) => Promise<T>): Promise<T> {
  const server = await start
  try {
    return await fn(server.port)
  } finally {
    await server.close()
  }
}

function serve(cert: ServedCert, extra: TlsOptions = {}): Promise<LoopbackServer> {
  return startTlsServer({ cert: cert.chainPem, key: cert.keyPem, ...extra })
}

describe('tlsCertificate against node:tls servers (node-forge corpus)', () => {
  const t = () => corpus.now.getTime()
  it.each<[string, () => ServedCert, Partial<TlsCertificateOptions>, TlsFindingCode[], () => string]>([
    ['valid chain', () => corpus.valid, {}, [], () => `certificate for localhost valid for 89 more days (expires ${iso(t() + 89 * DAY + 12 * HOUR).slice(0, 10)})`],
    ['expired leaf', () => corpus.expired, {}, ['expired'], () => `certificate expired 3 days ago (notAfter ${iso(t() - 3 * DAY - HOUR)})`],
    ['not yet valid', () => corpus.notYetValid, {}, ['not-yet-valid'], () => `certificate is not valid until ${iso(t() + 5 * DAY + HOUR)} (5 days from now)`],
    ['expires within minDays', () => corpus.expiresSoon, {}, ['expires-soon'], () => `certificate expires in 3 days (notAfter ${iso(t() + 3 * DAY + HOUR)}), under the 7-day minimum`],
    ['wrong host', () => corpus.wrongHost, { servername: 'api.example.com' }, ['hostname-mismatch'], () => 'hostname api.example.com not in certificate SANs [www.example.com]'],
    ['wildcard match', () => corpus.wildcard, { servername: 'api.example.test' }, [], () => `certificate for api.example.test valid for 89 more days (expires ${iso(t() + 89 * DAY + 12 * HOUR).slice(0, 10)})`],
    ['wildcard does not cover two labels', () => corpus.wildcard, { servername: 'a.b.example.test' }, ['hostname-mismatch'], () => 'hostname a.b.example.test not in certificate SANs [*.example.test]'],
    ['wildcard does not cover the bare domain', () => corpus.wildcard, { servername: 'example.test' }, ['hostname-mismatch'], () => 'hostname example.test not in certificate SANs [*.example.test]'],
    ['untrusted CA', () => corpus.untrusted, {}, ['untrusted'], () => `certificate chain does not verify against the CA bundle ${rootFile}: issuer ${corpus.untrustedRootSubject} is not trusted`],
    ['missing intermediate, CA bundle has it', () => corpus.missingIntermediate, { ca: 'BUNDLE' }, ['incomplete-chain'], () => `server did not send the intermediate certificate (chain verifies only with it added from the CA bundle): missing ${INTERMEDIATE}`],
    ['missing intermediate, nobody has it', () => corpus.missingIntermediate, {}, ['untrusted'], () => `certificate chain does not verify against the CA bundle ${rootFile}: issuer ${INTERMEDIATE} is not trusted`],
    ['expired intermediate', () => corpus.expiredIntermediate, {}, ['intermediate-expired'], () => `intermediate certificate ${corpus.expiredIntermediateSubject} expired 10 days ago (notAfter ${iso(t() - 10 * DAY - HOUR)})`],
    ['RSA-1024 leaf', () => corpus.rsa1024, {}, ['weak-key'], () => 'certificate key is RSA 1024 bits, below the minimum of 2048'],
    ['SHA-1 signed leaf', () => corpus.sha1, {}, ['weak-signature'], () => 'certificate is signed with sha1WithRSAEncryption (SHA-1 signatures are forgeable)'],
    ['IP address host checks IP SANs, sends no SNI', () => corpus.valid, { servername: undefined }, [], () => `certificate for 127.0.0.1 valid for 89 more days (expires ${iso(t() + 89 * DAY + 12 * HOUR).slice(0, 10)})`],
    ['system roots do not know the corpus root', () => corpus.valid, { ca: undefined }, ['untrusted'], () => `certificate chain does not verify against the system roots: issuer ${ROOT} is not trusted`],
  ])('%s', async (_name, cert, extra, codes, message) => {
    // Weak keys and SHA-1 need security level 0 on the server side too (OpenSSL 3 refuses them by default).
    const result = await withServer(serve(cert(), { ciphers: 'DEFAULT@SECLEVEL=0' }), (port) => {
      const opts: TlsCertificateOptions = { host: '127.0.0.1', port, servername: 'localhost', ca: rootFile, now: corpus.now, ...extra }
      if (extra.ca === 'BUNDLE') opts.ca = bundleFile
      return tlsCertificate(opts)
    })
    expect(result.evidence.findings).toEqual(codes)
    expect(result.message).toBe(message())
    expect(result.status).toBe(codes.length === 0 ? 'pass' : 'fail')
  })

  it('records the full evidence of a valid chain', async () => {
    const result = await withServer(serve(corpus.valid), (port) => tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: rootFile, now: corpus.now }))
    const leaf = new X509Certificate(corpus.valid.leafPem)
    const t = corpus.now.getTime()
    expect(result).toMatchObject({ id: 'tls.127.0.0.1', title: `TLS certificate for 127.0.0.1:${result.evidence.target.split(':')[1]} is valid`, status: 'pass', kind: 'tls' })
    expect(result.evidence).toMatchObject({
      hostname: 'localhost',
      subject: 'CN=localhost, O=runbook-kit sandbox',
      issuer: INTERMEDIATE,
      sans: ['localhost', '127.0.0.1'],
      serial: leaf.serialNumber.toLowerCase(),
      notBefore: iso(t - HOUR),
      notAfter: iso(t + 89 * DAY + 12 * HOUR),
      daysLeft: 89,
      fingerprintSha256: leaf.fingerprint256,
      keyType: 'rsa',
      keyBits: 2048,
      signatureAlgorithm: 'sha256WithRSAEncryption',
      protocol: 'TLSv1.3',
      trusted: true,
      trustAnchor: ROOT,
      findings: [],
      chain: [
        { subject: 'CN=localhost, O=runbook-kit sandbox', issuer: INTERMEDIATE, daysLeft: 89 },
        { subject: INTERMEDIATE, issuer: ROOT },
      ],
    })
    expect(result.evidence.cipher).toMatch(/^TLS_/)
  })

  it('accepts the CA bundle as PEM text instead of a file', async () => {
    const result = await withServer(serve(corpus.valid), (port) => tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: corpus.rootPem, now: corpus.now }))
    expect(result.status).toBe('pass')
    expect(result.evidence.trustStore).toBe('CA bundle')
  })

  it('a warnDays hit marks the message and the warnings but passes', async () => {
    const result = await withServer(serve(corpus.valid), (port) =>
      tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: rootFile, now: corpus.now, warnDays: 100 }),
    )
    expect(result.status).toBe('pass')
    expect(result.evidence.findings).toEqual(['expires-warning'])
    expect(result.message).toMatch(/^certificate for localhost valid for 89 more days \(expires \d{4}-\d\d-\d\d\); warning: under the 100-day warning threshold$/)
    expect(result.warnings).toEqual([`certificate expires in 89 days (notAfter ${iso(corpus.now.getTime() + 89 * DAY + 12 * HOUR)}), under the 100-day warning threshold`])
  })

  it('a self-signed leaf made by `openssl req -x509` fails, and passes with allowSelfSigned', async (ctx) => {
    // Needs the openssl CLI to build this certificate independently of node-forge.
    if (!ossl) return ctx.skip('openssl CLI not installed')
    const cert = ossl.selfSigned
    await withServer(serve(cert), async (port) => {
      const strict = await tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost' })
      expect(strict.evidence.findings).toEqual(['self-signed'])
      expect(strict.message).toBe('certificate is self-signed (CN=localhost)')
      const relaxed = await tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', allowSelfSigned: true })
      expect(relaxed.status).toBe('pass')
      expect(relaxed.evidence.findings).toEqual([])
    })
  })
})

describe('tlsCertificate against `openssl s_server` (openssl corpus)', () => {
  it('ECDSA P-256 leaf is valid and parsed (forge cannot read EC keys; node:crypto fills in)', async (ctx) => {
    // The point of this test is an independent server and certificate tool: no openssl, no test.
    if (!ossl) return ctx.skip('openssl CLI not installed')
    const leaf = new X509Certificate(ossl.ecValid.leafPem)
    const result = await withServer(startOpensslServer(ossl.ecValid.certFile, ossl.ecValid.keyFile), (port) =>
      tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: ossl!.caFile }),
    )
    const expires = iso(new Date(leaf.validTo).getTime()).slice(0, 10)
    expect(result.evidence.findings).toEqual([])
    expect(result.message).toBe(`certificate for localhost valid for 89 more days (expires ${expires})`)
    expect(result.evidence).toMatchObject({
      subject: 'CN=localhost',
      issuer: 'CN=OpenSSL EC Root CA',
      sans: ['localhost', '127.0.0.1'],
      serial: leaf.serialNumber.toLowerCase(),
      fingerprintSha256: leaf.fingerprint256,
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      trusted: true,
      trustAnchor: 'CN=OpenSSL EC Root CA',
    })
  })

  it('ECDSA leaf signed with SHA-1 is a weak signature', async (ctx) => {
    if (!ossl) return ctx.skip('openssl CLI not installed')
    const result = await withServer(startOpensslServer(ossl.ecSha1.certFile, ossl.ecSha1.keyFile, ['-cipher', 'DEFAULT@SECLEVEL=0']), (port) =>
      tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: ossl!.caFile }),
    )
    expect(result.evidence.findings).toEqual(['weak-signature'])
    expect(result.message).toBe('certificate is signed with ecdsa-with-SHA1 (SHA-1 signatures are forgeable)')
  })

  it('reads the chain sent by s_server -cert_chain, and tells the missing intermediate apart without it', async (ctx) => {
    if (!ossl) return ctx.skip('openssl CLI not installed')
    const certFile = join(dir, 'forge-leaf.pem')
    const keyFile = join(dir, 'forge-leaf.key')
    const chainFile = join(dir, 'forge-intermediate.pem')
    writeFileSync(certFile, corpus.valid.leafPem)
    writeFileSync(keyFile, corpus.valid.keyPem)
    writeFileSync(chainFile, corpus.intermediatePem)
    const full = await withServer(startOpensslServer(certFile, keyFile, ['-cert_chain', chainFile]), (port) =>
      tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: bundleFile, now: corpus.now }),
    )
    expect(full.evidence.findings).toEqual([])
    expect(full.evidence.chain.map((c) => c.subject)).toEqual(['CN=localhost, O=runbook-kit sandbox', INTERMEDIATE])
    const leafOnly = await withServer(startOpensslServer(certFile, keyFile), (port) =>
      tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: bundleFile, now: corpus.now }),
    )
    expect(leafOnly.evidence.findings).toEqual(['incomplete-chain'])
    expect(leafOnly.evidence.chain).toHaveLength(1)
  })
})

/** Whether this Node/OpenSSL can still complete a handshake at `version` (OpenSSL builds may drop TLS 1.0/1.1). */
async function canHandshakeAt(version: SecureVersion, cert: ServedCert): Promise<boolean> {
  return withServer(serve(cert, { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' }), (port) =>
    new Promise<boolean>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' })
      s.once('secureConnect', () => (s.destroy(), resolve(true)))
      s.once('error', () => resolve(false))
    }),
  )
}

describe('protocol and connection failures', () => {
  it.for<SecureVersion>(['TLSv1', 'TLSv1.1'])('a %s-only server is observed and judged old', async (version, ctx) => {
    // Some OpenSSL builds cannot speak TLS 1.0/1.1 at all; then there is nothing to observe.
    if (!(await canHandshakeAt(version, corpus.valid))) return ctx.skip(`local OpenSSL cannot complete a ${version} handshake`)
    const result = await withServer(serve(corpus.valid, { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' }), (port) =>
      tlsCertificate({ host: '127.0.0.1', port, servername: 'localhost', ca: rootFile, now: corpus.now }),
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

  it('the caller’s signal stops a hanging handshake at once', async () => {
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

describe('offline pemFile mode', () => {
  it('judges a PEM bundle (leaf first) without connecting', async () => {
    const file = join(dir, 'tls.crt')
    writeFileSync(file, corpus.valid.chainPem)
    const result = await tlsCertificate({ pemFile: file, ca: rootFile, servername: 'localhost', now: corpus.now })
    expect(result.status).toBe('pass')
    expect(result.id).toBe('tls.tls.crt')
    expect(result.evidence.target).toBe(file)
    expect(result.evidence.protocol).toBeUndefined()
    expect(result.evidence.chain).toHaveLength(2)
    expect(result.message).toBe(`certificate for localhost valid for 89 more days (expires ${iso(corpus.now.getTime() + 89 * DAY + 12 * HOUR).slice(0, 10)})`)
  })

  it('reports an expired certificate in a file, naming it by CN when no host is given', async () => {
    const file = join(dir, 'expired.crt')
    writeFileSync(file, corpus.expired.chainPem)
    const result = await tlsCertificate({ pemFile: file, ca: rootFile, now: corpus.now })
    expect(result.evidence.findings).toEqual(['expired'])
    expect(result.evidence.hostname).toBeUndefined()
  })

  it('reads an openssl-made ECDSA certificate file', async (ctx) => {
    if (!ossl) return ctx.skip('openssl CLI not installed')
    const result = await tlsCertificate({ pemFile: ossl.ecValid.certFile, ca: ossl.caFile, host: 'localhost' })
    expect(result.status).toBe('pass')
    expect(result.evidence).toMatchObject({ keyType: 'ec', keyBits: 256, hostname: 'localhost' })
  })

  it('a missing file is an error (could not check), not a failure', async () => {
    const result = await tlsCertificate({ pemFile: join(dir, 'nope.crt') })
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
  ])('%s', async (_name, opts) => {
    await expect(tlsCertificate(opts)).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
