/**
 * Many suites skip themselves (with the reason) when a real server or tool is not installed, so that
 * a developer without, say, Prometheus can still run the rest. In CI that would hide a broken install
 * step behind a green run: there, every tool the suites use must be present.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const has = (cmd: string, args: string[] = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0

// Runs only in CI (`.ci/run` sets CI=true and installs these); elsewhere the suites' own skips apply.
describe.runIf(process.env.CI)('CI has every tool the test suites need (else they would be skipped silently)', () => {
  it.each([
    ['xmllint (libxml2-utils)', () => has('xmllint', ['--version'])],
    ['openssl', () => has('openssl', ['version'])],
    ['PostgreSQL 15 server', () => existsSync('/usr/lib/postgresql/15/bin/initdb') && existsSync('/usr/lib/postgresql/15/bin/postgres')],
    ['redis-server', () => has('redis-server', ['--version'])],
    ['Alembic for /usr/bin/python3 (python3-alembic)', () => has('/usr/bin/python3', ['-c', 'import alembic, psycopg2'])],
    ['Celery and redis-py for /usr/bin/python3 (python3-celery, python3-redis)', () => has('/usr/bin/python3', ['-c', 'import celery, redis'])],
    ['prometheus', () => has('prometheus', ['--version'])],
    ['promtool (prometheus)', () => has('promtool', ['--version'])],
    ['chromium', () => existsSync('/usr/bin/chromium')],
    ['kubectl', () => has('kubectl', ['version', '--client'])],
  ])('%s', (_name, present) => {
    expect(present()).toBe(true)
  })
})
