import { promConnection, promConnectionProperties, type PromConnectionFields } from './prom-shared.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/prom-alerts.ts')

/** A `kind: prom-alerts` entry. */
export interface PromAlertsEntry extends CommonCheckFields, PromConnectionFields {
  selector?: string
  severities?: string[]
  ignore?: string[]
  failOnPending?: boolean
}

export const promAlertsKind: CheckKind<PromAlertsEntry> = {
  kind: 'prom-alerts',
  description: 'no Prometheus alerts firing that match a label selector (severity shown)',
  positional: 'selector',
  secretFields: ['bearerToken', 'password'],
  properties: {
    ...promConnectionProperties,
    selector: { type: 'string', minLength: 1, description: 'label selector on alert labels, e.g. service="ai-agents-api" (default: all alerts)' },
    severities: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: 'only alerts with one of these severity labels count (default: all)' },
    ignore: { type: 'array', items: { type: 'string' }, default: ['Watchdog'], description: 'alert names that never count (default [Watchdog])' },
    failOnPending: { type: 'boolean', default: false, description: 'also fail on pending alerts (default false: listed only)' },
  },
  required: ['prometheus'],
  title: (e) => `No alerts firing${e.selector ? ` matching ${e.selector}` : ''}`,
  build(entry, ctx) {
    const conn = promConnection(entry, ctx)
    return {
      run: async (signal) =>
        (await load()).noFiringAlerts({
          ...conn,
          id: entry.id,
          signal,
          ...(entry.title !== undefined ? { title: entry.title } : {}),
          ...(entry.selector !== undefined ? { selector: entry.selector } : {}),
          ...(entry.severities !== undefined ? { severities: entry.severities } : {}),
          ...(entry.ignore !== undefined ? { ignore: entry.ignore } : {}),
          ...(entry.failOnPending !== undefined ? { failOnPending: entry.failOnPending } : {}),
        }),
    }
  },
}
