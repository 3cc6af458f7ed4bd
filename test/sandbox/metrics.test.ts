import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createAppMetrics, escapeHelp, escapeLabelValue, formatValue, writeExposition } from '../../sandbox/metrics.ts'
import { expectValidExposition } from './helpers.ts'

// promtool ships with Debian's `prometheus` package (installed by .ci/run); the regex check (helpers.ts) still runs without it.
const PROMTOOL = '/usr/bin/promtool'

describe('exposition writer', () => {
  it.each([
    ['plain', 'plain'],
    ['a\\b', 'a\\\\b'],
    ['say "hi"', 'say \\"hi\\"'],
    ['two\nlines', 'two\\nlines'],
    ['\\"\n', '\\\\\\"\\n'],
  ])('escapes label value %j', (input, expected) => {
    expect(escapeLabelValue(input)).toBe(expected)
  })

  it.each([
    ['a "quoted" help', 'a "quoted" help'],
    ['back\\slash\nnewline', 'back\\\\slash\\nnewline'],
  ])('escapes HELP text %j', (input, expected) => {
    expect(escapeHelp(input)).toBe(expected)
  })

  it.each([
    [0, '0'],
    [3, '3'],
    [0.005, '0.005'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ])('formats %s as %s', (n, text) => {
    expect(formatValue(n)).toBe(text)
  })

  it('writes HELP, TYPE and samples with escaped labels', () => {
    const text = writeExposition([
      { name: 'x_total', help: 'X.', type: 'counter', samples: [{ name: 'x_total', labels: { path: '/a"b\\c\nd' }, value: 2 }] },
      { name: 'up', help: 'Up.', type: 'gauge', samples: [{ name: 'up', labels: {}, value: 1 }] },
    ])
    expect(text).toBe('# HELP x_total X.\n# TYPE x_total counter\nx_total{path="/a\\"b\\\\c\\nd"} 2\n# HELP up Up.\n# TYPE up gauge\nup 1\n')
    expectValidExposition(text)
  })
})

describe('app metrics', () => {
  it('counts requests and fills cumulative histogram buckets', () => {
    const m = createAppMetrics(1_700_000_000_500)
    m.observeRequest('GET', '/health', 200, 0.003)
    m.observeRequest('GET', '/health', 200, 0.2)
    m.observeRequest('GET', '/health', 500, 20)
    m.webhookDelivery('rejected')
    const text = m.render()
    expectValidExposition(text)
    expect(text).toContain('http_requests_total{method="GET",path="/health",code="200"} 2\n')
    expect(text).toContain('http_requests_total{method="GET",path="/health",code="500"} 1\n')
    expect(text).toContain('http_request_duration_seconds_bucket{method="GET",path="/health",le="0.005"} 1\n')
    expect(text).toContain('http_request_duration_seconds_bucket{method="GET",path="/health",le="0.1"} 1\n')
    expect(text).toContain('http_request_duration_seconds_bucket{method="GET",path="/health",le="0.25"} 2\n')
    expect(text).toContain('http_request_duration_seconds_bucket{method="GET",path="/health",le="10"} 2\n')
    expect(text).toContain('http_request_duration_seconds_bucket{method="GET",path="/health",le="+Inf"} 3\n')
    expect(text).toContain('http_request_duration_seconds_count{method="GET",path="/health"} 3\n')
    expect(text).toMatch(/http_request_duration_seconds_sum\{method="GET",path="\/health"\} 20\.203\d*\n/)
    expect(text).toContain('webhook_deliveries_total{result="accepted"} 0\n')
    expect(text).toContain('webhook_deliveries_total{result="rejected"} 1\n')
    expect(text).toContain('process_start_time_seconds 1700000000\n')
    expect(text).toContain('# TYPE http_request_duration_seconds histogram\n')
  })

  it.skipIf(!existsSync(PROMTOOL))('passes `promtool check metrics`', () => {
    const m = createAppMetrics()
    m.observeRequest('POST', '/webhook/servicedesk', 202, 0.01)
    m.observeRequest('GET', 'unmatched', 404, 0.001)
    const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: m.render(), encoding: 'utf8', timeout: 10_000 })
    expect(run.stderr + run.stdout).toBe('')
    expect(run.status).toBe(0)
  })
})
