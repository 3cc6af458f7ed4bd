/**
 * The simulator's object store: one global resourceVersion counter (as etcd's revision), an event
 * log for watches, and compaction so tests can make old resourceVersions expire (410 Gone).
 */
import { randomUUID } from 'node:crypto'
import { type ResourceType, typeByResource } from './resources.ts'

// Objects are plain JSON as on the wire.
export type KObj = Record<string, any>

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  rv: number
  resource: string
  type: WatchEventType
  object: KObj
}

const EVENT_LOG_LIMIT = 10_000

export function clone<T>(v: T): T {
  return structuredClone(v)
}

export class SimStore {
  #rv = 1000
  #objects = new Map<string, Map<string, KObj>>()
  #log: StoreEvent[] = []
  #compactedRv = 0
  #listeners = new Set<(e: StoreEvent) => void>()

  /** Current (latest) resourceVersion. */
  get resourceVersion(): number {
    return this.#rv
  }

  /** Oldest resourceVersion a watch may still start from; older ones get 410 Gone. */
  get compactedResourceVersion(): number {
    return this.#compactedRv
  }

  /** Makes every resourceVersion handed out so far too old to watch from (like etcd compaction). */
  expireResourceVersions(): void {
    this.#compactedRv = this.#rv + 1
    this.#rv++
    this.#log = []
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.#listeners.add(fn)
    return () => this.#listeners.delete(fn)
  }

  /** Events after `rv` (exclusive), for a watch resuming from it. */
  eventsSince(rv: number): StoreEvent[] {
    return this.#log.filter((e) => e.rv > rv)
  }

  #bucket(resource: string): Map<string, KObj> {
    let m = this.#objects.get(resource)
    if (!m) this.#objects.set(resource, (m = new Map()))
    return m
  }

  get(resource: string, namespace: string | undefined, name: string): KObj | undefined {
    const o = this.#bucket(resource).get(key(namespace, name))
    return o ? clone(o) : undefined
  }

  list(resource: string, namespace?: string): KObj[] {
    const out: KObj[] = []
    for (const o of this.#bucket(resource).values()) if (!namespace || o.metadata?.namespace === namespace) out.push(clone(o))
    return out.sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name))
  }

  /** Stores a new object, filling uid, creationTimestamp, resourceVersion, generation. */
  create(resource: string, obj: KObj): KObj {
    const t = typeByResource(resource)
    const o = clone(obj)
    o.apiVersion ??= t.group ? `${t.group}/${t.version}` : t.version
    o.kind ??= t.kind
    o.metadata ??= {}
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = o.metadata.generateName + randomSuffix()
    if (!t.namespaced) delete o.metadata.namespace
    o.metadata.uid ??= randomUUID()
    o.metadata.creationTimestamp ??= nowIso()
    if (hasGeneration(t)) o.metadata.generation = 1
    o.metadata.resourceVersion = String(++this.#rv)
    this.#bucket(resource).set(key(o.metadata.namespace, o.metadata.name), o)
    this.#emit(resource, 'ADDED', o)
    return clone(o)
  }

  /** Replaces an object. Bumps generation when anything outside metadata/status changed; a no-op write keeps the resourceVersion. */
  update(resource: string, obj: KObj): KObj {
    const t = typeByResource(resource)
    const k = key(obj.metadata.namespace, obj.metadata.name)
    const cur = this.#bucket(resource).get(k)
    if (!cur) throw new Error(`kube-sim: update of missing ${resource} ${k}`)
    const o = clone(obj)
    o.metadata.resourceVersion = cur.metadata.resourceVersion
    o.metadata.generation = cur.metadata.generation
    o.metadata.uid = cur.metadata.uid
    o.metadata.creationTimestamp = cur.metadata.creationTimestamp
    if (stableJson(o) === stableJson(cur)) return clone(cur)
    if (hasGeneration(t) && stableJson(specOf(o)) !== stableJson(specOf(cur))) o.metadata.generation = (cur.metadata.generation ?? 0) + 1
    if (o.metadata.generation === undefined) delete o.metadata.generation
    o.metadata.resourceVersion = String(++this.#rv)
    this.#bucket(resource).set(k, o)
    this.#emit(resource, 'MODIFIED', o)
    return clone(o)
  }

  delete(resource: string, namespace: string | undefined, name: string): KObj | undefined {
    const k = key(namespace, name)
    const cur = this.#bucket(resource).get(k)
    if (!cur) return undefined
    this.#bucket(resource).delete(k)
    const o = clone(cur)
    o.metadata.resourceVersion = String(++this.#rv)
    this.#emit(resource, 'DELETED', o)
    // Garbage collection: dependents go with their owner (foreground/background alike here).
    for (const [res, bucket] of this.#objects) {
      for (const dep of [...bucket.values()]) {
        if (dep.metadata?.ownerReferences?.some((r: KObj) => r.uid === cur.metadata.uid)) this.delete(res, dep.metadata.namespace, dep.metadata.name)
      }
    }
    return o
  }

  #emit(resource: string, type: WatchEventType, o: KObj): void {
    const e: StoreEvent = { rv: Number(o.metadata.resourceVersion), resource, type, object: clone(o) }
    this.#log.push(e)
    if (this.#log.length > EVENT_LOG_LIMIT) {
      const dropped = this.#log.splice(0, this.#log.length - EVENT_LOG_LIMIT)
      this.#compactedRv = Math.max(this.#compactedRv, dropped[dropped.length - 1]!.rv + 1)
    }
    for (const l of this.#listeners) l(e)
  }
}

function hasGeneration(t: ResourceType): boolean {
  return !['Pod', 'Event', 'Secret', 'ConfigMap', 'ServiceAccount', 'Namespace', 'Node', 'Service'].includes(t.kind)
}

/** Everything that is neither metadata nor status (spec, data, rules...). */
function specOf(o: KObj): KObj {
  const { metadata: _m, status: _s, ...rest } = o
  return rest
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`
}

export function nowIso(): string {
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'
export function randomSuffix(n = 5): string {
  let s = ''
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)]
  return s
}

/** JSON with sorted keys, for change detection. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) => (val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b))) : val))
}
