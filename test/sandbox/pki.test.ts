import { X509Certificate, createPrivateKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { createCa, generateRsaKeyPem, issueCert } from '../../sandbox/pki.ts'

describe('pki', () => {
  const ca = createCa({ commonName: 'Test Root' })

  it('creates a self-signed CA with CA:TRUE', () => {
    const x = new X509Certificate(ca.certPem)
    expect(x.ca).toBe(true)
    expect(x.subject).toContain('CN=Test Root')
    expect(x.checkIssued(x)).toBe(true)
    expect(x.verify(x.publicKey)).toBe(true)
  })

  it('issues a leaf with DNS and IP SANs that chains through an intermediate', () => {
    const mid = createCa({ issuer: ca })
    const leaf = issueCert({ issuer: mid, commonName: 'localhost', hosts: ['localhost', '127.0.0.1', '::1'] })
    const x = new X509Certificate(leaf.certPem)
    const midX = new X509Certificate(mid.certPem)
    expect(x.ca).toBe(false)
    expect(x.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
    expect(x.checkIssued(midX)).toBe(true)
    expect(x.verify(midX.publicKey)).toBe(true)
    expect(midX.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true)
    expect(x.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true)
    expect(x.checkHost('localhost')).toBe('localhost')
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(x.checkHost('example.com')).toBeUndefined()
  })

  it('honours validity dates, serial, key size, hash and a given key', async () => {
    const notBefore = new Date('2020-01-01T00:00:00Z')
    const notAfter = new Date('2020-02-01T00:00:00Z')
    const keyPem = await generateRsaKeyPem(1024)
    const leaf = issueCert({ issuer: ca, commonName: 'old', hosts: [], notBefore, notAfter, hash: 'sha1', serial: '0badf00d', keyPem })
    const x = new X509Certificate(leaf.certPem)
    expect(new Date(x.validFrom).toISOString()).toBe(notBefore.toISOString())
    expect(new Date(x.validTo).toISOString()).toBe(notAfter.toISOString())
    expect(x.serialNumber.toLowerCase().replace(/^0+/, '')).toBe('badf00d')
    expect(x.subjectAltName).toBeUndefined()
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(1024)
    expect(leaf.keyPem).toBe(keyPem)
    // node:crypto does not expose the signature algorithm; the DER carries sha1WithRSAEncryption's OID 1.2.840.113549.1.1.5
    expect(x.raw.includes(Buffer.from('2a864886f70d010105', 'hex'))).toBe(true)
  })

  it.each([
    ['notAfter before notBefore', () => issueCert({ issuer: ca, commonName: 'x', hosts: ['x'], notBefore: new Date(2000), notAfter: new Date(1000) })],
    ['tiny key', () => issueCert({ issuer: ca, commonName: 'x', hosts: ['x'], keyBits: 512 })],
    ['non-hex serial', () => issueCert({ issuer: ca, commonName: 'x', hosts: ['x'], serial: 'zz' })],
    ['empty host', () => issueCert({ issuer: ca, commonName: 'x', hosts: [''] })],
    ['bad key PEM', () => createCa({ keyPem: 'nope' })],
  ])('rejects %s with InvalidArgumentError', (_name, fn) => {
    expect(fn).toThrow(InvalidArgumentError)
  })
})
