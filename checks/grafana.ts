import { errorMessage, InterruptedError, InvalidArgumentError, optionProblem } from '../lib/errors.ts'
import { basicAuthorization, bearerAuthorization, HTTP_TRANSPORT_FIELDS, httpRequest, parseHttpUrl, transportOptions } from '../clients/http.ts'
import { publicUrl } from '../clients/prometheus.ts'
import { timed, type CheckResult, type Verdict } from '../lib/result.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Options, Secret, Type, Url, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'

/**
 * `kind: grafana` — `grafanaDashboard`: a Grafana dashboard exists (by UID or exact title, through
 * the HTTP API) and, optionally, one of its panels' queries returns data (`POST /api/ds/query`, the
 * endpoint Grafana's own frontend uses). API shapes: Grafana docs "Dashboard HTTP API",
 * "Folder/Dashboard Search HTTP API", "Data source HTTP API".
 */

export const GrafanaOptions = Options({
  grafana: Url({ description: 'Grafana base URL, e.g. https://grafana.example.com (a path resolves under the target baseUrl)' }),
  uid: Type.Optional(Type.String({ minLength: 1, description: 'dashboard UID (give uid or dashboardTitle)' })),
  dashboardTitle: Type.Optional(Type.String({ minLength: 1, description: 'exact dashboard title, found through /api/search' })),
  folder: Type.Optional(Type.String({ minLength: 1, description: 'with dashboardTitle: the folder title it must be in (default: any folder)' })),
  token: Type.Optional(Secret(Type.String({ minLength: 1, description: 'service account token, sent as Authorization: Bearer; never written into evidence' }))),
  username: Type.Optional(Type.String({ description: 'basic auth user (instead of a token)' })),
  password: Type.Optional(Secret(Type.String({ description: 'basic auth password; never written into evidence' }))),
  panel: Type.Optional(Type.Union([Type.String(), Type.Integer()], { description: 'panel title or numeric id whose queries must return at least one data point (default: not checked)' })),
  from: Type.Optional(Type.String({ default: 'now-15m', description: 'start of the panel query range, Grafana syntax' })),
  to: Type.Optional(Type.String({ default: 'now', description: 'end of the panel query range, Grafana syntax' })),
  ...HTTP_TRANSPORT_FIELDS,
})
export type GrafanaDashboardOptions = Static<typeof GrafanaOptions> & RunContext

export const grafanaKind = defineKind({
  kind: 'grafana',
  description: 'a Grafana dashboard exists (uid or exact title) and, optionally, a panel query returns data',
  options: GrafanaOptions,
  positional: 'uid',
  validate: validateGrafanaOptions,
  title: defaultTitle,
  run: (o, rt) => grafanaDashboard({ ...o, ...rt }),
})

/** The cross-field rules, for the kind (when the check is built) and for library callers: which dashboard, which credentials. */
export function validateGrafanaOptions(o: Pick<GrafanaDashboardOptions, 'uid' | 'dashboardTitle' | 'token' | 'username' | 'password'>): void {
  if (!o.uid === !o.dashboardTitle) throw optionProblem(o.uid ? 'dashboardTitle' : 'uid', 'give exactly one of {uid} and {dashboardTitle}')
  if (o.token && (o.username || o.password)) throw optionProblem('token', 'give either {token} or {username}/{password}')
}

function defaultTitle(o: Pick<GrafanaDashboardOptions, 'uid' | 'dashboardTitle' | 'panel'>): string {
  return `Grafana dashboard ${o.uid ?? JSON.stringify(o.dashboardTitle ?? '?')} exists${o.panel !== undefined ? ` and panel ${JSON.stringify(o.panel)} has data` : ''}`
}

export interface GrafanaPanelEvidence {
  id?: number
  title?: string
  datasource?: string
  /** Per query (refId): data points returned, or the error. */
  queries: { refId: string; points: number; error?: string }[]
  /** Set when a query uses dashboard variables (`$var`), which this check does not resolve. */
  note?: string
}

export type GrafanaDashboardEvidence = {
  grafana: string
  uid?: string
  dashboardTitle?: string
  folder?: string
  dashboardUrl?: string
  /** Exact-title matches found by search (when searching by title). */
  matches?: number
  panel?: GrafanaPanelEvidence
  httpStatus?: number
  error?: string
}

export const GRAFANA_DEFAULTS = Object.freeze({ ...defaultsOf(GrafanaOptions, 'from', 'to'), id: 'grafana' })

/** What the observation step found; judged by `judgeGrafana`. */
export interface GrafanaObservation {
  evidence: GrafanaDashboardEvidence
  /** Why the dashboard could not be confirmed, when it could not. */
  problem?: string
  /** Set when the panel query part ran. */
  panelProblem?: string
  /** Could not check (bad configuration, e.g. no such panel) rather than target broken. */
  configProblem?: string
}

