import { createHash } from 'node:crypto'
import { UsageError } from '../lib/errors.ts'

/**
 * Which checks a shard runs (`smoke --shard i/n`). Pure.
 *
 * Assignment is rendezvous (highest-random-weight) hashing of each check's group key (its id unless a
 * `group` hook says otherwise): every shard 1..n gets a weight for the key and the heaviest shard takes
 * the check. Why not a position (`index mod n`): inserting a check would move every check after it.
 * Why not `hash(id) mod n`: it is as stable when checks are added, but changing n from 3 to 4 moves about
 * three quarters of the checks; with rendezvous hashing only the ~1/4 that the new shard wins move, so a
 * shard's history (its flaky checks, its duration) survives resizing the matrix. The cost is n weights
 * per check, a few integer operations each.
 *
 * The weight, so that other tools can reproduce it: take the first two big-endian 32-bit words `hi`, `lo`
 * of SHA-256(key as UTF-8); for shard k (1-based) the weight is `fmix32(lo XOR fmix32((hi + k) mod 2^32))`,
 * fmix32 being MurmurHash3's 32-bit finalizer; the highest weight wins, a tie goes to the lower k.
 */

/** One share of a run: shard `index` of `total`, 1-based like `--shard 2/3`. */
export interface Shard {
  index: number
  total: number
}

/** Maps a check to the key it is sharded by. Checks with the same key always land in the same shard. */
export type GroupKey<T> = (check: T) => string

/** Largest shard count accepted: far beyond any CI matrix, small enough to catch a typo like `1/30000`. */
export const MAX_SHARDS = 1000

/** Parses `i/n` (1-based: `1/3`, `2/3`, `3/3`); a bad value is a usage error that says what is expected. */
export function parseShard(text: string, what = '--shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  if (!m) throw new UsageError(`${what} must be i/n with 1 <= i <= n (e.g. 2/3), got "${text}"`)
  return checkShard(Number(m[1]), Number(m[2]), what)
}

/** Validates a shard's numbers (1 <= index <= total <= MAX_SHARDS); `what` names where they came from. */
export function checkShard(index: number, total: number, what: string): Shard {
  if (!Number.isSafeInteger(total) || total < 1 || total > MAX_SHARDS) throw new UsageError(`${what}: the shard count must be an integer from 1 to ${MAX_SHARDS}, got ${total}`)
  if (!Number.isSafeInteger(index) || index < 1 || index > total) throw new UsageError(`${what}: the shard index must be from 1 to ${total}, got ${index}`)
  return { index, total }
}

/** The shard (1..total) that owns `key`. */
export function shardOf(key: string, total: number): number {
  const digest = createHash('sha256').update(key, 'utf8').digest()
  const hi = digest.readUInt32BE(0)
  const lo = digest.readUInt32BE(4)
  let best = 1
  let bestWeight = -1
  for (let k = 1; k <= total; k++) {
    const w = fmix32((lo ^ fmix32((hi + k) >>> 0)) >>> 0)
    if (w > bestWeight) {
      best = k
      bestWeight = w
    }
  }
  return best
}

/** The items of `shard`, in their given order. Every item is in exactly one of the shards 1..total. */
export function selectShard<T extends { id: string }>(items: readonly T[], shard: Shard, group: GroupKey<T> = (c) => c.id): T[] {
  const owner = new Map<string, number>()
  return items.filter((item) => {
    const key = group(item)
    let s = owner.get(key)
    if (s === undefined) owner.set(key, (s = shardOf(key, shard.total)))
    return s === shard.index
  })
}

/**
 * A `GroupKey` that keeps checks connected by dependencies together (for chained checks: a check that
 * reads what an earlier one wrote must run in the same process). The key of a connected group is its
 * root: the smallest id among its members that depend on nothing inside the group (the smallest id of
 * all when the group is a cycle). So appending a step to a chain does not move the chain; only a new
 * root that sorts first does. Dependencies on ids that are not among `items` are ignored.
 */
export function dependencyGroups<T extends { id: string }>(items: readonly T[], dependsOn: (item: T) => readonly string[]): GroupKey<T> {
  const parent = new Map<string, string>(items.map((i) => [i.id, i.id]))
  const find = (id: string): string => {
    let root = id
    while (parent.get(root) !== root) root = parent.get(root)!
    // Path compression: later look-ups are one step.
    for (let cur = id; cur !== root; ) {
      const next = parent.get(cur)!
      parent.set(cur, root)
      cur = next
    }
    return root
  }
  const deps = new Map(items.map((i) => [i.id, dependsOn(i).filter((d) => parent.has(d) && d !== i.id)]))
  for (const [id, ds] of deps) for (const d of ds) parent.set(find(id), find(d))
  const members = new Map<string, string[]>()
  for (const { id } of items) {
    const r = find(id)
    members.set(r, [...(members.get(r) ?? []), id])
  }
  const keyOf = new Map<string, string>()
  for (const ids of members.values()) {
    const sorted = [...ids].sort()
    const roots = sorted.filter((id) => (deps.get(id) ?? []).length === 0)
    const key = roots[0] ?? sorted[0]!
    for (const id of ids) keyOf.set(id, key)
  }
  return (item) => keyOf.get(item.id) ?? item.id
}

/** MurmurHash3's 32-bit finalizer: a cheap, well-mixed bijection on 32-bit integers. */
function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
