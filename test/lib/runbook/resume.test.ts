import { describe, expect, it } from 'vitest'
import { resumeBlocker } from '../../../lib/runbook/resume.ts'
import type { StateStepStatus } from '../../../lib/runbook/state.ts'

describe('resumeBlocker: may --from pass over a step of the saved run?', () => {
  it.each([
    ['pass', undefined],
    ['skip', undefined],
    ['fail', 'failed in run r1, so it must run again: resume from step 2 or earlier'],
    ['error', 'ended with an error in run r1'],
    ['rolled-back', 'was rolled back in run r1 (its changes were undone)'],
    ['undo-failed', 'its undo failed, so its state is unknown: check it by hand'],
    ['dry-run', 'was only a dry run in run r1'],
    ['not-run', 'did not run in run r1'],
  ] as [StateStepStatus, string | undefined][])('%s', (status, message) => {
    const why = resumeBlocker('3', 'r1', 2, 'Apply', { title: 'Apply', status })
    if (message === undefined) expect(why).toBeUndefined()
    else expect(why).toContain(message)
  })

  it('a step missing from the saved run, or retitled since, must run again', () => {
    expect(resumeBlocker('3', 'r1', 2, 'Apply', undefined)).toBe('cannot resume --from 3: step 2 "Apply" did not run in run r1, so it must run again: resume from step 2 or earlier')
    expect(resumeBlocker('3', 'r1', 2, 'Apply', { title: 'Apply manifests', status: 'pass' })).toContain('was "Apply manifests" in run r1: the procedure changed since')
  })
})
