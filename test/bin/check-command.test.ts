import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox, type Sandbox } from '../../sandbox/index.ts'
import type { CheckResult } from '../../lib/result.ts'
import { runCli } from '../helpers/cli.ts'

let good: Sandbox
let forged: Sandbox
let expired: Sandbox
const secret = 'check-cmd-secret-3b9f0d2a71'
beforeAll(async () => {
  ;[good, forged, expired] = await Promise.all([
    startSandbox({ webhookSecret: secret }),
    startSandbox({ webhookSecret: secret, faults: ['accept-bad-signature'] }),
    startSandbox({ webhookSecret: secret, faults: ['expired-cert'] }),
  ])
})
afterAll(async () => {
  await Promise.all([good?.close(), forged?.close(), expired?.close()])
})

describe('runbook-kit check <kind> (one-off checks from a terminal)', () => {
  it('check tls host:port --ca --min-days: verdict, evidence, exit 0', async () => {
    const run = await runCli(['check', 'tls', `localhost:${good.httpsPort}`, '--ca', good.caFile, '--min-days', '14'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/PASS\s+check\.tls/)
    expect(run.stdout).toMatch(/daysLeft: \d+/)
    expect(run.stdout).toMatch(/^1 passed, 0 failed$/m)
  })

  it('check tls on an expired certificate: exit 1 with the finding', async () => {
    const run = await runCli(['check', 'tls', `localhost:${expired.httpsPort}`, '--ca', expired.caFile])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/FAIL\s+check\.tls/)
    expect(run.stdout).toContain('certificate expired')
  })

  it('check http --status --json prints the CheckResult as JSON', async () => {
    const run = await runCli(['check', 'http', `${good.httpsUrl}/api/v1/ready`, '--status', '200', '--ca', good.caFile, '--json'])
    expect(run.code).toBe(0)
    const result = JSON.parse(run.stdout) as CheckResult<{ status: number }>
    expect(result).toMatchObject({ id: 'check.http', kind: 'http', status: 'pass', attempts: 1 })
    expect(result.evidence.status).toBe(200)
    expect(typeof result.durationMs).toBe('number')
  })

  it('check http with the wrong expected status fails with the reason', async () => {
    const run = await runCli(['check', 'http', `${good.httpsUrl}/api/v1/ready`, '--status', '204', '--ca', good.caFile])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('expected status 204, got 200')
  })

  it('check webhook --secret-env: passes, and the secret value appears nowhere in the output', async () => {
    const run = await runCli(['check', 'webhook', `${good.httpsUrl}/webhook/servicedesk`, '--scheme', 'hmac-sha256-hex', '--secret-env', 'RBK_TEST_WEBHOOK_SECRET', '--ca', good.caFile, '--json'], {
      env: { RBK_TEST_WEBHOOK_SECRET: secret },
    })
    expect(run.code).toBe(0)
    expect(run.stdout + run.stderr).not.toContain(secret)
    const result = JSON.parse(run.stdout) as CheckResult<{ jobId?: string }>
    expect(result.evidence.jobId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('check webhook --expect rejects-invalid against an endpoint that accepts forgeries: exit 1', async () => {
    const run = await runCli(['check', 'webhook', `${forged.httpsUrl}/webhook/servicedesk`, '--expect', 'rejects-invalid', '--secret-env', 'RBK_TEST_WEBHOOK_SECRET', '--ca', forged.caFile], {
      env: { RBK_TEST_WEBHOOK_SECRET: secret },
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('ACCEPTS forged webhooks')
    expect(run.stdout + run.stderr).not.toContain(secret)
  })

  it('an option the kind does not have is a usage error: exit 2, nothing checked', async () => {
    const run = await runCli(['check', 'webhook', `${good.httpsUrl}/webhook/servicedesk`, '--secret-env', 'RBK_TEST_WEBHOOK_SECRET', '--insecure-skip'], {
      env: { RBK_TEST_WEBHOOK_SECRET: secret },
    })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('unknown option --insecure-skip')
  })

  it('a --timeout shorter than the phase timeouts still names the phase that hung', async () => {
    const { createServer } = await import('node:net')
    const silent = createServer(() => {}) // accepts TCP, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    const port = (silent.address() as { port: number }).port
    try {
      const run = await runCli(['check', 'http', `http://127.0.0.1:${port}/`, '--timeout', '1s'])
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(/headers timed out after (8|9)\d\d ms/)
    } finally {
      silent.close()
    }
  })

  it('check metrics --require: exit 0 and names the family', async () => {
    const run = await runCli(['check', 'metrics', `${good.httpsUrl}/metrics`, '--require', 'http_requests_total', '--ca', good.caFile])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('http_requests_total')
  })

  it.each([
    [['check', 'nosuchkind'], /unknown check kind "nosuchkind"/],
    [['check', 'http'], /--url: required/],
    [['check', 'http', 'ftp://127.0.0.1:9/'], /--url: must be an http:\/\/ or https:\/\/ URL/],
    [['check', 'http', 'https://127.0.0.1:9/', '--connect-timeout', '-5'], /^\s+- --connect-timeout: must be a duration: 500ms, 10s, 2m, 1m30s, or a number of milliseconds \(more than 0\)$/m],
    [['check', 'webhook', 'https://127.0.0.1:9/x', '--secret-env', 'RBK_TEST_UNSET_VAR'], /environment variable RBK_TEST_UNSET_VAR is not set/],
    [['check', 'http', 'https://127.0.0.1:9/', '--status', 'ok'], /--status|expect\.status/],
  ])('usage and configuration errors exit 2: %j', async (args, message) => {
    const run = await runCli(args)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
  })

  it('--help lists every kind; check <kind> --help lists its options with defaults', async () => {
    const all = await runCli(['check', '--help'])
    expect(all.code).toBe(0)
    for (const kind of ['http', 'tls', 'webhook', 'metrics', 'postgres', 'kube-rollout', 'prom-query', 'browser']) expect(all.stdout).toMatch(new RegExp(`^  ${kind}\\s`, 'm'))
    const tls = await runCli(['check', 'tls', '--help'])
    expect(tls.stdout).toContain('--min-days')
    expect(tls.stdout).toContain('--ca')
  })
})
