/**
 * A minimal OpenAPI v3 surface: enough for kubectl to find that PATCH/POST accept `fieldValidation`
 * (so `kubectl apply` validates on the server instead of downloading full schemas).
 */
import { RESOURCE_TYPES } from './resources.ts'

const QUERY = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string' }, uniqueItems: true }))

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`
}

export function openApiV3Root(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {}
  for (const t of RESOURCE_TYPES) {
    const p = gvPath(t.group, t.version)
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=kube-sim` }
  }
  return { paths }
}

export function openApiV3Doc(path: string): object | undefined {
  const types = RESOURCE_TYPES.filter((t) => gvPath(t.group, t.version) === path)
  if (types.length === 0) return undefined
  const paths: Record<string, object> = {}
  const schemas: Record<string, object> = {}
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind }
    const schemaName = `${t.group || 'core'}.${t.version}.${t.kind}`
    schemas[schemaName] = { type: 'object', 'x-kubernetes-group-version-kind': [gvk] }
    const base = t.namespaced ? `/${path}/namespaces/{namespace}/${t.resource}` : `/${path}/${t.resource}`
    const op = (verb: string) => ({ operationId: `${verb}${t.kind}`, parameters: QUERY, 'x-kubernetes-action': verb, 'x-kubernetes-group-version-kind': gvk, responses: { '200': { description: 'OK' } } })
    paths[base] = { post: op('post'), get: { ...op('list'), parameters: [] } }
    paths[`${base}/{name}`] = { patch: op('patch'), put: op('put'), get: { ...op('get'), parameters: [] }, delete: op('delete') }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes (kube-sim)', version: 'v1.32.4' }, paths, components: { schemas } }
}
