import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { matchesLabels, parseLabelSelector, prometheusConnection, promInstantQuery } from '../../clients/prometheus.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { listen } from '../helpers/prometheus.ts'

describe('the deadline', () => {
  it('caps each phase, so a hang names its phase rather than the caller\'s bare timeout', async () => {
    const silent = createServer(() => {}) // accepts TCP, never answers
    const port = await listen(silent)
    try {
      // headersTimeout is 10 s by default; the deadline leaves 1 s.
      const started = Date.now()
      const outcome = await promInstantQuery({ url: `http://127.0.0.1:${port}`, deadline: Date.now() + 1000 }, 'up')
      expect(outcome).toMatchObject({ ok: false, kind: 'network' })
      expect(!outcome.ok && outcome.error).toMatch(/^headers timed out after (8|9)\d\d ms$/)
      expect(Date.now() - started).toBeLessThan(2000)
    } finally {
      silent.close()
    }
  })
})

describe('prometheusConnection', () => {
  it('maps the declared connection fields to the client connection and leaves the check\'s own options out', () => {
    const signal = AbortSignal.timeout(1000)
    const conn = prometheusConnection({ prometheus: 'http://p:9090', bearerToken: 't0ken-1', headers: { 'X-Scope-OrgID': 'a' }, connectTimeout: 500, signal, deadline: 42, ...{ query: 'up' } })
    expect(conn).toEqual({ url: 'http://p:9090', bearerToken: 't0ken-1', headers: { 'X-Scope-OrgID': 'a' }, connectTimeout: 500, signal, deadline: 42 })
  })
})

describe('label selectors', () => {
  it.each([
    ['service="demo"', { service: 'demo' }, true],
    ['service="demo"', { service: 'demo2' }, false],
    ['{service=~"de.*", env!="prod"}', { service: 'demo', env: 'dev' }, true],
    ['service=~"de"', { service: 'demo' }, false],
    ['service!~"d.*"', { service: 'api' }, true],
    ['missing=""', { service: 'api' }, true],
    ['a="x\\"y"', { a: 'x"y' }, true],
  ])('%s on %j → %s', (sel, labels, want) => {
    expect(matchesLabels(labels, parseLabelSelector(sel))).toBe(want)
  })

  it.each(['service=demo', 'service="a" env="b"', '="x"', 'a=~"("'])('rejects %s', (sel) => {
    expect(() => parseLabelSelector(sel)).toThrow(InvalidArgumentError)
  })
})
