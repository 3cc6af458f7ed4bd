import { promConnection, promConnectionProperties, type PromConnectionFields } from './prom-shared.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/prom-targets.ts')

/** A `kind: prom-targets` entry. */
export interface PromTargetsEntry extends CommonCheckFields, PromConnectionFields {
  job?: string
  selector?: string
  minTargets?: number
}

export const promTargetsKind: CheckKind<PromTargetsEntry> = {
  kind: 'prom-targets',
  description: 'every active Prometheus scrape target of a job (or label selector) is up; evidence lists each with its last error',
  positional: 'job',
  secretFields: ['bearerToken', 'password'],
  properties: {
    ...promConnectionProperties,
    job: { type: 'string', minLength: 1, description: 'job label of the targets (give job, selector or both)' },
    selector: { type: 'string', minLength: 1, description: 'label selector on target labels, e.g. env="prod", instance=~"api-.*"' },
    minTargets: { type: 'integer', minimum: 0, default: 1, description: 'fewer matching targets than this fails (default 1)' },
  },
  required: ['prometheus'],
  title: (e) => `Prometheus targets ${e.job ? `of job ${e.job}` : `matching ${e.selector ?? '?'}`} are up`,
  build(entry, ctx) {
    const conn = promConnection(entry, ctx)
    return {
      run: async (signal) =>
        (await load()).promTargetsUp({
          ...conn,
          id: entry.id,
          signal,
          ...(entry.title !== undefined ? { title: entry.title } : {}),
          ...(entry.job !== undefined ? { job: entry.job } : {}),
          ...(entry.selector !== undefined ? { selector: entry.selector } : {}),
          ...(entry.minTargets !== undefined ? { minTargets: entry.minTargets } : {}),
        }),
    }
  },
}
