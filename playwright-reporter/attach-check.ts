import type { TestInfo } from '@playwright/test'
import type { CheckResult } from '../lib/result.ts'

/** Content type of attachments that carry a runbook-kit CheckResult (the reporter lists them under `evidence.checks`). */
export const CHECK_ATTACHMENT_TYPE = 'application/vnd.runbook-kit.check+json'

/** Attaches a runbook-kit check result to the running Playwright test, for the runbook-kit reporter. */
export async function attachCheck(testInfo: Pick<TestInfo, 'attach'>, result: CheckResult<any>): Promise<void> {
  await testInfo.attach(`check ${result.id}`, { body: JSON.stringify(result), contentType: CHECK_ATTACHMENT_TYPE })
}
