import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { Redactor } from '../../../lib/redact.ts'
import { browserKind } from '../../../smoke/kinds/browser.ts'
import { grafanaKind } from '../../../smoke/kinds/grafana.ts'
import { latencyKind } from '../../../smoke/kinds/latency.ts'
import type { BuildContext, CheckKind } from '../../../smoke/kinds/types.ts'

const kinds: CheckKind[] = [latencyKind, grafanaKind, browserKind]
const ctx = (redactor = new Redactor()): BuildContext => ({ target: 't', targetFile: '/tmp/t.yaml', baseUrl: 'http://127.0.0.1:1', tls: {}, reportDir: '/tmp', redactor, resolvePath: (p) => p })

describe('observability kinds', () => {
  it.each(kinds.map((k) => [k.kind, k] as const))('%s: schema compiles and every property has a description', (_name, kind) => {
    const schema = { type: 'object', properties: kind.properties, required: kind.required ?? [], additionalProperties: false }
    expect(() => new Ajv({ strict: false }).compile(schema)).not.toThrow()
    for (const [name, p] of Object.entries(kind.properties)) expect((p as { description?: string }).description, name).toBeTruthy()
  })

  it('latency builds a runnable check from a relative url and duration thresholds', async () => {
    const server = createServer((_q, s) => s.end('ok'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const c = { ...ctx(), baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
      const spec = latencyKind.build({ id: 'lat', kind: 'latency', url: '/health', requests: 5, concurrency: 2, p95: '1s' }, c)
      const result = await spec.run(AbortSignal.timeout(5000))
      expect(result.status, result.message).toBe('pass')
      expect(result.evidence).toMatchObject({ requests: 5, thresholds: { p95: 1000 } })
    } finally {
      server.close()
    }
  })
})
