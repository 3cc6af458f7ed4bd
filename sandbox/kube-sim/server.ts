/**
 * The HTTP face of the Kubernetes API simulator: discovery, CRUD, list/watch with
 * resourceVersions, the patch types kubectl sends, server-side apply, dryRun, Status error bodies
 * and Table output for `kubectl get`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse as parseYaml } from 'yaml'
import { humanAge, printPod } from '../../clients/kube-print.ts'
import { openApiV3Doc, openApiV3Root } from './openapi.ts'
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.ts'
import { apiGroupList, apiResourceList, apiVersionOf, findType, qualifiedKind, qualifiedName, type ResourceType } from './resources.ts'
import { clone, type KObj, nowIso, type SimStore, stableJson } from './store.ts'

/** What an authorizer sees for one request (like Kubernetes RBAC attributes). */
export interface SimRequestAttributes {
  verb: string
  group: string
  resource: string
  subresource?: string
  namespace?: string
  name?: string
}

export interface ServerOptions {
  /** Bearer token every request must carry (401 otherwise); undefined accepts anonymous requests. */
  token?: string
  /** Returns false to answer 403 Forbidden. */
  authorize?: (a: SimRequestAttributes) => boolean
  /** Hard-drops every watch connection this long after it starts (tests of watch resumption). */
  dropWatchesAfterMs?: number
  /** Extra latency before answering, ms. */
  latencyMs?: number
}

class HttpError extends Error {
  readonly code: number
  readonly reason: string
  readonly details: KObj | undefined
  constructor(code: number, reason: string, message: string, details?: KObj) {
    super(message)
    this.code = code
    this.reason = reason
    this.details = details
  }
}

export function statusBody(code: number, reason: string, message: string, details?: KObj): KObj {
  const body: KObj = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
  if (details) body.details = details
  return body
}

interface Target {
  type: ResourceType
  namespace?: string
  name?: string
  subresource?: string
}

export class SimServer {
  readonly #store: SimStore
  readonly opts: ServerOptions
  readonly #watches = new Set<ServerResponse>()

  constructor(store: SimStore, opts: ServerOptions) {
    this.#store = store
    this.opts = opts
  }

