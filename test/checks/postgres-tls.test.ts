import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresConnect } from '../../checks/postgres.ts'
import type { RunningPostgres } from '../../sandbox/data-services.ts'
import { createCa, issueCert } from '../../sandbox/pki.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { noPostgres, withPostgres } from '../helpers/services.ts'

describe.skipIf(noPostgres)('postgresConnect sslmode against a PostgreSQL serving TLS', () => {
  let pg: RunningPostgres
  let dir: string
  let caFile: string
  let otherCaFile: string
  beforeAll(async () => {
    const ca = createCa()
    const leaf = issueCert({ issuer: ca, commonName: '127.0.0.1', hosts: ['127.0.0.1'] })
    dir = mkdtempSync(join(tmpdir(), 'rbk-pgtls-'))
    caFile = join(dir, 'ca.pem')
    otherCaFile = join(dir, 'other-ca.pem')
    writeFileSync(caFile, ca.certPem)
    writeFileSync(otherCaFile, createCa({ commonName: 'some other CA' }).certPem)
    pg = await withPostgres({ tls: leaf })
  })
  afterAll(async () => {
    await pg?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('sslmode=require encrypts without verifying', async () => {
    const r = await postgresConnect({ url: pg.url, sslmode: 'require', requireTls: true })
    expect(r.status, r.message).toBe('pass')
    expect(r.evidence.tls).toBe(true)
    expect(r.message).toMatch(/over TLS/)
  })

  it('sslmode=verify-full passes with the right CA file (from the URL too)', async () => {
    const r = await postgresConnect({ url: pg.url, sslmode: 'verify-full', ca: caFile })
    expect(r.status, r.message).toBe('pass')
    const viaUrl = await postgresConnect({ url: `${pg.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}` })
    expect(viaUrl.status, viaUrl.message).toBe('pass')
    expect(viaUrl.evidence.tls).toBe(true)
  })

  it('sslmode=verify-full fails with a CA that did not sign the server certificate', async () => {
    const r = await postgresConnect({ url: pg.url, sslmode: 'verify-full', ca: otherCaFile })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/certificate/i)
  })

  it('the kind: an entry ca, else the URL sslrootcert, else the target tls.ca; as PEM text too', async () => {
    const run = async (entry: Record<string, unknown>, tlsCa?: string) =>
      (await buildKind({ id: 'db', kind: 'postgres', ...entry }, testBuildContext(dir, { tls: { ca: tlsCa } }))).run(AbortSignal.timeout(10_000))
    const verifyFull = `${pg.url}?sslmode=verify-full`
    // The target's tls.ca is the default...
    expect((await run({ url: verifyFull }, caFile)).status).toBe('pass')
    expect((await run({ url: verifyFull }, otherCaFile)).message).toMatch(/certificate/i)
    // ...after the URL's sslrootcert...
    expect((await run({ url: `${verifyFull}&sslrootcert=${encodeURIComponent(caFile)}` }, otherCaFile)).status).toBe('pass')
    // ...and after the entry's own ca (relative to the target file).
    const r = await run({ url: `${verifyFull}&sslrootcert=${encodeURIComponent(otherCaFile)}`, ca: 'ca.pem' }, otherCaFile)
    expect(r.status, r.message).toBe('pass')
    // Library callers may pass the PEM text itself.
    const pem = await postgresConnect({ url: verifyFull, ca: readFileSync(caFile, 'utf8') })
    expect(pem.status, pem.message).toBe('pass')
  })

  it('without sslmode the connection is plain, and requireTls catches it', async () => {
    const r = await postgresConnect({ url: pg.url, requireTls: true })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/without TLS/)
  })
})
