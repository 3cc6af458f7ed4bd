import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { grafanaDashboard, judgeGrafana } from '../../checks/grafana.ts'
import { InvalidArgumentError } from '../../lib/errors.ts'
import { buildKind, testBuildContext } from '../helpers/kinds.ts'

/*
 * Grafana is not packaged in Debian 12 (`apt-cache policy grafana` shows no candidate), so this is a
 * loopback fake of the three endpoints the check uses, shaped after Grafana's HTTP API docs:
 * GET /api/search, GET /api/dashboards/uid/:uid, POST /api/ds/query (data frames, 207 on partial failure).
 */
const TOKEN = 'glsa_test_token_123456'
const dashboard = {
  uid: 'svc-overview',
  title: 'Service Overview',
  panels: [
    { id: 1, title: 'Error rate', datasource: { uid: 'prom', type: 'prometheus' }, targets: [{ refId: 'A', expr: 'sum(rate(http_requests_total{code=~"5.."}[5m]))' }] },
    { id: 2, title: 'Row', type: 'row', panels: [{ id: 3, title: 'Empty panel', datasource: { uid: 'prom', type: 'prometheus' }, targets: [{ refId: 'A', expr: 'absent_metric' }] }] },
    { id: 4, title: 'Broken panel', datasource: { uid: 'prom', type: 'prometheus' }, targets: [{ refId: 'A', expr: 'rate(' }] },
  ],
}
const queriesSeen: unknown[] = []
const grafana = createServer((req, res) => {
  res.setHeader('content-type', 'application/json')
  const send = (status: number, body: unknown) => {
    res.statusCode = status
    res.end(JSON.stringify(body))
  }
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { message: 'Unauthorized' })
  const url = new URL(req.url ?? '/', 'http://x')
  if (url.pathname === '/api/search') {
    const q = (url.searchParams.get('query') ?? '').toLowerCase()
    const all = [
      { uid: 'svc-overview', title: 'Service Overview', url: '/d/svc-overview/service-overview', type: 'dash-db', folderTitle: 'Production' },
      { uid: 'svc-overview-old', title: 'Service Overview (old)', url: '/d/svc-overview-old/x', type: 'dash-db' },
    ]
    return send(200, all.filter((d) => d.title.toLowerCase().includes(q)))
  }
  if (url.pathname.startsWith('/api/dashboards/uid/')) {
    if (url.pathname.endsWith('/svc-overview')) return send(200, { dashboard, meta: { url: '/d/svc-overview/service-overview', folderTitle: 'Production' } })
    return send(404, { message: 'Dashboard not found' })
  }
  if (url.pathname === '/api/ds/query' && req.method === 'POST') {
    let body = ''
    req.on('data', (c: Buffer) => (body += c))
    req.on('end', () => {
      const { queries } = JSON.parse(body) as { queries: { refId: string; expr: string }[] }
      queriesSeen.push(...queries)
      const q = queries[0]!
      if (q.expr === 'rate(') return send(207, { results: { A: { status: 400, error: 'bad_data: parse error: unexpected end of input' } } })
      const rows = q.expr === 'absent_metric' ? [] : [1, 2, 3]
      return send(200, { results: { [q.refId]: { status: 200, frames: [{ schema: { fields: [{ name: 'Time' }, { name: 'Value' }] }, data: { values: [rows.map((i) => 1_700_000_000_000 + i), rows.map(() => 0.01)] } }] } } })
    })
    return
  }
  send(404, { message: 'not found' })
})
let base = ''
beforeAll(async () => {
  await new Promise<void>((r) => grafana.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(grafana.address() as AddressInfo).port}`
})
afterAll(() => grafana.close())

describe('grafanaDashboard against a loopback fake of the Grafana API', () => {
  it('finds a dashboard by uid and by exact title (not a substring match)', async () => {
    const byUid = await grafanaDashboard({ grafana: base, uid: 'svc-overview', token: TOKEN })
    expect(byUid.status, byUid.message).toBe('pass')
    expect(byUid.message).toBe('dashboard "Service Overview" (uid svc-overview) exists in folder "Production"')
    const byTitle = await grafanaDashboard({ grafana: base, dashboardTitle: 'Service Overview', token: TOKEN })
    expect(byTitle.status).toBe('pass')
    expect(byTitle.evidence).toMatchObject({ uid: 'svc-overview', matches: 1, dashboardUrl: `${base}/d/svc-overview/service-overview` })
    const wrongFolder = await grafanaDashboard({ grafana: base, dashboardTitle: 'Service Overview', folder: 'Staging', token: TOKEN })
    expect(wrongFolder.status).toBe('fail')
    const partial = await grafanaDashboard({ grafana: base, dashboardTitle: 'Service', token: TOKEN })
    expect(partial.status).toBe('fail')
    expect(partial.message).toBe('no dashboard titled "Service"')
  })

  it('fails for a missing uid, a bad token and a Grafana that is down', async () => {
    const missing = await grafanaDashboard({ grafana: base, uid: 'nope', token: TOKEN })
    expect(missing.status).toBe('fail')
    expect(missing.message).toBe('no dashboard with uid nope')
    const denied = await grafanaDashboard({ grafana: base, uid: 'svc-overview', token: 'wrong-token' })
    expect(denied.status).toBe('fail')
    expect(denied.message).toContain('HTTP 401')
    expect(JSON.stringify(denied)).not.toContain('wrong-token')
    const down = await grafanaDashboard({ grafana: 'http://127.0.0.1:9', uid: 'x', connectTimeout: 1000 })
    expect(down.status).toBe('fail')
    expect(down.message).toMatch(/^Grafana unreachable/)
  })

  it('checks that a panel query returns data, including panels inside rows', async () => {
    const ok = await grafanaDashboard({ grafana: base, uid: 'svc-overview', token: TOKEN, panel: 'Error rate' })
    expect(ok.status, ok.message).toBe('pass')
    expect(ok.message).toContain('panel "Error rate" returned 3 data point(s)')
    expect(queriesSeen.at(-1)).toMatchObject({ refId: 'A', datasource: { uid: 'prom', type: 'prometheus' } })
    const empty = await grafanaDashboard({ grafana: base, uid: 'svc-overview', token: TOKEN, panel: 3 })
    expect(empty.status).toBe('fail')
    expect(empty.message).toBe('panel 3 returned no data between now-15m and now')
    const broken = await grafanaDashboard({ grafana: base, uid: 'svc-overview', token: TOKEN, panel: 'Broken panel' })
    expect(broken.status).toBe('fail')
    expect(broken.message).toContain('panel query A failed: bad_data')
    const noPanel = await grafanaDashboard({ grafana: base, dashboardTitle: 'Service Overview', token: TOKEN, panel: 'Nope' })
    expect(noPanel.status).toBe('error')
  })

  it('rejects bad arguments', async () => {
    await expect(grafanaDashboard({ grafana: base })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(grafanaDashboard({ grafana: base, uid: 'a', dashboardTitle: 'b' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(grafanaDashboard({ grafana: base, uid: 'a', token: 't', password: 'p' })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})

describe('the grafana kind (target-file entries)', () => {
  it('builds from an entry: title, token registered for redaction, the check runs', async () => {
    const ctx = testBuildContext('/tmp')
    const spec = await buildKind({ id: 'dash', kind: 'grafana', grafana: base, uid: 'svc-overview', token: TOKEN, panel: 'Error rate' }, ctx)
    expect(spec.title).toBe('Grafana dashboard svc-overview exists and panel "Error rate" has data')
    expect(ctx.redactor.redact(`Bearer ${TOKEN}`)).toBe('Bearer ***')
    const r = await spec.run(AbortSignal.timeout(5000))
    expect(r.status, r.message).toBe('pass')
    expect(r.id).toBe('dash')
  })

  it('which dashboard and which credentials are configuration errors before anything runs', async () => {
    await expect(buildKind({ id: 'g', kind: 'grafana', grafana: base }, testBuildContext('/tmp'))).rejects.toThrow('uid: give exactly one of uid and dashboardTitle')
    await expect(buildKind({ id: 'g', kind: 'grafana', grafana: base, dashboardTitle: 'x', token: TOKEN, username: 'u' }, testBuildContext('/tmp'))).rejects.toThrow('token: give either token or username/password')
  })
})

describe('judgeGrafana', () => {
  const ev = { grafana: 'http://g', uid: 'u' }
  it.each([
    [{ evidence: ev }, 'pass'],
    [{ evidence: ev, problem: 'no dashboard' }, 'fail'],
    [{ evidence: ev, panelProblem: 'no data' }, 'fail'],
    [{ evidence: ev, configProblem: 'no such panel' }, 'error'],
  ])('%j → %s', (obs, status) => {
    expect(judgeGrafana(obs).status).toBe(status)
  })
})
