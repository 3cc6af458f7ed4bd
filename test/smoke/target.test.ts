import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../lib/errors.ts'
import { Ajv } from 'ajv'
import { parseYaml } from '../../lib/config.ts'
import { Redactor } from '../../lib/redact.ts'
import { loadKinds } from '../../checks/registry.ts'
import { buildChecks } from '../../smoke/build-checks.ts'
import { loadTarget } from '../../smoke/target-file.ts'
import { targetSchema } from '../../smoke/target-schema.ts'
import { resolveVariables } from '../../smoke/variables.ts'
import { deploySchema } from '../../runbooks/deploy-settings.ts'
import { repoRoot } from '../helpers/cli.ts'

describe('target schema', () => {
  it('smoke/target.schema.json is current (regenerate with npm run schema)', async () => {
    const onDisk = JSON.parse(readFileSync(join(repoRoot, 'smoke', 'target.schema.json'), 'utf8'))
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(targetSchema(await loadKinds(), { deploy: deploySchema }))))
  })

  it('the editor schema accepts every built-in target and rejects an unknown key inside a check', async () => {
    // A fresh instance: the editor schema carries an $id, which one ajv instance can hold only once.
    const validate = new Ajv({ allErrors: true, strict: false }).compile(targetSchema(await loadKinds(), { deploy: deploySchema }))
    const sandbox = parseYaml(readFileSync(join(repoRoot, 'smoke', 'targets', 'sandbox.yaml'), 'utf8'), 'sandbox.yaml').data
    expect(validate(sandbox), JSON.stringify(validate.errors)).toBe(true)
    expect(validate({ checks: [{ id: 'a', kind: 'http', url: '/', ulr: '/' }] })).toBe(false)
  })

  it('every kind documents every property', async () => {
    for (const k of await loadKinds()) {
      const walk = (schema: { properties?: Record<string, unknown> }, path: string) => {
        for (const [name, prop] of Object.entries(schema.properties ?? {})) {
          expect((prop as { description?: string }).description, `${k.kind}.${path}${name}`).toBeTruthy()
          walk(prop as { properties?: Record<string, unknown> }, `${path}${name}.`)
        }
      }
      walk(k.options as { properties?: Record<string, unknown> }, '')
    }
  })
})

