import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { UsageError } from '../../lib/errors.ts'
import { dependencyGroups, parseShard, selectShard, shardOf } from '../../smoke/shard.ts'
import { planShard } from '../../smoke/shard-plan.ts'

const ids = (n: number, prefix = 'probe-') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}` }))

describe('parseShard', () => {
  it.each([
    ['1/3', { index: 1, total: 3 }],
    ['3/3', { index: 3, total: 3 }],
    [' 2 / 10 ', { index: 2, total: 10 }],
    ['1/1', { index: 1, total: 1 }],
  ])('%j → %j', (text, expected) => {
    expect(parseShard(text)).toEqual(expected)
  })

  it.each(['0/3', '4/3', '1/0', '2', 'a/b', '-1/3', '1.5/3', '1/3/4', '', '1/100000'])('rejects %j as a usage error', (text) => {
    expect(() => parseShard(text)).toThrow(UsageError)
  })
})

describe('shardOf: rendezvous hashing of the id', () => {
  it('is a fixed function of (key, n): these values are part of the contract between shards', () => {
    // Shards of one run may run different builds; if these change, shards of mixed versions disagree
    // (merge reports it). Change them only with a note in the README.
    const table = Object.fromEntries(['health', 'tls', 'webhook.rejects-invalid-signature', 'probe-0', 'probe-1', 'ü-ß'].map((k) => [k, [2, 3, 10].map((n) => shardOf(k, n))]))
    expect(table).toMatchInlineSnapshot(`
      {
        "health": [
          1,
          3,
          3,
        ],
        "probe-0": [
          1,
          1,
          6,
        ],
        "probe-1": [
          2,
          2,
          9,
        ],
        "tls": [
          2,
          2,
          10,
        ],
        "webhook.rejects-invalid-signature": [
          2,
          2,
          5,
        ],
        "ü-ß": [
          2,
          2,
          7,
        ],
      }
    `)
  })

  it.each([1, 2, 3, 7, 10])('puts every check in exactly one of %i shards, in their given order, about evenly', (n) => {
    const items = ids(2000)
    const shards = Array.from({ length: n }, (_, k) => selectShard(items, { index: k + 1, total: n }))
    expect(shards.flat().map((c) => c.id).sort()).toEqual(items.map((c) => c.id).sort())
    for (const s of shards) {
      // In the given order.
      expect(s).toEqual(items.filter((c) => s.includes(c)))
      // Binomial spread: within 25 % of the mean for 2000 items (mean >= 200).
      expect(Math.abs(s.length - 2000 / n)).toBeLessThan(0.25 * (2000 / n))
    }
  })

  it('is stable when checks are added anywhere: no existing check changes shard', () => {
    const before = ids(300)
    const after = [...ids(40, 'new-a-'), ...before.slice(0, 150), ...ids(40, 'new-b-'), ...before.slice(150)]
    for (const n of [2, 3, 5]) {
      const owner = (list: { id: string }[]) => new Map(Array.from({ length: n }, (_, k) => selectShard(list, { index: k + 1, total: n }).map((c) => [c.id, k + 1] as const)).flat())
      const was = owner(before)
      const now = owner(after)
      for (const { id } of before) expect(now.get(id)).toBe(was.get(id))
    }
  })

  it('moves only the checks the new shard wins when n grows (hash mod n would move most of them)', () => {
    const keys = ids(3000).map((c) => c.id)
    const moved = keys.filter((k) => shardOf(k, 3) !== shardOf(k, 4))
    expect(moved.every((k) => shardOf(k, 4) === 4)).toBe(true)
    expect(moved.length / keys.length).toBeGreaterThan(0.2)
    expect(moved.length / keys.length).toBeLessThan(0.3)
  })
})

describe('the group(check) hook keeps dependent checks in one shard', () => {
  // A fake dependency (target files have no chained checks yet): `after` names checks that must run first.
  type Chained = { id: string; after?: string[] }
  const suite: Chained[] = [
    ...ids(60),
    { id: 'order.create' },
    { id: 'order.read', after: ['order.create'] },
    { id: 'order.refund', after: ['order.read'] },
    { id: 'user.signup' },
    { id: 'user.login', after: ['user.signup'] },
    { id: 'cycle-a', after: ['cycle-b'] },
    { id: 'cycle-b', after: ['cycle-a'] },
    { id: 'dangling', after: ['not-in-the-suite'] },
  ]
  const group = dependencyGroups(suite, (c) => c.after ?? [])

  it('keys a chain by its root, a cycle by its smallest id, a lone check by its id', () => {
    expect(['order.create', 'order.read', 'order.refund'].map((id) => group({ id }))).toEqual(['order.create', 'order.create', 'order.create'])
    expect(group({ id: 'user.login' })).toBe('user.signup')
    expect([group({ id: 'cycle-a' }), group({ id: 'cycle-b' })]).toEqual(['cycle-a', 'cycle-a'])
    expect(group({ id: 'dangling' })).toBe('dangling')
    expect(group({ id: 'probe-7' })).toBe('probe-7')
  })

  it.each([2, 3, 4, 5, 8, 13])('with %i shards, each chain lands whole in one shard', (n) => {
    const shards = Array.from({ length: n }, (_, k) => selectShard(suite, { index: k + 1, total: n }, group).map((c) => c.id))
    for (const chain of [['order.create', 'order.read', 'order.refund'], ['user.signup', 'user.login'], ['cycle-a', 'cycle-b']]) {
      const holders = shards.filter((s) => chain.some((id) => s.includes(id)))
      expect(holders).toHaveLength(1)
      expect(chain.every((id) => holders[0]!.includes(id))).toBe(true)
    }
    expect(shards.flat().sort()).toEqual(suite.map((c) => c.id).sort())
  })

  it('appending a step to a chain does not move the chain', () => {
    const longer = [...suite, { id: 'order.archive', after: ['order.refund'] }]
    const g2 = dependencyGroups(longer, (c) => c.after ?? [])
    expect(g2({ id: 'order.read' })).toBe(group({ id: 'order.read' }))
  })
})

describe('planShard on a target file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rbk-shard-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'ten.yaml')
  writeFileSync(file, `name: ten\nbaseUrl: http://127.0.0.1:9\nchecks:\n${Array.from({ length: 10 }, (_, i) => `  - { id: c${i}, kind: http, url: /${i} }`).join('\n')}\n`)
  const shard = (index: number, total: number) => ({ index, total, source: `--shard ${index}/${total}` })

  it('records index, total, the ids in target order, and how many checks it drew from', async () => {
    const plans = await Promise.all([1, 2, 3].map((i) => planShard(file, { cwd: dir, shard: shard(i, 3) })))
    expect(plans.flatMap((p) => p.info.ids).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`).sort())
    for (const p of plans) {
      expect(p.info).toMatchObject({ total: 3, of: 10, source: expect.stringMatching(/^--shard \d\/3$/) })
      expect(p.info.ids).toEqual([...p.info.ids].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))))
    }
  })

  it('shards what --only selected, with the same assignment as without it', async () => {
    const full = await planShard(file, { cwd: dir, shard: shard(2, 3) })
    const only = await planShard(file, { cwd: dir, shard: shard(2, 3), only: ['c1', 'c2', 'c3', 'c4'] })
    expect(only.info.of).toBe(4)
    expect(only.info.ids).toEqual(full.info.ids.filter((id) => ['c1', 'c2', 'c3', 'c4'].includes(id)))
  })

  it('takes a group hook over the target entries: a fake dependency keeps c3 with c7', async () => {
    const group = (entries: readonly { id: string }[]) => dependencyGroups(entries, (e) => (e.id === 'c3' ? ['c7'] : []))
    for (const total of [2, 3, 4, 5]) {
      const plans = await Promise.all(Array.from({ length: total }, (_, k) => planShard(file, { cwd: dir, shard: shard(k + 1, total), group })))
      const holder = plans.filter((p) => p.info.ids.includes('c7'))
      expect(holder).toHaveLength(1)
      expect(holder[0]!.info.ids).toContain('c3')
    }
  })

  it('yields an empty shard when more shards than checks, with the target validated (nothing else will)', async () => {
    const plans = await Promise.all(Array.from({ length: 12 }, (_, k) => planShard(file, { cwd: dir, shard: shard(k + 1, 12) })))
    const empty = plans.filter((p) => p.info.ids.length === 0)
    expect(empty.length).toBeGreaterThanOrEqual(2)
    for (const p of empty) expect(p.emptyTarget?.name).toBe('ten')
    for (const p of plans.filter((p) => p.info.ids.length > 0)) expect(p.emptyTarget).toBeUndefined()
    expect(plans.reduce((n, p) => n + p.info.ids.length, 0)).toBe(10)
  })

  it('names unknown --only ids as a configuration error', async () => {
    await expect(planShard(file, { cwd: dir, shard: shard(1, 2), only: ['c1', 'nope'] })).rejects.toThrow(/--only names unknown check id\(s\): nope/)
  })
})
