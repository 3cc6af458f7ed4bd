import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { Redactor } from '../../../lib/redact.ts'
import { promAlertsKind } from '../../../smoke/kinds/prom-alerts.ts'
import { promQueryKind } from '../../../smoke/kinds/prom-query.ts'
import { promTargetsKind } from '../../../smoke/kinds/prom-targets.ts'
import type { BuildContext, CheckKind } from '../../../smoke/kinds/types.ts'

const kinds: CheckKind[] = [promQueryKind, promTargetsKind, promAlertsKind]
const ctx = (redactor = new Redactor()): BuildContext => ({ target: 't', targetFile: '/tmp/t.yaml', baseUrl: 'http://127.0.0.1:1', tls: {}, reportDir: '/tmp', redactor, resolvePath: (p) => p })

describe('observability kinds', () => {
  it.each(kinds.map((k) => [k.kind, k] as const))('%s: schema compiles and every property has a description', (_name, kind) => {
    const schema = { type: 'object', properties: kind.properties, required: kind.required ?? [], additionalProperties: false }
    expect(() => new Ajv({ strict: false }).compile(schema)).not.toThrow()
    for (const [name, p] of Object.entries(kind.properties)) expect((p as { description?: string }).description, name).toBeTruthy()
  })

  it('prom-query validates its op and registers its secrets for redaction', () => {
    const schema = { type: 'object', properties: promQueryKind.properties, required: promQueryKind.required, additionalProperties: false }
    const validate = new Ajv({ strict: false }).compile(schema)
    expect(validate({ prometheus: 'http://p:9090', query: 'up', op: '<', threshold: 1 })).toBe(true)
    expect(validate({ prometheus: 'http://p:9090', query: 'up', op: '=<', threshold: 1 })).toBe(false)
    const r = new Redactor()
    promQueryKind.build({ id: 'q', kind: 'prom-query', prometheus: 'http://p:9090', query: 'up', op: '<', threshold: 1, bearerToken: 'tok-123456' }, ctx(r))
    expect(r.redact('Bearer tok-123456')).toBe('Bearer ***')
  })
})
