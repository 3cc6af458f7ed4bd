import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../../lib/errors.ts'
import { Redactor } from '../../../lib/redact.ts'
import { splitHostPort, tlsKind, type TlsCheckEntry } from '../../../smoke/kinds/tls.ts'
import type { BuildContext } from '../../../smoke/kinds/types.ts'
import { forgeCorpus, type ForgeCorpus } from '../../helpers/cert-corpus.ts'
import { startTlsServer, type LoopbackServer } from '../../helpers/tls-servers.ts'

describe('splitHostPort', () => {
  it.each<[string, { host: string; port?: number }]>([
    ['example.com', { host: 'example.com' }],
    ['example.com:8443', { host: 'example.com', port: 8443 }],
    ['127.0.0.1:443', { host: '127.0.0.1', port: 443 }],
    ['[::1]:8443', { host: '::1', port: 8443 }],
    ['[::1]', { host: '::1' }],
    ['2001:db8::1', { host: '2001:db8::1' }],
  ])('%s', (input, expected) => {
    expect(splitHostPort(input)).toEqual(expected)
  })

  it.each(['example.com:0', 'example.com:99999', 'a:b:c', 'example.com:'])('rejects %s', (input) => {
    expect(() => splitHostPort(input)).toThrow(InvalidArgumentError)
  })
})

describe('tls kind', () => {
  let corpus: ForgeCorpus
  let server: LoopbackServer
  let dir: string
  const ctx = (over: Partial<BuildContext> = {}): BuildContext => ({
    target: 'test',
    targetFile: join(dir, 'target.yaml'),
    baseUrl: `https://127.0.0.1:${server.port}`,
    tls: { ca: join(dir, 'root.pem'), servername: 'localhost' },
    reportDir: dir,
    redactor: new Redactor(),
    resolvePath: (p) => (p.startsWith('/') ? p : join(dir, p)),
    ...over,
  })

  beforeAll(async () => {
    corpus = await forgeCorpus()
    dir = mkdtempSync(join(tmpdir(), 'rbk-tls-kind-'))
    writeFileSync(join(dir, 'root.pem'), corpus.rootPem)
    writeFileSync(join(dir, 'tls.crt'), corpus.valid.chainPem)
    server = await startTlsServer({ cert: corpus.valid.chainPem, key: corpus.valid.keyPem })
  })
  afterAll(async () => {
    await server?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('has a schema ajv compiles strictly, with a description on every property', () => {
    const schema = { type: 'object', properties: tlsKind.properties, required: tlsKind.required ?? [], additionalProperties: false }
    const validate = new Ajv({ strict: true }).compile(schema)
    for (const [name, prop] of Object.entries(tlsKind.properties)) expect((prop as { description?: string }).description, name).toBeTruthy()
    expect(validate({ host: 'example.com:443', minDays: 14, warnDays: 30, minProtocol: 'TLSv1.3', allowSelfSigned: false })).toBe(true)
    expect(validate({ host: 'example.com', minProtocol: 'SSLv2' })).toBe(false)
    expect(validate({ host: 'example.com', minDays: -1 })).toBe(false)
    expect(validate({ hots: 'example.com' })).toBe(false)
    expect(tlsKind.positional).toBe('host')
  })

  it('`kind: tls` with no fields checks the baseUrl host and port against the target CA and servername', async () => {
    const entry = { id: 'tls', kind: 'tls' } as TlsCheckEntry
    expect(tlsKind.title(entry, ctx())).toBe(`TLS certificate for 127.0.0.1:${server.port} is valid`)
    const spec = tlsKind.build(entry, ctx())
    const result = await spec.run(AbortSignal.timeout(5000))
    expect(result.status).toBe('pass')
    expect(result.evidence).toMatchObject({ target: `127.0.0.1:${server.port}`, hostname: 'localhost' })
  })

  it('host:port positional value and a relative ca path', async () => {
    const entry = { id: 'tls', kind: 'tls', host: `127.0.0.1:${server.port}`, ca: 'root.pem', servername: 'localhost' } as TlsCheckEntry
    const result = await tlsKind.build(entry, ctx({ baseUrl: undefined, tls: {} })).run(AbortSignal.timeout(5000))
    expect(result.status).toBe('pass')
  })

  it('thresholds from the entry reach the check (minDays above the days left fails)', async () => {
    const entry = { id: 'tls', kind: 'tls', minDays: 120 } as TlsCheckEntry
    const result = await tlsKind.build(entry, ctx()).run(AbortSignal.timeout(5000))
    expect(result.status).toBe('fail')
    expect(result.evidence.findings).toEqual(['expires-soon'])
  })

  it('pemFile mode resolves the file against the target folder and makes no connection', async () => {
    const entry = { id: 'tls', kind: 'tls', pemFile: 'tls.crt' } as TlsCheckEntry
    expect(tlsKind.title(entry, ctx())).toBe('TLS certificate in tls.crt is valid')
    const result = await tlsKind.build(entry, ctx()).run(AbortSignal.timeout(5000))
    expect(result.status).toBe('pass')
    expect(result.evidence.target).toBe(join(dir, 'tls.crt'))
  })

  it('without host, pemFile or baseUrl it is a configuration problem', () => {
    expect(() => tlsKind.build({ id: 'tls', kind: 'tls' } as TlsCheckEntry, ctx({ baseUrl: undefined }))).toThrow(InvalidArgumentError)
  })

  it('a host:port that contradicts port is rejected', () => {
    expect(() => tlsKind.build({ id: 'tls', kind: 'tls', host: 'example.com:443', port: 8443 } as TlsCheckEntry, ctx())).toThrow(/names port 443 but port is 8443/)
  })
})