describe('resolveVariables', () => {
  const load = async (yaml: string) => {
    const { mkdtempSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const dir = mkdtempSync(join(tmpdir(), 'rbk-target-'))
    const file = join(dir, 't.yaml')
    writeFileSync(file, yaml)
    return loadTarget(file)
  }

  it('env: values are secrets (registered for redaction); ${} values are plain settings', async () => {
    const loaded = await load('baseUrl: ${API_URL}\nchecks:\n  - id: a\n    kind: http\n    url: /x\n    headers:\n      Authorization: env:API_TOKEN\n')
    const redactor = new Redactor()
    const target = resolveVariables(loaded, { env: { API_URL: 'https://api.example.test', API_TOKEN: 'Bearer tok-123456' }, redactor })
    expect(target.baseUrl).toBe('https://api.example.test')
    expect((target.checks[0] as unknown as { headers: Record<string, string> }).headers.Authorization).toBe('Bearer tok-123456')
    expect(redactor.redact('sent Bearer tok-123456 to https://api.example.test')).toBe('sent *** to https://api.example.test')
  })

  it('a missing variable names itself, the path and the line', async () => {
    const loaded = await load('baseUrl: ${API_URL}\nchecks:\n  - id: a\n    kind: http\n    url: /x\n    headers:\n      Authorization: env:API_TOKEN\n')
    const err = (() => {
      try {
        resolveVariables(loaded, { env: {}, redactor: new Redactor() })
      } catch (e) {
        return e as ConfigError
      }
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect(err!.describe()).toContain('baseUrl (line 1): variable ${API_URL} is not set')
    expect(err!.describe()).toContain('checks[0].headers.Authorization (line 7): environment variable API_TOKEN is not set')
  })

  it('builds checks with timeouts, eventually and skip from the entry and the defaults', async () => {
    const loaded = await load(
      'baseUrl: http://127.0.0.1:9\ndefaults:\n  timeout: 5s\nchecks:\n  - id: a\n    kind: http\n    url: /a\n    eventually: { timeout: 1m, interval: 2s }\n  - id: b\n    kind: http\n    url: /b\n    timeout: 250ms\n  - id: c\n    kind: http\n    url: /c\n    skip: waived until 2026-12-01 (OPS-12)\n',
    )
    const target = resolveVariables(loaded, { env: {}, redactor: new Redactor() })
    const [a, b, c] = buildChecks(loaded, target, { reportDir: '/tmp/x', redactor: new Redactor() })
    expect(a).toMatchObject({ id: 'a', kind: 'http', timeoutMs: 5000, eventually: { timeoutMs: 60_000, intervalMs: 2000 } })
    expect(b).toMatchObject({ id: 'b', timeoutMs: 250 })
    expect(b?.skip).toBeUndefined()
    expect(c).toMatchObject({ id: 'c', skip: 'waived until 2026-12-01 (OPS-12)' })
    expect(() => buildChecks(loaded, target, { reportDir: '/tmp/x', redactor: new Redactor(), only: ['zzz'] })).toThrow(/unknown check id\(s\): zzz/)
  })

  it('rejects duplicate ids', async () => {
    await expect(load('checks:\n  - { id: a, kind: http, url: "http://x/" }\n  - { id: a, kind: http, url: "http://x/" }\n')).rejects.toThrow(ConfigError)
  })
})

describe('requires', () => {
  it('skips a check whose required variable is unset, with the reason, without resolving it', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const file = join(mkdtempSync(join(tmpdir(), 'rbk-req-')), 't.yaml')
    writeFileSync(file, 'checks:\n  - id: db\n    kind: http\n    url: ${DB_HEALTH_URL}\n    requires: [DB_HEALTH_URL]\n  - id: api\n    kind: http\n    url: ${API_URL}\n    requires: [API_URL]\n')
    const loaded = await loadTarget(file)
    const target = resolveVariables(loaded, { env: { API_URL: 'http://127.0.0.1:9/' }, missingReasons: { DB_HEALTH_URL: 'no PostgreSQL server found' }, redactor: new Redactor() })
    const [db, api] = buildChecks(loaded, target, { reportDir: '/tmp/x', redactor: new Redactor() })
    expect(db).toMatchObject({ id: 'db', skip: 'no PostgreSQL server found' })
    expect(api?.skip).toBeUndefined()
  })
})

describe('secrets too short to mask', () => {
  it('an env: secret of fewer than 4 characters is a configuration error naming the variable', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const file = join(mkdtempSync(join(tmpdir(), 'rbk-short-')), 't.yaml')
    writeFileSync(file, 'checks:\n  - id: a\n    kind: http\n    url: http://127.0.0.1:9/\n    headers:\n      X-Key: env:SHORT_KEY\n')
    const loaded = await loadTarget(file)
    expect(() => resolveVariables(loaded, { env: { SHORT_KEY: 'abc' }, redactor: new Redactor() })).toThrow(ConfigError)
    try {
      resolveVariables(loaded, { env: { SHORT_KEY: 'abc' }, redactor: new Redactor() })
    } catch (err) {
      expect((err as ConfigError).describe()).toContain('checks[0].headers.X-Key (line 6): environment variable SHORT_KEY holds only 3 character(s)')
    }
  })
})

describe('secret fields', () => {
  it('a secret written into a target file (not env:NAME) is a configuration error naming the path and line', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const file = join(mkdtempSync(join(tmpdir(), 'rbk-plain-')), 't.yaml')
    writeFileSync(file, 'checks:\n  - id: hook\n    kind: webhook\n    url: https://127.0.0.1:9/hook\n    secret: plaintext-secret-99\n')
    const err = await loadTarget(file).catch((e: unknown) => e as ConfigError)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).describe()).toContain('checks[0].secret (line 5): secrets are never written in target files')
    writeFileSync(file, 'checks:\n  - id: hook\n    kind: webhook\n    url: https://127.0.0.1:9/hook\n    secret: env:HOOK_SECRET\n')
    await expect(loadTarget(file)).resolves.toBeTruthy()
  })
})