export async function grafanaDashboard(options: GrafanaDashboardOptions): Promise<CheckResult<GrafanaDashboardEvidence>> {
  const opts = { ...GRAFANA_DEFAULTS, ...stripUndefined(options) }
  parseHttpUrl(opts.grafana)
  validateGrafanaOptions(opts)
  const title = opts.title ?? defaultTitle(opts)
  return timed({ id: opts.id, title, kind: 'grafana' }, async () => judgeGrafana(await observeGrafana(opts)))
}

type Resolved = GrafanaDashboardOptions & { id: string; from: string; to: string }

interface ApiResult {
  status?: number
  json?: unknown
  error?: string
}

async function observeGrafana(opts: Resolved): Promise<GrafanaObservation> {
  const base = publicUrl(opts.grafana)
  const ev: GrafanaDashboardEvidence = { grafana: base }
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.token) headers.authorization = bearerAuthorization(opts.token)
  else if (opts.username !== undefined || opts.password !== undefined) headers.authorization = basicAuthorization(opts.username, opts.password)

  const api = async (path: string, body?: unknown): Promise<ApiResult> => {
    try {
      const res = await httpRequest({
        ...transportOptions(opts),
        url: base + path,
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        maxBodyBytes: 16 * 1024 * 1024,
      })
      let json: unknown
      try {
        json = JSON.parse(res.body.toString('utf8'))
      } catch {
        // not JSON: the status says enough
      }
      return { status: res.status, json }
    } catch (err) {
      if (err instanceof InvalidArgumentError || err instanceof InterruptedError) throw err
      return { error: errorMessage(err) }
    }
  }
  const apiProblem = (r: ApiResult, what: string): string => {
    if (r.error) return `Grafana unreachable: ${r.error}`
    const msg = (r.json as { message?: unknown } | undefined)?.message
    if (r.status === 401 || r.status === 403) return `Grafana refused the credentials for ${what} (HTTP ${r.status}${msg ? `: ${String(msg)}` : ''})`
    return `${what}: HTTP ${r.status}${msg ? ` ${String(msg)}` : ''}`
  }

  let uid = opts.uid
  if (!uid) {
    const r = await api(`/api/search?type=dash-db&query=${encodeURIComponent(opts.dashboardTitle!)}`)
    if (r.status !== 200 || !Array.isArray(r.json)) {
      if (r.status !== undefined) ev.httpStatus = r.status
      if (r.error) ev.error = r.error
      return { evidence: ev, problem: apiProblem(r, 'dashboard search') }
    }
    // Search matches substrings, case-insensitively; the check wants the exact title.
    const hits = (r.json as { uid?: string; title?: string; folderTitle?: string; url?: string; type?: string }[]).filter(
      (h) => h.title === opts.dashboardTitle && (opts.folder === undefined || (h.folderTitle ?? 'General') === opts.folder),
    )
    ev.dashboardTitle = opts.dashboardTitle
    ev.matches = hits.length
    if (hits.length === 0) return { evidence: ev, problem: `no dashboard titled ${JSON.stringify(opts.dashboardTitle)}${opts.folder ? ` in folder ${JSON.stringify(opts.folder)}` : ''}` }
    uid = hits[0]!.uid
    ev.uid = uid
    ev.folder = hits[0]!.folderTitle ?? 'General'
    if (hits[0]!.url) ev.dashboardUrl = base + hits[0]!.url
    if (opts.panel === undefined) return { evidence: ev }
  }

  const r = await api(`/api/dashboards/uid/${encodeURIComponent(uid!)}`)
  if (r.status !== 200) {
    if (r.status !== undefined) ev.httpStatus = r.status
    if (r.error) ev.error = r.error
    return { evidence: ev, problem: r.status === 404 ? `no dashboard with uid ${uid}` : apiProblem(r, `dashboard ${uid}`) }
  }
  const { dashboard, meta } = (r.json ?? {}) as { dashboard?: GrafanaDashboardJson; meta?: { url?: string; folderTitle?: string } }
  ev.uid = dashboard?.uid ?? uid
  ev.dashboardTitle = dashboard?.title
  ev.folder = meta?.folderTitle ?? ev.folder
  if (meta?.url) ev.dashboardUrl = base + meta.url
  if (opts.panel === undefined) return { evidence: ev }

  const panel = findPanel(dashboard?.panels ?? [], opts.panel)
  if (!panel) return { evidence: ev, configProblem: `dashboard has no panel ${JSON.stringify(opts.panel)}` }
  const targets = (panel.targets ?? []).filter((t) => !t.hide)
  const pe: GrafanaPanelEvidence = { queries: [] }
  if (panel.id !== undefined) pe.id = panel.id
  if (panel.title !== undefined) pe.title = panel.title
  ev.panel = pe
  if (targets.length === 0) return { evidence: ev, configProblem: `panel ${JSON.stringify(opts.panel)} has no queries` }
  const dsOf = (t: GrafanaTarget) => t.datasource ?? panel.datasource
  const ds = dsOf(targets[0]!)
  pe.datasource = typeof ds === 'string' ? ds : (ds?.uid ?? ds?.type ?? '(default)')
  if (targets.some((t) => JSON.stringify(t).includes('$'))) pe.note = 'queries use dashboard variables ($...), sent unresolved'
  const queries = targets.map((t, i) => ({ ...t, refId: t.refId ?? String.fromCharCode(65 + i), datasource: dsOf(t) }))
  const q = await api('/api/ds/query', { from: opts.from, to: opts.to, queries })
  // 207 Multi-Status: some queries failed; each result carries its own error.
  if ((q.status !== 200 && q.status !== 207) || !q.json || typeof q.json !== 'object') {
    if (q.status !== undefined) ev.httpStatus = q.status
    return { evidence: ev, panelProblem: apiProblem(q, `panel query`) }
  }
  const results = ((q.json as { results?: Record<string, GrafanaQueryResult> }).results ?? {}) as Record<string, GrafanaQueryResult>
  for (const t of queries) {
    const res = results[t.refId]
    const entry: { refId: string; points: number; error?: string } = { refId: t.refId, points: res ? countPoints(res) : 0 }
    if (res?.error) entry.error = res.error
    else if (!res) entry.error = 'no result returned for this query'
    pe.queries.push(entry)
  }
  const failed = pe.queries.find((x) => x.error)
  if (failed) return { evidence: ev, panelProblem: `panel query ${failed.refId} failed: ${failed.error}` }
  if (pe.queries.every((x) => x.points === 0)) return { evidence: ev, panelProblem: `panel ${JSON.stringify(opts.panel)} returned no data between ${opts.from} and ${opts.to}` }
  return { evidence: ev }
}