  closeWatches(): void {
    for (const w of this.#watches) w.destroy()
    this.#watches.clear()
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.opts.latencyMs) await new Promise((r) => setTimeout(r, this.opts.latencyMs))
      const url = new URL(req.url ?? '/', 'http://sim')
      if (this.opts.token !== undefined && req.headers.authorization !== `Bearer ${this.opts.token}`) {
        throw new HttpError(401, 'Unauthorized', 'Unauthorized')
      }
      const segs = url.pathname.split('/').filter(Boolean)
      const method = req.method ?? 'GET'
      if (method === 'GET') {
        const fixed = this.#fixed(url.pathname)
        if (fixed !== undefined) return send(res, 200, fixed)
        if (url.pathname === '/openapi/v3') return send(res, 200, openApiV3Root())
        if (url.pathname.startsWith('/openapi/v3/')) {
          const doc = openApiV3Doc(url.pathname.slice('/openapi/v3/'.length))
          if (doc) return send(res, 200, doc)
        }
        if (segs[0] === 'openapi' || segs[0] === 'swagger.json') throw new HttpError(404, 'NotFound', 'the server could not find the requested resource')
      }
      const target = this.#route(segs)
      if (!target) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource')
      const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? await readBody(req) : ''
      if (/protobuf|cbor/.test(String(req.headers['content-type'] ?? '')) && method !== 'PATCH') {
        // kubectl's typed generators (kubectl create namespace/secret ...) send protobuf; the simulator only decodes JSON and YAML.
        throw new HttpError(415, 'UnsupportedMediaType', `kube-sim decodes JSON and YAML request bodies only, not ${req.headers['content-type']}: use kubectl apply -f / create -f`)
      }
      await this.#dispatch(req, res, url, method, target, body)
    } catch (err) {
      if (res.headersSent) return void res.destroy()
      if (err instanceof HttpError) return send(res, err.code, statusBody(err.code, err.reason, err.message, err.details))
      const msg = err instanceof Error ? err.message : String(err)
      send(res, 500, statusBody(500, 'InternalError', `Internal error occurred: ${msg}`))
    }
  }

  #fixed(path: string): unknown {
    switch (path) {
      case '/version':
        return { major: '1', minor: '32', gitVersion: 'v1.32.4', gitCommit: 'kube-sim', gitTreeState: 'clean', buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' }
      case '/healthz':
      case '/readyz':
      case '/livez':
        return 'ok'
      case '/api':
        return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] }
      case '/apis':
        return apiGroupList()
    }
    const m = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+)\/([^/]+)$/.exec(path)
    if (m) return m.length === 2 ? apiResourceList('', m[1]!) : apiResourceList(m[1]!, m[2]!)
    const g = /^\/apis\/([^/]+)$/.exec(path)
    if (g) {
      const group = (apiGroupList() as { groups: KObj[] }).groups.find((x) => x.name === g[1])
      if (group) return { kind: 'APIGroup', apiVersion: 'v1', ...group }
    }
    return undefined
  }

  #route(segs: string[]): Target | undefined {
    let group: string
    let version: string
    let rest: string[]
    if (segs[0] === 'api' && segs[1] === 'v1') [group, version, rest] = ['', 'v1', segs.slice(2)]
    else if (segs[0] === 'apis' && segs.length >= 4) [group, version, rest] = [segs[1]!, segs[2]!, segs.slice(3)]
    else return undefined
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const t = findType(group, version, rest[2]!)
      if (t?.namespaced) return this.#target(t, rest[1], rest[3], rest[4], rest.length <= 5)
    }
    const t = findType(group, version, rest[0] ?? '')
    if (!t) return undefined
    if (t.namespaced && rest.length > 1) return undefined
    return this.#target(t, undefined, rest[1], rest[2], rest.length <= 3)
  }

  #target(type: ResourceType, namespace: string | undefined, name: string | undefined, subresource: string | undefined, ok: boolean): Target | undefined {
    if (!ok) return undefined
    if (subresource && !type.subresources.includes(subresource)) return undefined
    const t: Target = { type }
    if (namespace !== undefined) t.namespace = namespace
    if (name !== undefined) t.name = name
    if (subresource !== undefined) t.subresource = subresource
    return t
  }

  #authorize(verb: string, t: Target): void {
    const a: SimRequestAttributes = { verb, group: t.type.group, resource: t.type.resource }
    if (t.subresource) a.subresource = t.subresource
    if (t.namespace) a.namespace = t.namespace
    if (t.name) a.name = t.name
    if (!this.opts.authorize || this.opts.authorize(a)) return
    const res = t.subresource ? `${t.type.resource}/${t.subresource}` : t.type.resource
    const what = t.name ? `${qualifiedName(t.type)} "${t.name}"` : qualifiedName(t.type)
    const scope = t.namespace ? ` in the namespace "${t.namespace}"` : ' at the cluster scope'
    throw new HttpError(403, 'Forbidden', `${what} is forbidden: User "system:serviceaccount:default:runbook-kit" cannot ${verb} resource "${res}" in API group "${t.type.group}"${scope}`, {
      ...(t.name ? { name: t.name } : {}),
      group: t.type.group,
      kind: t.type.resource,
    })
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse, url: URL, method: string, t: Target, body: string): Promise<void> {
    const q = url.searchParams
    const dryRun = q.getAll('dryRun').includes('All')
    if (method === 'GET' && !t.name) {
      const watch = q.get('watch') === 'true' || q.get('watch') === '1'
      this.#authorize(watch ? 'watch' : 'list', t)
      if (t.namespace) this.#requireNamespace(t.namespace)
      if (watch) return this.#watch(req, res, t, q)
      return this.#list(req, res, t, q)
    }
    if (method === 'GET') {
      this.#authorize('get', t)
      const obj = this.#mustGet(t)
      if (t.subresource === 'scale') return send(res, 200, scaleOf(obj))
      return send(res, 200, wantsTable(req) ? this.#table(t.type, [obj], q) : obj)
    }
    if (method === 'POST' && !t.name) {
      this.#authorize('create', t)
      const obj = parseJson(body)
      return send(res, 201, this.#create(t, obj, dryRun, q.get('fieldManager') ?? 'kubectl-create'))
    }
    if (method === 'PUT' && t.name) {
      this.#authorize('update', t)
      const obj = parseJson(body)
      const cur = this.#mustGet(t)
      if (t.subresource === 'scale') return send(res, 200, scaleOf(this.#write(t, { ...cur, spec: { ...cur.spec, replicas: obj.spec?.replicas } }, cur, dryRun, false)))
      if (obj.metadata?.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) throw this.#conflict(t)
      if (obj.metadata?.name && obj.metadata.name !== t.name) throw new HttpError(400, 'BadRequest', `the name of the object (${obj.metadata.name}) does not match the name on the URL (${t.name})`)
      return send(res, 200, this.#write(t, obj, cur, dryRun, t.subresource === 'status'))
    }
    if (method === 'PATCH' && t.name) {
      this.#authorize('patch', t)
      const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim()
      if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor') return this.#apply(res, t, body, q, dryRun)
      const cur = this.#mustGet(t)
      let patch: unknown
      try {
        patch = JSON.parse(body)
      } catch (err) {
        throw new HttpError(400, 'BadRequest', `error decoding patch: ${(err as Error).message}`)
      }
      const base = t.subresource === 'scale' ? scaleOf(cur) : cur
      let next: KObj
      try {
        if (ct === 'application/merge-patch+json') next = mergePatch(base, patch) as KObj
        else if (ct === 'application/strategic-merge-patch+json') next = strategicMergePatch(base, patch) as KObj
        else if (ct === 'application/json-patch+json') next = jsonPatch(base, patch) as KObj
        else throw new HttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`)
      } catch (err) {
        if (err instanceof PatchError) throw new HttpError(422, 'Invalid', err.message)
        throw err
      }
      if (t.subresource === 'scale') return send(res, 200, scaleOf(this.#write(t, { ...cur, spec: { ...cur.spec, replicas: next.spec?.replicas } }, cur, dryRun, false)))
      if (next.metadata?.resourceVersion && next.metadata.resourceVersion !== cur.metadata.resourceVersion) throw this.#conflict(t)
      return send(res, 200, this.#write(t, next, cur, dryRun, t.subresource === 'status'))
    }
    if (method === 'DELETE' && t.name) {
      this.#authorize('delete', t)
      const cur = this.#mustGet(t)
      if (!dryRun) this.#store.delete(t.type.resource, t.namespace, t.name)
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: t.name, group: t.type.group, kind: t.type.resource, uid: cur.metadata.uid } })
    }
    if (method === 'DELETE') {
      this.#authorize('deletecollection', t)
      const items = this.#store.list(t.type.resource, t.namespace).filter((o) => matchesSelectors(o, q.get('labelSelector'), q.get('fieldSelector')))
      if (!dryRun) for (const o of items) this.#store.delete(t.type.resource, o.metadata.namespace, o.metadata.name)
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' })
    }
    throw new HttpError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`)
  }

  #conflict(t: Target): HttpError {
    return new HttpError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(t.type)} "${t.name}": the object has been modified; please apply your changes to the latest version and try again`, { name: t.name, group: t.type.group, kind: t.type.resource })
  }

  #requireNamespace(ns: string): void {
    if (!this.#store.get('namespaces', undefined, ns)) throw new HttpError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' })
  }

  #mustGet(t: Target): KObj {
    const o = this.#store.get(t.type.resource, t.namespace, t.name!)
    if (!o) throw new HttpError(404, 'NotFound', `${qualifiedName(t.type)} "${t.name}" not found`, { name: t.name, group: t.type.group, kind: t.type.resource })
    return o
  }

  #list(req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams): void {
    const items = this.#store.list(t.type.resource, t.namespace).filter((o) => matchesSelectors(o, q.get('labelSelector'), q.get('fieldSelector')))
    if (wantsTable(req)) return send(res, 200, this.#table(t.type, items, q))
    const rv = String(this.#store.resourceVersion)
    send(res, 200, {
      kind: `${t.type.kind}List`,
      apiVersion: apiVersionOf(t.type),
      metadata: { resourceVersion: rv },
      items: t.type.custom ? items : items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
    })
  }

  #watch(req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams): void {
    const rvParam = q.get('resourceVersion') ?? ''
    const labelSel = q.get('labelSelector')
    const fieldSel = q.get('fieldSelector')
    const matches = (o: KObj) => (!t.namespace || o.metadata?.namespace === t.namespace) && matchesSelectors(o, labelSel, fieldSel)
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' })
    // Like the API server: headers go out at once, not with the first event (clients wait for them).
    res.flushHeaders()
    const write = (type: string, object: KObj) => res.write(JSON.stringify({ type, object }) + '\n')
    if (rvParam !== '' && rvParam !== '0' && Number(rvParam) < this.#store.compactedResourceVersion) {
      write('ERROR', statusBody(410, 'Expired', `too old resource version: ${rvParam} (${this.#store.compactedResourceVersion})`))
      return void res.end()
    }
    this.#watches.add(res)
    if (rvParam === '' || rvParam === '0') {
      for (const o of this.#store.list(t.type.resource, t.namespace)) if (matches(o)) write('ADDED', o)
    } else {
      for (const e of this.#store.eventsSince(Number(rvParam))) if (e.resource === t.type.resource && matches(e.object)) write(e.type, e.object)
    }
    const unsubscribe = this.#store.subscribe((e) => {
      if (e.resource === t.type.resource && matches(e.object)) write(e.type, e.object)
    })
    const timers: NodeJS.Timeout[] = []
    const finish = () => {
      unsubscribe()
      for (const x of timers) clearTimeout(x)
      this.#watches.delete(res)
    }
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 0)
    if (timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000))
    if (this.opts.dropWatchesAfterMs !== undefined) timers.push(setTimeout(() => res.destroy(), this.opts.dropWatchesAfterMs))
    res.on('close', finish)
    req.on('close', finish)
  }

  #create(t: Target, obj: KObj, dryRun: boolean, manager: string): KObj {
    if (!obj || typeof obj !== 'object') throw new HttpError(400, 'BadRequest', 'the body of the request is not an object')
    const expectedApiVersion = apiVersionOf(t.type)
    if ((obj.kind && obj.kind !== t.type.kind) || (obj.apiVersion && obj.apiVersion !== expectedApiVersion)) {
      throw new HttpError(400, 'BadRequest', `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expectedApiVersion})`)
    }
    obj.metadata ??= {}
    if (t.type.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== t.namespace) throw new HttpError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request')
      obj.metadata.namespace = t.namespace
      this.#requireNamespace(t.namespace!)
    }
    if (!obj.metadata.name && !obj.metadata.generateName) throw invalid(t.type, '', 'metadata.name: Required value: name or generateName is required')
    if (obj.metadata.name && this.#store.get(t.type.resource, t.namespace, obj.metadata.name)) {
      throw new HttpError(409, 'AlreadyExists', `${qualifiedName(t.type)} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, group: t.type.group, kind: t.type.resource })
    }
    obj.apiVersion = expectedApiVersion
    obj.kind = t.type.kind
    if (t.type.subresources.includes('status')) delete obj.status
    const prepared = prepare(t.type, obj)
    validate(t.type, prepared)
    prepared.metadata.managedFields = [{ manager, operation: manager.endsWith('apply') || manager === 'kubectl' ? 'Apply' : 'Update', apiVersion: expectedApiVersion, time: nowIso(), fieldsType: 'FieldsV1', fieldsV1: {} }]
    if (dryRun) {
      const o = clone(prepared)
      o.metadata.uid ??= '00000000-0000-0000-0000-000000000000'
      o.metadata.creationTimestamp ??= nowIso()
      if (t.type.kind !== 'Pod') o.metadata.generation = 1
      return o
    }
    return this.#store.create(t.type.resource, prepared)
  }

  /** Writes `next` over `cur`; the main resource keeps the current status, `/status` changes only the status. */
  #write(t: Target, next: KObj, cur: KObj, dryRun: boolean, statusOnly: boolean): KObj {
    let merged: KObj
    if (statusOnly) merged = { ...cur, status: next.status }
    else {
      merged = { ...next, apiVersion: cur.apiVersion, kind: cur.kind }
      merged.metadata = { ...next.metadata, name: cur.metadata.name, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp, resourceVersion: cur.metadata.resourceVersion }
      if (cur.metadata.namespace) merged.metadata.namespace = cur.metadata.namespace
      if (t.type.subresources.includes('status')) {
        if (cur.status === undefined) delete merged.status
        else merged.status = cur.status
      }
      merged = prepare(t.type, merged)
      validate(t.type, merged)
    }
    if (dryRun) return merged
    return this.#store.update(t.type.resource, merged)
  }

  #apply(res: ServerResponse, t: Target, body: string, q: URLSearchParams, dryRun: boolean): void {
    let applied: KObj
    try {
      applied = parseYaml(body) as KObj
    } catch (err) {
      throw new HttpError(400, 'BadRequest', `error decoding YAML: ${(err as Error).message}`)
    }
    const manager = q.get('fieldManager')
    if (!manager) throw new HttpError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
    if (!applied?.apiVersion || !applied.kind) throw new HttpError(400, 'BadRequest', 'apiVersion and kind must be set in an apply patch')
    if (applied.metadata?.name && applied.metadata.name !== t.name) throw new HttpError(400, 'BadRequest', `the name of the object (${applied.metadata.name}) does not match the name on the URL (${t.name})`)
    const cur = this.#store.get(t.type.resource, t.namespace, t.name!)
    if (!cur) {
      applied.metadata = { ...(applied.metadata ?? {}), name: t.name }
      return send(res, 201, this.#create(t, applied, dryRun, manager))
    }
    const base = t.subresource === 'status' ? cur : { ...cur, status: undefined }
    const mergedRaw = strategicMergePatch(base, { ...applied, metadata: { ...(applied.metadata ?? {}), resourceVersion: undefined } }) as KObj
    if (t.subresource !== 'status') {
      if (cur.status === undefined) delete mergedRaw.status
      else mergedRaw.status = cur.status
    }
    mergedRaw.metadata.resourceVersion = cur.metadata.resourceVersion
    let next = prepare(t.type, mergedRaw)
    validate(t.type, next)
    const strip = (o: KObj) => stableJson({ ...o, metadata: { ...o.metadata, managedFields: undefined } })
    if (strip(next) === strip(cur)) return send(res, 200, cur)
    const mf = (cur.metadata.managedFields ?? []).filter((m: KObj) => !(m.manager === manager && m.operation === 'Apply'))
    next = { ...next, metadata: { ...next.metadata, managedFields: [...mf, { manager, operation: 'Apply', apiVersion: apiVersionOf(t.type), time: nowIso(), fieldsType: 'FieldsV1', fieldsV1: {} }] } }
    if (dryRun) return send(res, 200, next)
    send(res, 200, this.#store.update(t.type.resource, next))
  }

  #table(type: ResourceType, items: KObj[], q: URLSearchParams): KObj {
    const now = Date.now()
    const age = (o: KObj) => humanAge(now - Date.parse(o.metadata.creationTimestamp))
    const col = (name: string, t = 'string', priority = 0, format = '') => ({ name, type: t, format, description: name, priority })
    let columns: KObj[]
    let cells: (o: KObj) => unknown[]
    switch (type.kind) {
      case 'Pod':
        columns = [col('Name', 'string', 0, 'name'), col('Ready'), col('Status'), col('Restarts', 'string'), col('Age'), col('IP', 'string', 1), col('Node', 'string', 1)]
        cells = (o) => {
          const p = printPod(o)
          return [o.metadata.name, p.ready, p.status, String(p.restarts), age(o), o.status?.podIP ?? '<none>', o.spec?.nodeName ?? '<none>']
        }
        break
      case 'Deployment':
        columns = [col('Name', 'string', 0, 'name'), col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), col('Age'), col('Containers', 'string', 1), col('Images', 'string', 1)]
        cells = (o) => [o.metadata.name, `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`, o.status?.updatedReplicas ?? 0, o.status?.availableReplicas ?? 0, age(o), (o.spec?.template?.spec?.containers ?? []).map((c: KObj) => c.name).join(','), (o.spec?.template?.spec?.containers ?? []).map((c: KObj) => c.image).join(',')]
        break
      case 'ReplicaSet':
        columns = [col('Name', 'string', 0, 'name'), col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), col('Age')]
        cells = (o) => [o.metadata.name, o.spec?.replicas ?? 0, o.status?.replicas ?? 0, o.status?.readyReplicas ?? 0, age(o)]
        break
      case 'Certificate': {
        // cert-manager's additionalPrinterColumns.
        columns = [col('Name', 'string', 0, 'name'), col('Ready'), col('Secret'), col('Issuer', 'string', 1), col('Status', 'string', 1), col('Age', 'date')]
        cells = (o) => {
          const ready = (o.status?.conditions ?? []).find((c: KObj) => c.type === 'Ready')
          return [o.metadata.name, ready?.status ?? '', o.spec?.secretName ?? '', o.spec?.issuerRef?.name ?? '', ready?.message ?? '', age(o)]
        }
        break
      }
      case 'Secret':
        columns = [col('Name', 'string', 0, 'name'), col('Type'), col('Data', 'integer'), col('Age')]
        cells = (o) => [o.metadata.name, o.type ?? 'Opaque', Object.keys(o.data ?? {}).length, age(o)]
        break
      case 'Event':
        columns = [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')]
        cells = (o) => [humanAge(now - Date.parse(o.lastTimestamp ?? o.metadata.creationTimestamp)), o.type, o.reason, `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}`, o.message]
        break
      default:
        columns = [col('Name', 'string', 0, 'name'), col('Age')]
        cells = (o) => [o.metadata.name, age(o)]
    }
    const includeObject = q.get('includeObject') ?? 'PartialObjectMetadata'
    return {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: String(this.#store.resourceVersion) },
      columnDefinitions: columns,
      rows: items.map((o) => ({
        cells: cells(o),
        object: includeObject === 'Object' ? o : includeObject === 'None' ? undefined : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
      })),
    }
  }
}

function wantsTable(req: IncomingMessage): boolean {
  const accept = String(req.headers.accept ?? '')
  return /as=Table/.test(accept.split(',')[0] ?? '')
}

function scaleOf(o: KObj): KObj {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
    spec: { replicas: o.spec?.replicas ?? 1 },
    status: { replicas: o.status?.replicas ?? 0, selector: Object.entries(o.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
  }
}

/** Defaulting, as the API server's registry strategies do it. */
function prepare(t: ResourceType, input: KObj): KObj {
  const o = clone(input)
  o.metadata ??= {}
  // Go clients serialise an unset metav1.Time as `creationTimestamp: null`; the server drops it.
  if (o.spec?.template?.metadata && o.spec.template.metadata.creationTimestamp === null) delete o.spec.template.metadata.creationTimestamp
  if (o.metadata.creationTimestamp === null) delete o.metadata.creationTimestamp
  const podSpec = (spec: KObj | undefined) => {
    if (!spec) return
    spec.restartPolicy ??= 'Always'
    spec.dnsPolicy ??= 'ClusterFirst'
    spec.schedulerName ??= 'default-scheduler'
    spec.terminationGracePeriodSeconds ??= 30
    spec.securityContext ??= {}
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      c.imagePullPolicy ??= String(c.image ?? '').endsWith(':latest') || !String(c.image ?? '').includes(':') ? 'Always' : 'IfNotPresent'
      c.terminationMessagePath ??= '/dev/termination-log'
      c.terminationMessagePolicy ??= 'File'
      c.resources ??= {}
    }
  }
  switch (t.kind) {
    case 'Deployment':
      o.spec ??= {}
      o.spec.replicas ??= 1
      o.spec.strategy ??= { type: 'RollingUpdate' }
      if (o.spec.strategy.type === 'RollingUpdate') o.spec.strategy.rollingUpdate = { maxSurge: '25%', maxUnavailable: '25%', ...(o.spec.strategy.rollingUpdate ?? {}) }
      o.spec.revisionHistoryLimit ??= 10
      o.spec.progressDeadlineSeconds ??= 600
      podSpec(o.spec.template?.spec)
      break
    case 'ReplicaSet':
      o.spec ??= {}
      o.spec.replicas ??= 1
      podSpec(o.spec.template?.spec)
      break
    case 'StatefulSet':
      o.spec ??= {}
      o.spec.replicas ??= 1
      o.spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }
      o.spec.podManagementPolicy ??= 'OrderedReady'
      o.spec.revisionHistoryLimit ??= 10
      podSpec(o.spec.template?.spec)
      break
    case 'DaemonSet':
      o.spec ??= {}
      o.spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }
      o.spec.revisionHistoryLimit ??= 10
      podSpec(o.spec.template?.spec)
      break
    case 'Pod':
      podSpec(o.spec)
      break
    case 'Secret':
      o.type ??= 'Opaque'
      if (o.stringData) {
        o.data = { ...(o.data ?? {}) }
        for (const [k, v] of Object.entries(o.stringData)) o.data[k] = Buffer.from(String(v)).toString('base64')
        delete o.stringData
      }
      break
    case 'Service':
      o.spec ??= {}
      o.spec.type ??= 'ClusterIP'
      o.spec.clusterIP ??= `10.96.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`
      o.spec.clusterIPs ??= [o.spec.clusterIP]
      o.spec.sessionAffinity ??= 'None'
      for (const p of o.spec.ports ?? []) {
        p.protocol ??= 'TCP'
        p.targetPort ??= p.port
      }
      break
    case 'Namespace':
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name }
      o.spec ??= { finalizers: ['kubernetes'] }
      break
  }
  return o
}

function invalid(t: ResourceType, name: string, detail: string): HttpError {
  return new HttpError(422, 'Invalid', `${qualifiedKind(t)} "${name}" is invalid: ${detail}`, { name, group: t.group, kind: t.kind, causes: [{ reason: 'FieldValueInvalid', message: detail }] })
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

function validate(t: ResourceType, o: KObj): void {
  const name: string = o.metadata?.name ?? ''
  if (name && (!DNS1123.test(name) || name.length > 253)) {
    throw invalid(t, name, `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`)
  }
  if (['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'].includes(t.kind)) {
    const sel: Record<string, string> | undefined = o.spec?.selector?.matchLabels
    if (!sel || Object.keys(sel).length === 0) throw invalid(t, name, 'spec.selector: Required value')
    const labels = o.spec?.template?.metadata?.labels ?? {}
    if (Object.entries(sel).some(([k, v]) => labels[k] !== v)) throw invalid(t, name, 'spec.template.metadata.labels: Invalid value: map[string]string{...}: `selector` does not match template `labels`')
    const cs: KObj[] = o.spec?.template?.spec?.containers ?? []
    if (cs.length === 0) throw invalid(t, name, 'spec.template.spec.containers: Required value')
    cs.forEach((c, i) => {
      if (!c.name) throw invalid(t, name, `spec.template.spec.containers[${i}].name: Required value`)
      if (!c.image) throw invalid(t, name, `spec.template.spec.containers[${i}].image: Required value`)
    })
    if (typeof o.spec.replicas === 'number' && o.spec.replicas < 0) throw invalid(t, name, `spec.replicas: Invalid value: ${o.spec.replicas}: must be greater than or equal to 0`)
  }
}

/** labelSelector (=, ==, !=, in, notin, exists, !key) and fieldSelector (=, ==, != on dotted paths). */
export function matchesSelectors(o: KObj, labelSelector: string | null, fieldSelector: string | null): boolean {
  const labels: Record<string, string> = o.metadata?.labels ?? {}
  for (const req of splitSelector(labelSelector)) {
    let m: RegExpExecArray | null
    if ((m = /^([^!=\s]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(req))) {
      const vals = m[3]!.split(',').map((s) => s.trim())
      const has = m[1]! in labels && vals.includes(labels[m[1]!]!)
      if (m[2] === 'in' ? !has : has) return false
    } else if ((m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(req))) {
      const eq = labels[m[1]!] === m[3]!.trim()
      if (m[2] === '!=' ? eq : !eq) return false
    } else if (req.startsWith('!')) {
      if (req.slice(1).trim() in labels) return false
    } else if (!(req in labels)) return false
  }
  for (const req of splitSelector(fieldSelector)) {
    const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(req)
    if (!m) continue
    const v = m[1]!.split('.').reduce<any>((acc, k) => (acc == null ? undefined : acc[k]), o)
    const eq = String(v ?? '') === m[3]!.trim()
    if (m[2] === '!=' ? eq : !eq) return false
  }
  return true
}

function splitSelector(s: string | null): string[] {
  if (!s) return []
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur.trim())
      cur = ''
    } else cur += ch
  }
  if (cur.trim()) out.push(cur.trim())
  return out
}

function parseJson(body: string): KObj {
  try {
    return JSON.parse(body) as KObj
  } catch {
    try {
      return parseYaml(body) as KObj
    } catch (err) {
      throw new HttpError(400, 'BadRequest', `error decoding body: ${(err as Error).message}`)
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' })
  res.end(text)
}
