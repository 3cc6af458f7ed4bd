import { describe, expect, it } from 'vitest'
import { parseExposition, type MetricFamily } from '../../../clients/prom-text.ts'
import { escapeLabelValue, renderMetrics } from '../../../lib/report/metrics.ts'
import { meta, mixedReport, NASTY, report, result } from './fixtures.ts'

function families(text: string): Map<string, MetricFamily> {
  const parsed = parseExposition(text, 'prometheus')
  if (!parsed.ok) throw new Error(`line ${parsed.problem.line}: ${parsed.problem.message}\n${text}`)
  return new Map(parsed.exposition.families.map((f) => [f.name, f]))
}

describe('renderMetrics: a run as Prometheus text format 0.0.4', () => {
  it('writes blackbox-style series per check and per run, every family a gauge with HELP', () => {
    const r = mixedReport()
    const text = renderMetrics(r)
    expect(text.endsWith('\n')).toBe(true)
    const fams = families(text)
    expect([...fams.keys()]).toEqual([
      'runbook_check_success',
      'runbook_check_duration_seconds',
      'runbook_checks',
      'runbook_run_success',
      'runbook_run_duration_seconds',
      'runbook_run_timestamp_seconds',
    ])
    for (const f of fams.values()) {
      expect(f.type).toBe('gauge')
      expect(f.help).toBeTruthy()
    }
    const success = fams.get('runbook_check_success')!.samples
    const checked = r.results.filter((x) => x.status !== 'skip')
    expect(success.map((s) => s.labels)).toEqual(checked.map((x) => ({ target: 'sandbox', id: x.id, kind: x.kind ?? 'unknown' })))
    expect(success.map((s) => s.value)).toEqual(checked.map((x) => (x.status === 'pass' ? 1 : 0)))
    const duration = fams.get('runbook_check_duration_seconds')!.samples
    expect(duration.map((s) => s.value)).toEqual(checked.map((x) => x.durationMs / 1000))
    const counts = Object.fromEntries(fams.get('runbook_checks')!.samples.map((s) => [s.labels.status, s.value]))
    expect(counts).toEqual({ pass: r.summary.pass, fail: r.summary.fail, error: r.summary.error, skip: r.summary.skip })
    expect(fams.get('runbook_run_success')!.samples).toEqual([expect.objectContaining({ labels: { target: 'sandbox' }, value: 0 })])
    expect(fams.get('runbook_run_timestamp_seconds')!.samples[0]!.value).toBe(Date.parse(r.meta.finishedAt) / 1000)
    expect(fams.get('runbook_run_duration_seconds')!.samples[0]!.value).toBe(r.meta.durationMs / 1000)
  })

  it('gives skipped checks no success series (0 would page someone for a check that did not run)', () => {
    const text = renderMetrics(report([result('a', 'pass'), result('waived', 'skip', { attempts: 0 })]))
    expect(text).not.toContain('id="waived"')
    expect(text).toMatch(/^runbook_checks\{target="sandbox",status="skip"\} 1$/m)
    expect(text).toMatch(/^runbook_run_success\{target="sandbox"\} 1$/m)
  })

  it('says the run failed for a configuration error with no checks, all four counts still present', () => {
    const text = renderMetrics(report([], { verdict: 'config-error', exitCode: 2, error: 'missing WEBHOOK_SECRET' }))
    const fams = families(text)
    expect(fams.get('runbook_check_success')!.samples).toEqual([])
    expect(fams.get('runbook_checks')!.samples.map((s) => s.value)).toEqual([0, 0, 0, 0])
    expect(fams.get('runbook_run_success')!.samples[0]!.value).toBe(0)
  })

  it.each([
    ['backslash', 'C:\\path', 'C:\\\\path'],
    ['double quote', 'say "hi"', 'say \\"hi\\"'],
    ['line feed', 'two\nlines', 'two\\nlines'],
    ['all three', '\\"\n', '\\\\\\"\\n'],
    ['unicode', 'ü-✓', 'ü-✓'],
  ])('escapes a %s in a label value', (_what, raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped)
  })

  it('round-trips hostile ids, kinds and target names through a strict parser', () => {
    const r = report([result(NASTY, 'fail', { kind: 'http"}\nx' }), result('ok', 'pass')], { target: 'prod\\eu "1"\n' })
    const fams = families(renderMetrics(r))
    const s = fams.get('runbook_check_success')!.samples
    expect(s[0]!.labels).toEqual({ target: 'prod\\eu "1"\n', id: NASTY, kind: 'http"}\nx' })
    expect(s[1]!.labels.id).toBe('ok')
    expect(fams.get('runbook_run_success')!.samples[0]!.labels.target).toBe('prod\\eu "1"\n')
  })

  it('is deterministic and takes a target override', () => {
    const r = report([result('a', 'pass')], meta({ target: 'x' }))
    expect(renderMetrics(r)).toBe(renderMetrics(structuredClone(r)))
    expect(renderMetrics(r, { target: 'eu-1' })).toMatch(/^runbook_run_success\{target="eu-1"\} 1$/m)
  })
})
