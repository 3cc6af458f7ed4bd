import { describe, expect, it } from 'vitest'
import { UsageError } from '../../lib/errors.ts'
import { DEPLOY_CLUSTER_FAULTS, parseSandboxFaults, SANDBOX_SERVICES, sandboxFaults, sandboxVariables, servicesOf } from '../../sandbox/catalog.ts'
import { FAULTS } from '../../sandbox/faults.ts'
import { startSandboxServices } from '../../sandbox/services.ts'

/** The sandbox's declaration of what it provides is the truth: a started sandbox provides exactly that. */

const provided = (mode: 'smoke' | 'deploy', names: readonly string[]) => names.flatMap((n) => [...SANDBOX_SERVICES[n as keyof typeof SANDBOX_SERVICES].provides, ...SANDBOX_SERVICES[n as keyof typeof SANDBOX_SERVICES].secrets]).filter((v) => sandboxVariables(mode).includes(v))

describe('the sandbox catalog', () => {
  it('every variable has one service (per mode), and the deploy cluster replaces the smoke cluster', () => {
    for (const mode of ['smoke', 'deploy'] as const) {
      const all = servicesOf(mode).flatMap((n) => [...SANDBOX_SERVICES[n].provides, ...SANDBOX_SERVICES[n].secrets])
      expect(new Set(all).size, mode).toBe(all.length)
    }
    expect(servicesOf('smoke')).toEqual(['app', 'postgres', 'redis', 'prometheus', 'cluster'])
    expect(servicesOf('deploy')).toEqual(['app', 'postgres', 'redis', 'prometheus', 'deploy-cluster'])
  })

  it('the runbooks accept the deploy cluster faults first, then the application\'s; the smoke suite the application\'s', () => {
    expect(Object.keys(sandboxFaults('deploy'))).toEqual([...Object.keys(DEPLOY_CLUSTER_FAULTS), ...FAULTS])
    expect(Object.keys(sandboxFaults('smoke'))).toEqual([...FAULTS])
  })

  it.each([
    [['crashloop', 'slow,crashloop'], 'deploy', ['crashloop', 'slow']],
    ['image-pull', 'deploy', ['image-pull']],
    [' slow , ', 'smoke', ['slow']],
  ] as const)('parses %j in %s mode', (input, mode, expected) => {
    expect(parseSandboxFaults(input as string | string[], mode)).toEqual(expected)
  })

  it.each([
    ['crashloop', 'smoke', /"crashloop" exists only for the runbooks \(their deploy cluster\); valid faults here: readiness-503/],
    ['nope', 'deploy', /unknown sandbox fault "nope"; valid faults: crashloop, image-pull, readiness-503/],
    [['nope', 'crashloop'], 'smoke', /unknown sandbox faults "nope", "crashloop"/],
  ] as const)('refuses %j in %s mode', (input, mode, message) => {
    expect(() => parseSandboxFaults(input as string | string[], mode)).toThrow(UsageError)
    expect(() => parseSandboxFaults(input as string | string[], mode)).toThrow(message)
  })

  it('the application alone provides its variables, and says why the others are missing', async () => {
    const sb = await startSandboxServices({ needs: [] })
    try {
      expect([...Object.keys(sb.vars), ...Object.keys(sb.secrets)].sort()).toEqual(provided('smoke', ['app']).sort())
      expect(Object.keys(sb.missing).sort()).toEqual(provided('smoke', ['postgres', 'redis', 'prometheus', 'cluster']).filter((v) => !SANDBOX_SERVICES.postgres.secrets.includes(v)).sort())
      expect(sb.cluster).toBeUndefined()
    } finally {
      await sb.close()
    }
  })

  it('in deploy mode the deploy cluster starts (with its faults) and provides its variables', async () => {
    const sb = await startSandboxServices({ needs: [], faults: ['crashloop'], deployCluster: { namespace: 'production', deployments: ['api'], registry: 'r.test', previousVersion: 'v1' } })
    try {
      expect([...Object.keys(sb.vars), ...Object.keys(sb.secrets)].sort()).toEqual(provided('deploy', ['app', 'deploy-cluster']).sort())
      expect(sb.vars.SANDBOX_RELEASE_FAULT).toBe('CrashLoopBackOff')
      expect(sb.faults).toEqual(['crashloop'])
      expect(sb.cluster).toEqual({ kubeconfig: sb.vars.SANDBOX_KUBECONFIG, namespace: 'production' })
    } finally {
      await sb.close()
    }
  })

  it('a full start provides every variable of the catalog, or says why one is missing', async () => {
    const sb = await startSandboxServices({})
    try {
      const got = new Set([...Object.keys(sb.vars), ...Object.keys(sb.secrets), ...Object.keys(sb.missing)])
      // The database password exists only when PostgreSQL started.
      const expected = sandboxVariables('smoke').filter((v) => v !== 'SANDBOX_DATABASE_PASSWORD' || sb.vars.SANDBOX_DATABASE_URL)
      expect([...got].sort()).toEqual(expected.sort())
    } finally {
      await sb.close()
    }
  }, 90_000)
})
