import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findLatestState, writeState } from '../../../lib/runbook/state.ts'

describe('findLatestState (the default --state)', () => {
  it('skips runs that changed nothing: refused or configuration errors', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rbk-state-'))
    const write = async (name: string, finishedAt: string, verdict: string, statuses: string[]) => {
      const dir = join(root, name)
      mkdirSync(dir)
      await writeState(dir, {
        schemaVersion: 2,
        runbook: 'deploy',
        target: 'staging',
        runId: name,
        finishedAt,
        verdict,
        steps: statuses.map((status, i) => ({ index: i + 1, title: `step ${i + 1}`, status }) as never),
      })
    }
    await write('a-real-failure', '2026-11-22T01:00:00Z', 'failed', ['pass', 'fail', 'not-run'])
    await write('b-refused', '2026-11-22T01:05:00Z', 'config-error', ['not-run', 'not-run', 'not-run'])
    await write('c-nothing-ran', '2026-11-22T01:06:00Z', 'failed', ['not-run', 'not-run', 'not-run'])
    expect(await findLatestState(root, 'deploy', 'staging')).toBe(join(root, 'a-real-failure'))
    expect(await findLatestState(root, 'deploy', 'production')).toBeUndefined()
  })
})