interface GrafanaTarget {
  refId?: string
  hide?: boolean
  datasource?: { uid?: string; type?: string } | string
  [k: string]: unknown
}
interface GrafanaPanel {
  id?: number
  title?: string
  type?: string
  datasource?: { uid?: string; type?: string } | string
  targets?: GrafanaTarget[]
  /** Collapsed rows hold their panels here. */
  panels?: GrafanaPanel[]
}
interface GrafanaDashboardJson {
  uid?: string
  title?: string
  panels?: GrafanaPanel[]
}
interface GrafanaQueryResult {
  status?: number
  error?: string
  frames?: { data?: { values?: unknown[][] } }[]
}

function findPanel(panels: GrafanaPanel[], want: string | number): GrafanaPanel | undefined {
  for (const p of panels) {
    if (typeof want === 'number' ? p.id === want : p.title === want) return p
    const inner = p.panels ? findPanel(p.panels, want) : undefined
    if (inner) return inner
  }
  return undefined
}

/** Data points in a data-frame result: rows of the first column of each frame. */
export function countPoints(res: GrafanaQueryResult): number {
  let n = 0
  for (const f of res.frames ?? []) n += f.data?.values?.[0]?.length ?? 0
  return n
}

/** Pure: turns the observation into a verdict. */
export function judgeGrafana(obs: GrafanaObservation): Verdict<GrafanaDashboardEvidence> {
  const ev = obs.evidence
  if (obs.configProblem) return { status: 'error', message: obs.configProblem, evidence: ev }
  if (obs.problem) return { status: 'fail', message: obs.problem, evidence: ev }
  if (obs.panelProblem) return { status: 'fail', message: obs.panelProblem, evidence: ev }
  const where = ev.folder ? ` in folder ${JSON.stringify(ev.folder)}` : ''
  const name = ev.dashboardTitle ? `${JSON.stringify(ev.dashboardTitle)} (uid ${ev.uid})` : `uid ${ev.uid}`
  const panel = ev.panel ? `; panel ${JSON.stringify(ev.panel.title ?? ev.panel.id)} returned ${ev.panel.queries.reduce((a, q) => a + q.points, 0)} data point(s)` : ''
  const dup = (ev.matches ?? 0) > 1 ? ` (${ev.matches} dashboards share this title; checked the first)` : ''
  return { status: 'pass', message: `dashboard ${name} exists${where}${panel}${dup}`, evidence: ev }
}
