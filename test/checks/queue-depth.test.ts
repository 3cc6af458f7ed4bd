import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { celeryQueueKeys, judgeQueueDepth, queueDepth, type QueueDepthEvidence } from '../../checks/queue-depth.ts'
import { ConfigError, InvalidArgumentError } from '../../lib/errors.ts'
import { Redactor } from '../../lib/redact.ts'
import type { CheckResult } from '../../lib/result.ts'
import type { RunningRedis } from '../../sandbox/data-services.ts'
import { buildChecks } from '../../smoke/build-checks.ts'
import { loadTarget } from '../../smoke/target-file.ts'
import { resolveVariables } from '../../smoke/variables.ts'
import { runCli } from '../helpers/cli.ts'
import { closedPort, noRedis, pythonHas, runPython, withRedis } from '../helpers/services.ts'

const PRODUCER = join(import.meta.dirname, '..', 'fixtures', 'celery', 'producer.py')

describe('celeryQueueKeys (kombu _q_for_pri)', () => {
  it.each([
    ['celery', {}, ['celery', 'celery\x06\x163', 'celery\x06\x166', 'celery\x06\x169']],
    ['work', { sep: ':', prioritySteps: [0, 1, 2] }, ['work', 'work:1', 'work:2']],
    ['work', { keyPrefix: 'app1:' }, ['app1:work', 'app1:work\x06\x163', 'app1:work\x06\x166', 'app1:work\x06\x169']],
  ])('%s %j', (queue, opts, keys) => {
    expect(celeryQueueKeys(queue, opts).map((k) => k.key)).toEqual(keys)
  })
})

describe('judgeQueueDepth', () => {
  const celery = (lengths: number[], unacked = 0) => ({ adapter: 'celery' as const, keys: lengths.map((length, i) => ({ key: `q${i}`, priority: i * 3, length })), unacked, noKeys: lengths.every((l) => l === 0) })
  const zero = { waiting: 0, paused: 0, active: 0, prioritized: 0, delayed: 0, 'waiting-children': 0, failed: 0, completed: 0 }
  const group = (g: string, pending: number, lag: number) => ({ group: g, consumers: 1, pending, lag, lastDeliveredId: '0-0', backlog: pending + lag })
  it.each([
    ['celery within', celery([1, 2, 0, 3], 4), 10, 'pass', 6, /depth 6 within max 10 \(priority 0: 1, priority 3: 2, priority 9: 3; 4 reserved by workers \(unacked, not counted\)\)/],
    ['celery over', celery([600, 500, 0, 0]), 1000, 'fail', 1100, /depth 1100 exceeds max 1000/],
    ['celery drained', celery([0, 0, 0, 0], 2), 0, 'pass', 0, /all priority lists empty/],
    ['bullmq counts only the counted states', { adapter: 'bullmq' as const, counts: { ...zero, waiting: 2, delayed: 1, failed: 9 }, counted: ['waiting', 'delayed'] as ('waiting' | 'delayed')[], queueKnown: true, paused: false }, 3, 'pass', 3, /waiting 2, delayed 1, failed 9 \(not counted\)/],
    ['stream: the worst group', { adapter: 'stream' as const, exists: true, length: 10, groups: [group('a', 2, 3), group('b', 0, 9)] }, 5, 'fail', 9, /depth 9 exceeds max 5 \(a: 2 pending \+ 3 lag, b: 0 pending \+ 9 lag\)/],
    ['stream missing', { adapter: 'stream' as const, exists: false, length: 0, groups: [] }, 5, 'fail', 0, /does not exist/],
    ['stream without groups', { adapter: 'stream' as const, exists: true, length: 4, groups: [] }, 5, 'fail', 0, /no consumer groups/],
  ])('%s', (_name, obs, max, status, depth, message) => {
    const v = judgeQueueDepth(obs, 'q', max)
    expect(v.status).toBe(status)
    expect(v.evidence.depth).toBe(depth)
    expect(v.message).toMatch(message)
  })

  it.each([
    ['paused, failIfPaused off: pass with a warning', false, 'pass', /depth 2 within max 5 .*; queue is paused/],
    ['paused, failIfPaused on: fail', true, 'fail', /^BullMQ queue "q" is paused \(failIfPaused\)/],
  ] as const)('bullmq %s', (_name, failIfPaused, status, message) => {
    const obs = { adapter: 'bullmq' as const, counts: { ...zero, waiting: 2 }, counted: ['waiting'] as 'waiting'[], queueKnown: true, paused: true }
    const v = judgeQueueDepth(obs, 'q', 5, { failIfPaused })
    expect(v.status).toBe(status)
    expect(v.message).toMatch(message)
    expect(v.warnings?.[0]).toMatch(/is paused: workers take no jobs from it until it is resumed \(2 waiting or delayed\)/)
  })

  it('celery: uncounted priority lists are a warning with their depth', () => {
    const obs = { ...celery([6, 0, 0, 0]), uncounted: [{ key: 'q:3', priority: 3, length: 4, separator: ':' }, { key: 'q\x06\x161', priority: 1, length: 1, separator: '\x06\x16' }] }
    const v = judgeQueueDepth(obs, 'q', 100, { sep: '\x06\x16', prioritySteps: [0, 3, 6, 9] })
    expect(v.evidence.depth).toBe(6)
    expect(v.warnings).toEqual([
      '5 messages of queue "q" are in priority lists this check does not count: q:3 (4), q\\x06\\x161 (1); they use the separator ":" (sep is "\\x06\\x16"): set sep: ":"; steps 1 are not in prioritySteps [0, 3, 6, 9]: set prioritySteps to kombu\'s priority_steps',
    ])
  })

  it('warns when no celery key exists (empty, or a wrong name)', () => {
    expect(judgeQueueDepth(celery([0, 0, 0, 0]), 'q', 0).warnings?.[0]).toMatch(/no list exists for queue "q"/)
  })
})

