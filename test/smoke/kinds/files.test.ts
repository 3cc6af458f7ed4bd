import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../../lib/errors.ts'
import type { BuildContext } from '../../../checks/kind.ts'
import { buildKind, testBuildContext } from '../../helpers/kinds.ts'

/**
 * Every kind that takes a file path reads or checks it in build(), so a missing file is a
 * configuration error (exit 2, nothing runs) naming the field as written and the path, not a
 * check that crashes at run time ("check crashed: cannot read ...", exit 1).
 */
let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rbk-kind-files-'))
  mkdirSync(join(dir, 'migrations'))
  writeFileSync(join(dir, 'not-a-dir'), 'x')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const ctx = (over: Partial<BuildContext> = {}): BuildContext => testBuildContext(dir, { baseUrl: 'https://127.0.0.1:1', ...over })

const PG = 'postgresql://u@127.0.0.1:1/db'

describe('a missing file is a build() error naming the field and the path', () => {
  it.each<[string, string, Record<string, unknown>, Partial<BuildContext>, RegExp]>([
    ['tls --ca (absolute)', 'tls', { host: '127.0.0.1:1', ca: '/nonexistent.pem' }, {}, /^ca: cannot read CA bundle \/nonexistent\.pem: no such file or directory$/],
    ['tls ca relative to the target file', 'tls', { host: '127.0.0.1:1', ca: 'certs/ca.pem' }, {}, /^ca: cannot read CA bundle \/.*\/certs\/ca\.pem: no such file or directory$/],
    ['tls pemFile', 'tls', { pemFile: '/nonexistent/tls.crt' }, {}, /^pemFile: cannot read PEM file \/nonexistent\/tls\.crt: no such file or directory$/],
    ['tls pemFile is a folder', 'tls', { pemFile: 'migrations' }, {}, /^pemFile: cannot read PEM file .*\/migrations: not a regular file$/],
    ['tls target tls.ca', 'tls', { host: '127.0.0.1:1' }, { tls: { ca: '/nonexistent/root.pem' } }, /^ca: cannot read CA bundle \/nonexistent\/root\.pem: no such file or directory \(the target's tls\.ca\)$/],
    ['webhook --payload @file', 'webhook', { secret: 's', payload: '@/nonexistent' }, {}, /^payload: cannot read payload file \/nonexistent: no such file or directory$/],
    ['webhook payloadFile', 'webhook', { secret: 's', payloadFile: 'ticket.json' }, {}, /^payloadFile: cannot read payload file \/.*\/ticket\.json: no such file/],
    ['http ca', 'http', { url: '/health', ca: '/nonexistent.pem' }, {}, /^ca: cannot read CA file \/nonexistent\.pem: no such file or directory$/],
    ['browser ca', 'browser', { url: '/', ca: '/nonexistent.pem' }, {}, /^ca: cannot read CA file \/nonexistent\.pem/],
    ['alembic migrationsDir', 'alembic', { url: PG, migrationsDir: 'alembic/versions' }, {}, /^migrationsDir: cannot read migrations folder \/.*\/alembic\/versions: no such file or directory$/],
    ['alembic migrationsDir is a file', 'alembic', { url: PG, migrationsDir: 'not-a-dir' }, {}, /^migrationsDir: cannot read migrations folder .*\/not-a-dir: not a directory$/],
    ['postgres ca', 'postgres', { url: PG, sslmode: 'verify-full', ca: '/nonexistent.pem' }, {}, /^ca: cannot read CA file \/nonexistent\.pem/],
    ['redis ca', 'redis', { url: 'rediss://127.0.0.1:1', ca: '/nonexistent.pem' }, {}, /^ca: cannot read CA file \/nonexistent\.pem/],
    ['kube kubeconfig', 'kube-rollout', { name: 'api', kubeconfig: '/nonexistent/kubeconfig' }, {}, /^kubeconfig: cannot read kubeconfig \/nonexistent\/kubeconfig: no such file or directory$/],
  ])('%s', async (_name, kind, fields, over, message) => {
    const build = buildKind({ id: 'x', kind, ...fields }, ctx(over))
    await expect(build).rejects.toThrow(InvalidArgumentError)
    await expect(build).rejects.toThrow(message)
  })

  it.skipIf(process.getuid?.() === 0)('an unreadable file says permission denied (skipped as root: root reads everything)', async () => {
    const file = join(dir, 'secret.pem')
    writeFileSync(file, 'x')
    chmodSync(file, 0o000)
    await expect(buildKind({ id: 'x', kind: 'tls', host: '127.0.0.1:1', ca: file }, ctx())).rejects.toThrow(/permission denied/)
  })
})

describe('files that exist are used as before', () => {
  let server: Server
  let base = ''
  const bodies: Buffer[] = []
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks))
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"job_id":"j"}')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  })

  it('webhook payload @file and payloadFile: the exact bytes are sent', async () => {
    const bytes = Buffer.from('{"ticket_id":"F-1"}\r\n\u0000')
    writeFileSync(join(dir, 'ticket.bin'), bytes)
    for (const fields of [{ payload: '@ticket.bin' }, { payloadFile: 'ticket.bin' }]) {
      const r = await (await buildKind({ id: 'w', kind: 'webhook', secret: 's', url: `${base}/hook`, ...fields }, ctx())).run(AbortSignal.timeout(5000))
      expect(r.status, r.message).toBe('pass')
      expect(bodies.at(-1)!.equals(bytes)).toBe(true)
    }
  })

  it('alembic and tls take the resolved paths', async () => {
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n')
    await expect(buildKind({ id: 'a', kind: 'alembic', url: PG, migrationsDir: 'migrations' }, ctx())).resolves.toBeDefined()
    await expect(buildKind({ id: 't', kind: 'tls', host: '127.0.0.1:1', ca: 'ca.pem', pemFile: 'ca.pem' }, ctx())).resolves.toBeDefined()
  })
})
