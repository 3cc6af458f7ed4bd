/**
 * runbook-kit's public API. Everything a runbook, a CI script or another tool imports comes from here.
 */
export { runChecks, RUNNER_DEFAULTS } from './lib/runner.ts'
export type { CheckSpec, RunnerEvent, RunOptions, RunOutcome } from './lib/runner.ts'
export { eventually } from './lib/eventually.ts'
export type { EventuallyOptions } from './lib/eventually.ts'
export { timed, summarize } from './lib/result.ts'
export type { Attempt, CheckMeta, CheckResult, Status, Verdict } from './lib/result.ts'
export { ConfigError, InterruptedError, InvalidArgumentError, RunbookKitError, TimeoutError, UsageError } from './lib/errors.ts'
export { Redactor, redactor, maskUrlPasswords } from './lib/redact.ts'
export { parseDuration } from './lib/duration.ts'
export { runSmoke } from './smoke/run.ts'
export type { SmokeOptions, SmokeOutcome } from './smoke/run.ts'
export { loadTarget, targetSchema } from './smoke/target.ts'
export * from './checks/index.ts'
export { sign as signWebhook, verify as verifyWebhook } from './lib/webhook-signing.ts'
export { applyManifests, upsertSecretFromEnv, setImage, restartRollout, rolloutUndo } from './lib/kube-actions.ts'
export { createKubeClient, loadKubeConfig } from './lib/kube.ts'
