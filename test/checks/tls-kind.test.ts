import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { ANNOTATION_KEYWORDS } from '../../lib/schema.ts'
import { splitHostPort, tlsKind } from '../../checks/tls.ts'
import type { BuildContext } from '../../checks/kind.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'
import { forgeCorpus, type ForgeCorpus } from '../helpers/cert-corpus.ts'
import { startTlsServer, type LoopbackServer } from '../helpers/tls-servers.ts'

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
  const ctx = (over: Partial<BuildContext> = {}): BuildContext =>
    testBuildContext(dir, { baseUrl: `https://127.0.0.1:${server.port}`, tls: { ca: join(dir, 'root.pem'), servername: 'localhost' }, ...over })

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
    const ajv = new Ajv({ strict: true })
    ajv.addVocabulary([...ANNOTATION_KEYWORDS])
    const validate = ajv.compile(tlsKind.options)
    for (const [name, prop] of Object.entries(tlsKind.options.properties)) expect((prop as { description?: string }).description, name).toBeTruthy()
    expect(validate({ host: 'example.com:443', minDays: 14, warnDays: 30, minProtocol: 'TLSv1.3', allowSelfSigned: false })).toBe(true)
    expect(validate({ host: 'example.com', minProtocol: 'SSLv2' })).toBe(false)
    expect(validate({ host: 'example.com', minDays: -1 })).toBe(false)
    expect(validate({ hots: 'example.com' })).toBe(false)
    expect(tlsKind.positional).toBe('host')
  })

  it('`kind: tls` with no fields checks the baseUrl host and port against the target CA and servername', async () => {
    const spec = await buildKind({ id: 'tls', kind: 'tls' }, ctx())
    expect(spec.title).toBe(`TLS certificate for 127.0.0.1:${server.port} is valid`)
    const result = await spec.run(AbortSignal.timeout(5000))
    expect(result.status).toBe('pass')
    expect(result.evidence).toMatchObject({ target: `127.0.0.1:${server.port}`, hostname: 'localhost' })
  })

  it('host:port positional value and a relative ca path', async () => {
    const entry = { id: 'tls', kind: 'tls', host: `127.0.0.1:${server.port}`, ca: 'root.pem', servername: 'localhost' }
    const result = await (await buildKind(entry, ctx({ baseUrl: undefined, tls: {} }))).run(AbortSignal.timeout(5000))
    expect(result.status).toBe('pass')
  })

  it('thresholds from the entry reach the check (minDays above the days left fails)', async () => {
    const result = await (await buildKind({ id: 'tls', kind: 'tls', minDays: 120 }, ctx())).run(AbortSignal.timeout(5000))
    expect(result.status).toBe('fail')
    expect(result.evidence.findings).toEqual(['expires-soon'])
  })

  it('pemFile mode resolves the file against the target folder and makes no connection', async () => {
    const spec = await buildKind({ id: 'tls', kind: 'tls', pemFile: 'tls.crt' }, ctx())
    expect(spec.title).toBe('TLS certificate in tls.crt is valid')
    const result = await spec.run(AbortSignal.timeout(5000))
    expect(result.status).toBe('pass')
    expect(result.evidence.target).toBe(join(dir, 'tls.crt'))
  })

  it('without host, pemFile or baseUrl it is a configuration problem', async () => {
    await expect(buildKind({ id: 'tls', kind: 'tls' }, ctx({ baseUrl: undefined }))).rejects.toThrow(InvalidArgumentError)
  })

  it('a host:port that contradicts port is rejected', async () => {
    await expect(buildKind({ id: 'tls', kind: 'tls', host: 'example.com:443', port: 8443 }, ctx())).rejects.toThrow(/names port 443 but port is 8443/)
  })

  it('a check timeout shorter than the phase timeouts names the phase that hung (deadline policy)', async () => {
    const { createServer } = await import('node:net')
    const silent = createServer(() => {}) // accepts TCP, never starts TLS
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    try {
      const spec = await buildKind({ id: 'tls', kind: 'tls', host: `127.0.0.1:${(silent.address() as { port: number }).port}`, timeout: '1s' }, ctx({ baseUrl: undefined }))
      const { runChecks } = await import('../../lib/runner.ts')
      const [r] = (await runChecks([spec])).results
      expect(r!.status).toBe('fail')
      expect(r!.message).toMatch(/handshake timed out after (8|9)\d\d ms/)
    } finally {
      silent.close()
    }
  })
})