describe.skipIf(noRedis)('queueDepth against a real redis-server', () => {
  let redis: RunningRedis
  let client: Redis
  const hasCelery = pythonHas('celery')
  beforeAll(async () => {
    redis = await withRedis()
    client = new Redis(redis.url)
  })
  afterAll(async () => {
    client?.disconnect()
    await redis?.stop()
  })

  describe('celery: a real Celery producer and kombu\'s own count', () => {
    const celery = async (command: string, queue: string, transport: Record<string, unknown>, arg?: unknown) => {
      const out = await runPython([PRODUCER, `${redis.url}/0`, command, queue, JSON.stringify(transport), ...(arg === undefined ? [] : [typeof arg === 'string' ? arg : JSON.stringify(arg)])])
      if (out.code !== 0) throw new Error(`producer ${command} failed: ${out.stderr}`)
      return JSON.parse(out.stdout.trim().split('\n').pop()!) as { count?: number; got?: number; missing?: string }
    }

    it('priorities 0, 3, 6 and 9 land in kombu\'s priority lists; depth equals queue_declare(passive=True)', async (ctx) => {
      if (!(await hasCelery)) return ctx.skip('python3-celery is not installed for /usr/bin/python3')
      await celery('send', 'work', {}, [0, 3, 6, 9, 9, 1, 4])
      const r = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'work', max: 100 })
      expect(r.status, r.message).toBe('pass')
      expect(r.evidence.depth).toBe(7)
      expect(r.evidence.keys).toEqual([
        { key: 'work', priority: 0, length: 2 },
        { key: 'work\\x06\\x163', priority: 3, length: 2 },
        { key: 'work\\x06\\x166', priority: 6, length: 1 },
        { key: 'work\\x06\\x169', priority: 9, length: 2 },
      ])
      expect((await celery('count', 'work', {})).count).toBe(7)
      expect((await queueDepth({ url: redis.url, adapter: 'celery', queue: 'work', max: 6 })).status).toBe('fail')
    })

    it('changes as messages are consumed; reserved (unacked) messages are reported separately', async (ctx) => {
      if (!(await hasCelery)) return ctx.skip('python3-celery is not installed for /usr/bin/python3')
      expect((await celery('consume', 'work', {}, '3')).got).toBe(3)
      let r = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'work' })
      expect(r.evidence.depth).toBe(4)
      expect((await celery('count', 'work', {})).count).toBe(4)
      expect((await celery('reserve', 'work', {}, '2')).got).toBe(2)
      r = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'work' })
      expect(r.evidence.depth).toBe(2)
      expect(r.evidence.unacked).toBe(2)
      expect((await celery('count', 'work', {})).count).toBe(2)
      expect((await celery('consume', 'work', {}, '5')).got).toBe(2)
      // Drained: kombu itself now reports the queue as missing (Redis deletes empty lists).
      const drained = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'work', max: 0 })
      expect(drained.status, drained.message).toBe('pass')
      expect(drained.evidence.depth).toBe(0)
      expect((await celery('count', 'work', {})).missing).toMatch(/NOT_FOUND/)
    })

    it('honours kombu\'s sep, priority_steps and global_keyprefix transport options', async (ctx) => {
      if (!(await hasCelery)) return ctx.skip('python3-celery is not installed for /usr/bin/python3')
      const transport = { sep: ':', priority_steps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], global_keyprefix: 'tenant1:' }
      await celery('send', 'jobs', transport, [0, 1, 2, 5, 5])
      const r = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'jobs', sep: ':', prioritySteps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], keyPrefix: 'tenant1:' })
      expect(r.evidence.depth).toBe(5)
      expect(r.evidence.keys!.filter((k) => k.length > 0).map((k) => k.key)).toEqual(['tenant1:jobs', 'tenant1:jobs:1', 'tenant1:jobs:2', 'tenant1:jobs:5'])
      // kombu 5.2's passive queue_declare runs EXISTS without the prefix; its _size (what qsize sums) is prefixed.
      expect((await celery('size', 'jobs', transport)).count).toBe(5)
      // With the default options the same queue looks empty, with a warning that says why it might.
      const wrong = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'jobs' })
      expect(wrong.evidence.depth).toBe(0)
      expect(wrong.warnings?.[0]).toMatch(/no list exists/)
    })
  })

  describe('celery: priority lists under another separator or step (kombu publishes, kombu counts)', () => {
    const celery = async (command: string, queue: string, transport: Record<string, unknown>, arg?: unknown) => {
      const out = await runPython([PRODUCER, `${redis.url}/0`, command, queue, JSON.stringify(transport), ...(arg === undefined ? [] : [JSON.stringify(arg)])])
      if (out.code !== 0) throw new Error(`producer ${command} failed: ${out.stderr}`)
      return JSON.parse(out.stdout.trim().split('\n').pop()!) as { count?: number }
    }
    // 20 messages, 6 of them at priority 0 (the bare queue name, the same under every separator).
    const PRIORITIES = [0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 5, 5, 5, 9, 9, 9, 9, 9, 1, 1]
    const ALL_STEPS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]

    it('sep ":" published, default sep checked: 6 of 20 counted, and a warning names the other keys and what they hold', async (ctx) => {
      if (!(await hasCelery)) return ctx.skip('python3-celery is not installed for /usr/bin/python3')
      const transport = { sep: ':', priority_steps: ALL_STEPS }
      await celery('send', 'colon', transport, PRIORITIES)
      expect((await celery('size', 'colon', transport)).count).toBe(20)
      // kombu itself undercounts the same way when told the wrong separator.
      expect((await celery('size', 'colon', {})).count).toBe(6)
      const wrong = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'colon', max: 100 })
      expect(wrong.evidence.depth).toBe(6)
      expect(wrong.evidence.uncountedDepth).toBe(14)
      expect(wrong.evidence.uncountedKeys).toEqual([
        { key: 'colon:1', priority: 1, length: 2, separator: ':' },
        { key: 'colon:3', priority: 3, length: 4, separator: ':' },
        { key: 'colon:5', priority: 5, length: 3, separator: ':' },
        { key: 'colon:9', priority: 9, length: 5, separator: ':' },
      ])
      expect(wrong.warnings?.join('\n')).toMatch(/14 messages of queue "colon" are in priority lists this check does not count: colon:1 \(2\), colon:3 \(4\), colon:5 \(3\), colon:9 \(5\); they use the separator ":" \(sep is "\\x06\\x16"\): set sep: ":"/)
      const right = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'colon', max: 100, sep: ':', prioritySteps: ALL_STEPS })
      expect(right.evidence.depth).toBe(20)
      expect(right.warnings).toBeUndefined()
      expect(right.evidence.uncountedKeys).toBeUndefined()
    })

    it('default sep published, sep ":" checked: the \\x06\\x16 lists are named', async (ctx) => {
      if (!(await hasCelery)) return ctx.skip('python3-celery is not installed for /usr/bin/python3')
      await celery('send', 'ctrl', {}, [0, 3, 3, 6, 9])
      expect((await celery('count', 'ctrl', {})).count).toBe(5)
      const wrong = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'ctrl', sep: ':' })
      expect(wrong.evidence.depth).toBe(1)
      expect(wrong.evidence.uncountedDepth).toBe(4)
      expect(wrong.warnings?.join('\n')).toMatch(/4 messages of queue "ctrl" .*: ctrl\\x06\\x163 \(2\), ctrl\\x06\\x166 \(1\), ctrl\\x06\\x169 \(1\); they use the separator "\\x06\\x16" \(sep is ":"\)/)
    })

    it('priority_steps range(10) published, default steps checked: lists for steps 1, 2, ... are named', async (ctx) => {
      if (!(await hasCelery)) return ctx.skip('python3-celery is not installed for /usr/bin/python3')
      const transport = { priority_steps: ALL_STEPS }
      await celery('send', 'steps', transport, [0, 1, 2, 3, 7])
      expect((await celery('size', 'steps', transport)).count).toBe(5)
      const wrong = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'steps' })
      expect(wrong.evidence.depth).toBe(2)
      expect((await celery('size', 'steps', {})).count).toBe(2)
      expect(wrong.warnings?.join('\n')).toMatch(/3 messages of queue "steps" .*steps\\x06\\x161 \(1\), steps\\x06\\x162 \(1\), steps\\x06\\x167 \(1\); steps 1, 2, 7 are not in prioritySteps \[0, 3, 6, 9\]: set prioritySteps to kombu's priority_steps/)
    })

    it('another queue whose name looks like a priority list (work-2 beside work) is not mistaken for one', async (ctx) => {
      if (!(await hasCelery)) return ctx.skip('python3-celery is not installed for /usr/bin/python3')
      await celery('send', 'jobs-2', {}, [0, 0])
      await celery('send', 'jobs', {}, [0])
      const r = await queueDepth({ url: redis.url, adapter: 'celery', queue: 'jobs' })
      expect(r.evidence.depth).toBe(1)
      expect(r.warnings).toBeUndefined()
    })
  })

  describe('bullmq: a real BullMQ producer', () => {
    const connection = () => ({ host: '127.0.0.1', port: redis.port })

    it('waiting, delayed and prioritized counts equal getJobCounts', async () => {
      const queue = new Queue('emails', { connection: connection() })
      try {
        await queue.add('welcome', { to: 'a' })
        await queue.add('welcome', { to: 'b' })
        await queue.add('welcome', { to: 'c' })
        await queue.add('reminder', { to: 'd' }, { delay: 60_000 })
        await queue.add('reminder', { to: 'e' }, { delay: 60_000 })
        await queue.add('urgent', { to: 'f' }, { priority: 1 })
        await queue.add('urgent', { to: 'g' }, { priority: 5 })
        const expected = await queue.getJobCounts()
        const r = await queueDepth({ url: redis.url, adapter: 'bullmq', queue: 'emails', max: 7 })
        expect(r.status, r.message).toBe('pass')
        for (const [state, n] of Object.entries(expected)) expect(r.evidence.counts![state], state).toBe(n)
        expect(r.evidence.counts).toMatchObject({ waiting: 3, delayed: 2, prioritized: 2 })
        expect(r.evidence.depth).toBe(await queue.count())
        expect((await queueDepth({ url: redis.url, adapter: 'bullmq', queue: 'emails', max: 6 })).status).toBe('fail')
        const onlyWaiting = await queueDepth({ url: redis.url, adapter: 'bullmq', queue: 'emails', states: ['waiting'], max: 100 })
        expect(onlyWaiting.evidence.depth).toBe(3)
      } finally {
        await queue.obliterate({ force: true })
        await queue.close()
      }
    })

    it('failed jobs are counted as BullMQ counts them, and not in the depth by default', async () => {
      const queue = new Queue('flaky', { connection: connection() })
      const worker = new Worker('flaky', async () => {
        throw new Error('boom')
      }, { connection: connection(), autorun: false })
      try {
        await queue.add('job', {})
        const failed = new Promise<void>((resolve) => worker.once('failed', () => resolve()))
        void worker.run()
        await failed
        await worker.close()
        const r = await queueDepth({ url: redis.url, adapter: 'bullmq', queue: 'flaky', max: 0 })
        expect(r.evidence.counts!.failed).toBe((await queue.getJobCounts('failed')).failed)
        expect(r.evidence.counts!.failed).toBe(1)
        expect(r.evidence.depth).toBe(0)
        expect(r.status).toBe('pass')
      } finally {
        await worker.close()
        await queue.obliterate({ force: true })
        await queue.close()
      }
    })

    it('a paused queue says so (evidence paused: true), counts equal getJobCounts; failIfPaused fails it', async () => {
      const queue = new Queue('paused-q', { connection: connection() })
      try {
        await queue.add('job', { n: 1 })
        await queue.add('job', { n: 2 })
        await queue.add('later', { n: 3 }, { delay: 60_000 })
        await queue.pause()
        expect(await queue.isPaused()).toBe(true)
        const expected = await queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active', 'waiting-children', 'failed', 'completed')
        const r = await queueDepth({ url: redis.url, adapter: 'bullmq', queue: 'paused-q', max: 10 })
        for (const [state, n] of Object.entries(expected)) expect(r.evidence.counts![state], state).toBe(n)
        // BullMQ 5+ keeps a paused queue's jobs in wait: the legacy paused list is empty, only the flag tells.
        expect(r.evidence.counts!.paused).toBe(0)
        expect(r.evidence.paused).toBe(true)
        expect(r.status, r.message).toBe('pass')
        expect(r.message).toMatch(/queue is paused/)
        expect(r.warnings?.join('\n')).toMatch(/BullMQ queue "paused-q" is paused: workers take no jobs from it until it is resumed \(3 waiting or delayed\)/)
        const strict = await queueDepth({ url: redis.url, adapter: 'bullmq', queue: 'paused-q', max: 10, failIfPaused: true })
        expect(strict.status).toBe('fail')
        expect(strict.message).toMatch(/^BullMQ queue "paused-q" is paused \(failIfPaused\): workers take no jobs from it until it is resumed; depth 3/)
        await queue.resume()
        const resumed = await queueDepth({ url: redis.url, adapter: 'bullmq', queue: 'paused-q', max: 10, failIfPaused: true })
        expect(resumed.status).toBe('pass')
        expect(resumed.evidence.paused).toBe(false)
        expect(resumed.message).not.toMatch(/paused/)
        expect(resumed.warnings).toBeUndefined()
      } finally {
        await queue.obliterate({ force: true })
        await queue.close()
      }
    })

    it('a queue name that was never used: zero with a warning', async () => {
      const r = await queueDepth({ url: redis.url, adapter: 'bullmq', queue: 'nope', max: 0 })
      expect(r.evidence.depth).toBe(0)
      expect(r.warnings?.[0]).toMatch(/no meta key/)
    })
  })

  describe('stream: consumer groups', () => {
    it('pending and lag per group, as XINFO GROUPS reports them', async () => {
      for (let i = 0; i < 5; i++) await client.xadd('events', '*', 'n', String(i))
      await client.xgroup('CREATE', 'events', 'billing', '0')
      await client.xgroup('CREATE', 'events', 'audit', '$')
      await client.xreadgroup('GROUP', 'billing', 'worker-1', 'COUNT', '2', 'STREAMS', 'events', '>')
      const r = await queueDepth({ url: redis.url, adapter: 'stream', queue: 'events', max: 5 })
      expect(r.status, r.message).toBe('pass')
      const groups = Object.fromEntries(r.evidence.groups!.map((g) => [g.group, g]))
      expect(groups.billing).toMatchObject({ pending: 2, lag: 3, backlog: 5, consumers: 1 })
      expect(groups.audit).toMatchObject({ pending: 0, lag: 0, backlog: 0 })
      expect(r.evidence.depth).toBe(5)
      expect(r.evidence.streamLength).toBe(5)
      expect((await queueDepth({ url: redis.url, adapter: 'stream', queue: 'events', max: 4 })).status).toBe('fail')
      expect((await queueDepth({ url: redis.url, adapter: 'stream', queue: 'events', group: 'audit', max: 0 })).status).toBe('pass')
    })

    it('lag unknown to Redis (after XDEL) is counted from the stream', async () => {
      const ids: string[] = []
      for (let i = 0; i < 4; i++) ids.push((await client.xadd('orders', '*', 'n', String(i)))!)
      await client.xgroup('CREATE', 'orders', 'ship', '0')
      await client.xreadgroup('GROUP', 'ship', 'w', 'COUNT', '1', 'STREAMS', 'orders', '>')
      await client.xdel('orders', ids[2]!)
      const r = await queueDepth({ url: redis.url, adapter: 'stream', queue: 'orders', max: 10 })
      expect(r.evidence.groups![0]).toMatchObject({ pending: 1, lag: 2 })
      expect(r.evidence.groups![0]!.lagAtLeast).toBeUndefined()
      // With a max below the backlog the count stops at max + 1 entries, and says it is a lower bound.
      const bounded = await queueDepth({ url: redis.url, adapter: 'stream', queue: 'orders', max: 0 })
      expect(bounded.status).toBe('fail')
      expect(bounded.evidence.groups![0]).toMatchObject({ lag: 1, lagAtLeast: true })
      expect(bounded.message).toContain('at least 1 lag')
    })

    it('a missing stream, a missing group and a key of the wrong type fail clearly', async () => {
      expect((await queueDepth({ url: redis.url, adapter: 'stream', queue: 'ghost' })).message).toMatch(/stream "ghost" does not exist/)
      expect((await queueDepth({ url: redis.url, adapter: 'stream', queue: 'events', group: 'nobody' })).message).toMatch(/no consumer group "nobody"/)
      await client.set('plain', 'x')
      const wrongType = await queueDepth({ url: redis.url, adapter: 'stream', queue: 'plain' })
      expect(wrongType.status).toBe('fail')
      expect(wrongType.message).toMatch(/is a string, not a stream/)
    })
  })
})

