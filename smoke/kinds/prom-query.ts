import { COMPARE_OPS, promQuery, type CompareOp } from '../../checks/prom-query.ts'
import { durationSchema, parseDuration } from '../../lib/duration.ts'
import { promConnection, promConnectionProperties, type PromConnectionFields } from './prom-shared.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

/** A `kind: prom-query` entry. */
export interface PromQueryEntry extends CommonCheckFields, PromConnectionFields {
  query: string
  op: CompareOp
  threshold: number
  onEmpty?: 'fail' | 'pass'
  onNaN?: 'fail' | 'pass'
  for?: number | string
  step?: number | string
}

export const promQueryKind: CheckKind<PromQueryEntry> = {
  kind: 'prom-query',
  description: 'PromQL instant query compared with a threshold; every series must satisfy it; empty and NaN results are explicit verdicts',
  positional: 'query',
  secretFields: ['bearerToken', 'password'],
  aliases: { 'on-nan': 'onNaN' },
  properties: {
    ...promConnectionProperties,
    query: { type: 'string', minLength: 1, description: 'PromQL expression, e.g. sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))' },
    op: { enum: [...COMPARE_OPS], description: 'comparison each series value must satisfy against threshold: value <op> threshold' },
    threshold: { type: 'number', description: 'number compared with (same unit as the query: seconds, ratio, count)' },
    onEmpty: { enum: ['fail', 'pass'], default: 'fail', description: 'verdict when the query returns no series (default fail: no data is never a silent pass)' },
    onNaN: { enum: ['fail', 'pass'], default: 'fail', description: 'verdict for NaN values, e.g. 0/0 when there was no traffic (default fail)' },
    for: { ...durationSchema, description: 'the condition must have held over this window up to now (one range query; no waiting). To wait until it holds, use eventually' },
    step: { ...durationSchema, description: 'resolution of the for window (default for/12, at least 1s)' },
  },
  required: ['prometheus', 'query', 'op', 'threshold'],
  title: (e) => `PromQL ${e.query} ${e.op} ${e.threshold}${e.for !== undefined ? ` for ${e.for}` : ''}`,
  build(entry, ctx) {
    const conn = promConnection(entry, ctx)
    const forMs = entry.for !== undefined ? parseDuration(entry.for) : undefined
    const stepMs = entry.step !== undefined ? parseDuration(entry.step) : undefined
    return {
      run: (signal) =>
        promQuery({
          ...conn,
          id: entry.id,
          query: entry.query,
          op: entry.op,
          threshold: entry.threshold,
          signal,
          ...(entry.title !== undefined ? { title: entry.title } : {}),
          ...(entry.onEmpty !== undefined ? { onEmpty: entry.onEmpty } : {}),
          ...(entry.onNaN !== undefined ? { onNaN: entry.onNaN } : {}),
          ...(forMs !== undefined ? { for: forMs } : {}),
          ...(stepMs !== undefined ? { step: stepMs } : {}),
        }),
    }
  },
}
