/**
 * The patch types kubectl and client libraries send: JSON merge patch (RFC 7386), strategic merge
 * patch (the subset kubectl set image / rollout restart / rollout undo send: lists of named
 * objects merged by name, `$patch: replace|delete`, `$setElementOrder` and `$retainKeys` directives
 * ignored), JSON patch (RFC 6902).
 */
import { clone, type KObj } from './store.ts'

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch)
  const out: KObj = isObj(target) ? clone(target) : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

/** Keys whose list items are merged by this field in strategic merge patch. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  conditions: 'type',
  tolerations: 'key',
}

export function strategicMergePatch(target: unknown, patch: unknown, field = ''): unknown {
  if (Array.isArray(patch)) {
    const mk = MERGE_KEYS[field]
    if (!mk || !Array.isArray(target) || !patch.every(isObj)) return clone(patch.filter((p) => !(isObj(p) && p.$patch === 'delete')))
    const out = clone(target) as KObj[]
    for (const item of patch as KObj[]) {
      const idx = out.findIndex((o) => isObj(o) && o[mk] === item[mk])
      if (item.$patch === 'delete') {
        if (idx >= 0) out.splice(idx, 1)
      } else if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item) as KObj
      else out.push(stripDirectives(item) as KObj)
    }
    return out
  }
  if (!isObj(patch)) return clone(patch)
  if (patch.$patch === 'replace') return stripDirectives(patch)
  const out: KObj = isObj(target) ? clone(target) : {}
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue
    if (v === null) delete out[k]
    else out[k] = strategicMergePatch(out[k], v, k)
  }
  return out
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives)
  if (!isObj(v)) return v
  const out: KObj = {}
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x)
  return out
}

export class PatchError extends Error {}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations')
  let doc = clone(target)
  for (const op of ops as KObj[]) {
    const path = parsePointer(String(op.path ?? ''))
    switch (op.op) {
      case 'add':
        doc = setAt(doc, path, clone(op.value), 'add')
        break
      case 'replace':
        if (getAt(doc, path) === undefined) throw new PatchError(`replace operation does not apply: doc is missing key: ${op.path}`)
        doc = setAt(doc, path, clone(op.value), 'replace')
        break
      case 'remove':
        if (getAt(doc, path) === undefined) throw new PatchError(`remove operation does not apply: doc is missing path: ${op.path}`)
        doc = removeAt(doc, path)
        break
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op.value)) throw new PatchError(`testing value ${op.path} failed`)
        break
      case 'copy':
      case 'move': {
        const from = parsePointer(String(op.from ?? ''))
        const v = clone(getAt(doc, from))
        if (op.op === 'move') doc = removeAt(doc, from)
        doc = setAt(doc, path, v, 'add')
        break
      }
      default:
        throw new PatchError(`unsupported json patch operation ${String(op.op)}`)
    }
  }
  return doc
}

function parsePointer(p: string): string[] {
  if (p === '') return []
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function getAt(doc: unknown, path: string[]): unknown {
  let cur: any = doc
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = cur[k]
  }
  return cur
}

function setAt(doc: unknown, path: string[], value: unknown, mode: 'add' | 'replace'): unknown {
  if (path.length === 0) return value
  const parent = getAt(doc, path.slice(0, -1))
  const last = path[path.length - 1]!
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last)
    if (mode === 'add') parent.splice(i, 0, value)
    else parent[i] = value
  } else if (isObj(parent)) parent[last] = value
  else throw new PatchError(`path /${path.join('/')} does not exist`)
  return doc
}

function removeAt(doc: unknown, path: string[]): unknown {
  const parent = getAt(doc, path.slice(0, -1))
  const last = path[path.length - 1]!
  if (Array.isArray(parent)) parent.splice(Number(last), 1)
  else if (isObj(parent)) delete parent[last]
  return doc
}

function isObj(v: unknown): v is KObj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