describe('queueDepth when Redis is down', () => {
  it('fails with the reason', async () => {
    const r = await queueDepth({ url: `redis://127.0.0.1:${await closedPort()}`, adapter: 'celery', connectTimeout: 1000 })
    expect(r.status).toBe('fail')
    expect(r.message).toMatch(/ECONNREFUSED/)
  })

  it('rejects bad options', async () => {
    await expect(queueDepth({ url: 'redis://h', adapter: 'bullmq' })).rejects.toThrow(InvalidArgumentError)
    await expect(queueDepth({ url: 'redis://h', adapter: 'kafka' as never, queue: 'x' })).rejects.toThrow(InvalidArgumentError)
    await expect(queueDepth({ url: 'redis://h', adapter: 'celery', max: -1 })).rejects.toThrow(InvalidArgumentError)
    await expect(queueDepth({ url: 'redis://h', adapter: 'bullmq', queue: 'q', states: ['gone' as never] })).rejects.toThrow(InvalidArgumentError)
  })
})

describe.skipIf(noRedis)('the queue-depth kind: options as written on the command line and in target files', () => {
  let redis: RunningRedis
  beforeAll(async () => {
    redis = await withRedis()
    const client = new Redis(redis.url)
    try {
      // kombu's lists for priorities 0, 3 and 5 of queue "cli"; BullMQ's keys of queue "mail".
      await client.rpush('cli', 'a', 'b', 'c')
      await client.rpush('cli\x06\x163', 'd', 'e', 'f', 'g')
      await client.rpush('cli\x06\x165', 'h', 'i')
      await client.rpush('bull:mail:wait', '1', '2')
      await client.rpush('bull:mail:active', '3')
      await client.hset('bull:mail:meta', 'opts.maxLenEvents', '10000')
    } finally {
      client.disconnect()
    }
  })
  afterAll(async () => {
    await redis?.stop()
  })

  const check = async (...args: string[]) => {
    const run = await runCli(['check', 'queue-depth', '--url', redis.url, ...args, '--json'])
    expect(run.code, run.stderr).toBe(0)
    return JSON.parse(run.stdout) as CheckResult<QueueDepthEvidence>
  }

  it('--priority-steps 0,5 (a comma list) reads exactly those priority lists', async () => {
    const r = await check('--adapter', 'celery', '--queue', 'cli', '--priority-steps', '0,5')
    expect(r.evidence.keys!.map((k) => [k.priority, k.length])).toEqual([[0, 3], [5, 2]])
    expect(r.evidence.depth).toBe(5)
  })

  it('--states waiting,active (a comma list) counts exactly those states', async () => {
    const r = await check('--adapter', 'bullmq', '--queue', 'mail', '--states', 'waiting,active')
    expect(r.evidence.counted).toEqual(['waiting', 'active'])
    expect(r.evidence.depth).toBe(3)
  })

  it('a missing queue for bullmq names the flags: exit 2, nothing checked', async () => {
    const run = await runCli(['check', 'queue-depth', '--url', redis.url, '--adapter', 'bullmq'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--adapter: the bullmq adapter needs --queue (the queue name)')
  })

  it('a missing stream key in a target file names the entry path and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbk-queue-kind-'))
    try {
      const file = join(dir, 't.yaml')
      writeFileSync(file, `checks:\n  - id: events\n    kind: queue-depth\n    url: ${redis.url}\n    adapter: stream\n`)
      const loaded = await loadTarget(file)
      const target = resolveVariables(loaded, { env: {}, redactor: new Redactor() })
      let err: unknown
      try {
        buildChecks(loaded, target, { reportDir: dir, redactor: new Redactor() })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).describe()).toContain('checks[0].adapter (line 5): the stream adapter needs queue (the stream key)')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
