// The runbook engine: numbered, recorded steps with confirmations, rollback, resume and reports.
export { runbook } from './engine.ts'
export type { OpenRunbookEnvironmentOptions, Runbook, RunbookEnvironment, RunbookOptions, StepContext, StepOptions } from './types.ts'
export type { RunbookEvent } from './view.ts'
export { resumeBlocker } from './resume.ts'
export type { RunbookFlags, RunbookOptionSpec } from './args.ts'
export type { PreflightRequirements, ToolRequirement } from './preflight.ts'
export type { PromptIo } from './prompt.ts'
export type { RecordingShell } from './shell.ts'
