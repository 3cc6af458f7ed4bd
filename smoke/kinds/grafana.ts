import { timeoutProperties, tlsProperties, transportFromEntry, type HttpTransportFields } from './http-shared.ts'
import type { CheckKind, CommonCheckFields } from './types.ts'

// The check (and its client library) loads on first run: most suites use a few kinds, and start-up counts.
const load = () => import('../../checks/grafana.ts')

/** A `kind: grafana` entry. */
export interface GrafanaEntry extends CommonCheckFields, HttpTransportFields {
  grafana: string
  uid?: string
  dashboardTitle?: string
  folder?: string
  token?: string
  username?: string
  password?: string
  panel?: string | number
  from?: string
  to?: string
}

export const grafanaKind: CheckKind<GrafanaEntry> = {
  kind: 'grafana',
  description: 'a Grafana dashboard exists (uid or exact title) and, optionally, a panel query returns data',
  positional: 'uid',
  secretFields: ['token', 'password'],
  properties: {
    grafana: { type: 'string', pattern: '^https?://', description: 'Grafana base URL, e.g. https://grafana.example.com' },
    uid: { type: 'string', minLength: 1, description: 'dashboard UID (give uid or dashboardTitle)' },
    dashboardTitle: { type: 'string', minLength: 1, description: 'exact dashboard title, found through /api/search' },
    folder: { type: 'string', minLength: 1, description: 'with dashboardTitle: folder title it must be in' },
    token: { type: 'string', minLength: 1, description: 'service account token, as env:NAME (never written into evidence)' },
    username: { type: 'string', description: 'basic auth user (instead of a token)' },
    password: { type: 'string', description: 'basic auth password, as env:NAME' },
    panel: { type: ['string', 'integer'], description: 'panel title or numeric id whose queries must return data' },
    from: { type: 'string', default: 'now-15m', description: 'start of the panel query range, Grafana syntax' },
    to: { type: 'string', default: 'now', description: 'end of the panel query range' },
    ...timeoutProperties,
    ...tlsProperties,
  },
  required: ['grafana'],
  title: (e) => `Grafana dashboard ${e.uid ?? JSON.stringify(e.dashboardTitle ?? '?')} exists${e.panel !== undefined ? ` and panel ${JSON.stringify(e.panel)} has data` : ''}`,
  build(entry, ctx) {
    const transport = transportFromEntry(entry, ctx)
    ctx.redactor.add(entry.token)
    ctx.redactor.add(entry.password)
    const { grafana, kind: _k, id, title, timeout: _t, eventually: _e, skip: _s, connectTimeout: _c, headersTimeout: _h, bodyTimeout: _b, ca: _ca, servername: _sn, ...rest } = entry
    return { run: async (signal) => (await load()).grafanaDashboard({ ...rest, ...transport, url: grafana, id, signal, ...(title !== undefined ? { title } : {}) }) }
  },
}
