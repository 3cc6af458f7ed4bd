import { abortReason } from './cleanup.ts'
import { parseSandboxFaults, SANDBOX_SERVICES, servicesOf, type SandboxMode, type SandboxServiceName } from './catalog.ts'
import type { DeployClusterOptions } from './deploy-cluster.ts'
import type { Fault } from './faults.ts'
import type { KObj } from './kube-sim/index.ts'
import { startSandbox, type Sandbox, type SandboxOptions } from './sandbox.ts'
import {
  findPostgresBinaries,
  findRedisServer,
  NO_POSTGRES_REASON,
  NO_REDIS_REASON,
  SANDBOX_CELERY_QUEUE,
  SANDBOX_MIGRATIONS_DIR,
  seedSandboxData,
  startPostgres,
  startRedis,
} from './data-services.ts'
import { startPrometheus } from './prometheus.ts'

/** The simulated cluster's release, as the smoke suite's Kubernetes checks expect to find it. */
export const SANDBOX_CLUSTER = Object.freeze({
  namespace: 'production',
  deployments: ['ai-agents-api', 'ai-agents-worker'],
  registry: 'registry.sandbox.test/ai-agents',
  version: 'v1.0.0',
  secret: 'servicedesk-credentials',
  certificate: 'api-tls-cert',
  ingress: 'ai-agents-ingress',
})

export interface SandboxServicesOptions extends Omit<SandboxOptions, 'faults'> {
  /**
   * Variables the caller needs (e.g. what the selected checks `requires`): a service that provides
   * none of them is not started (see SANDBOX_SERVICES). The application always starts. Default: every
   * service that can start.
   */
  needs?: readonly string[]
  /** Faults, of the application and (in deploy mode) of the deploy cluster. Unknown names: UsageError. */
  faults?: readonly string[]
  /**
   * Deploy mode, for the runbooks: their production cluster (prerequisites and the previous release
   * rolled out) instead of the smoke suite's cluster. See DeployClusterRequest.
   */
  deployCluster?: DeployClusterRequest
  /** Environment for SANDBOX_DATABASE_URL / SANDBOX_REDIS_URL. Default process.env. */
  env?: Record<string, string | undefined>
  /**
   * Aborting it (Ctrl-C while the sandbox starts) stops the start: whatever started is stopped, its
   * temp folders removed, and the start rejects with the signal's reason.
   */
  signal?: AbortSignal
}

/** The runbooks' deploy cluster: where the release lives, and optionally objects to seed once the sandbox is up. */
export interface DeployClusterRequest extends Omit<DeployClusterOptions, 'faults'> {
  /**
   * Objects put into the cluster once every service is up (e.g. a target's manifests at
   * deploy.version, as a finished deploy leaves them, for the rollback runbook). Gets the sandbox's
   * variables, secrets included. The release has rolled out when the start resolves.
   */
  seed?: (vars: Readonly<Record<string, string>>) => Promise<readonly KObj[]>
}

export interface SandboxServices {
  app: Sandbox
  /** The mode it runs in: `deploy` when started with `deployCluster`. */
  mode: SandboxMode
  /**
   * Variables for target files (SANDBOX_SERVICES says which service provides which): the
   * application's always, the others' when started. Secrets are in `secrets`, not here.
   */
  vars: Record<string, string>
  /** Secret values by variable name (WEBHOOK_SECRET, SANDBOX_ADMIN_PASSWORD, ...); register them for redaction. */
  secrets: Record<string, string>
  /** Why a service variable is missing, e.g. `SANDBOX_DATABASE_URL` → "no PostgreSQL server found: ...". */
  missing: Record<string, string>
  /** The faults in force. */
  faults: string[]
  /** The simulated cluster, when one runs (the smoke suite's or the deploy cluster). */
  cluster?: { kubeconfig: string; namespace: string }
  /** Stops every service and removes its temp folders. Safe to call twice. */
  close(): Promise<void>
}

/**
 * The sandbox: the demo application, and — when needed and their programs are installed — PostgreSQL
 * and Redis seeded like a deployed release (Alembic head, RLS tables, queued Celery messages), a
 * Prometheus scraping the application, and a Kubernetes API simulator (the smoke suite's, with the
 * release rolled out, or in deploy mode the runbooks' production cluster). What cannot start is
 * reported in `missing`, so the checks that need it are skipped with the reason instead of failing.
 */
export async function startSandboxServices(opts: SandboxServicesOptions = {}): Promise<SandboxServices> {
  const mode: SandboxMode = opts.deployCluster ? 'deploy' : 'smoke'
  const faults = parseSandboxFaults(opts.faults, mode)
  const appFaults = faults.filter((f) => Object.hasOwn(SANDBOX_SERVICES.app.faults, f)) as Fault[]
  const wanted = new Set<SandboxServiceName>(
    servicesOf(mode).filter((n) => {
      const s = SANDBOX_SERVICES[n]
      return s.starts !== 'needed' || !opts.needs || [...s.provides, ...s.secrets].some((v) => opts.needs!.includes(v))
    }),
  )
  const { signal } = opts
  signal?.throwIfAborted()
  const app = await startSandbox({ ...opts, faults: appFaults })
  const closers: (() => Promise<void>)[] = [() => app.close()]
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined)
    closers.length = 0
  }
  const vars: Record<string, string> = { ...app.vars, SANDBOX_MIGRATIONS_DIR, SANDBOX_CELERY_QUEUE }
  const secrets: Record<string, string> = { WEBHOOK_SECRET: app.webhookSecret, SANDBOX_ADMIN_PASSWORD: app.adminPassword }
  const missing: Record<string, string> = {}
  let cluster: SandboxServices['cluster']
  let seedCluster: ((objs: readonly KObj[]) => Promise<void>) | undefined
  for (const n of servicesOf(mode)) if (!wanted.has(n)) for (const v of SANDBOX_SERVICES[n].provides) missing[v] = `${n} not started (nothing selected needs it)`
  // A service that fails to start is reported in `missing`; an interrupted start is not a failure of it.
  const unlessAborted = (err: unknown) => {
    if (signal?.aborted) throw abortReason(signal)
    return err as Error
  }
  try {
    signal?.throwIfAborted()
    const tasks: Promise<void>[] = []
    const env = opts.env ?? process.env
    // A throwaway server named by SANDBOX_DATABASE_URL / SANDBOX_REDIS_URL is used (and seeded) instead of a
    // local one. Never DATABASE_URL / REDIS_URL: those usually name a database someone cares about.
    if (wanted.has('postgres')) {
      tasks.push(
        (async () => {
          const external = env.SANDBOX_DATABASE_URL || undefined
          const pg = findPostgresBinaries()
          if (!pg.found && !external) return void (missing.SANDBOX_DATABASE_URL = NO_POSTGRES_REASON)
          const db = external ? undefined : await startPostgres({ ...(signal ? { signal } : {}) }).catch((err: unknown) => void (missing.SANDBOX_DATABASE_URL = `PostgreSQL did not start: ${unlessAborted(err).message}`))
          if (db) closers.push(() => db.stop())
          const databaseUrl = db?.url ?? external
          if (!databaseUrl) return
          // A throwaway server that cannot be seeded is not fatal: its checks then fail with the reason.
          await seedSandboxData({ databaseUrl }).catch(() => undefined)
          vars.SANDBOX_DATABASE_URL = databaseUrl
          const password = new URL(databaseUrl.replace(/^postgresql\+\w+:/, 'postgresql:')).password
          if (password) secrets.SANDBOX_DATABASE_PASSWORD = decodeURIComponent(password)
        })(),
      )
    }
    if (wanted.has('redis')) {
      tasks.push(
        (async () => {
          const external = env.SANDBOX_REDIS_URL || undefined
          const redis = findRedisServer()
          if (!redis.found && !external) return void (missing.SANDBOX_REDIS_URL = NO_REDIS_REASON)
          const rd = external ? undefined : await startRedis({ ...(signal ? { signal } : {}) }).catch((err: unknown) => void (missing.SANDBOX_REDIS_URL = `Redis did not start: ${unlessAborted(err).message}`))
          if (rd) closers.push(() => rd.stop())
          const redisUrl = rd?.url ?? external
          if (!redisUrl) return
          await seedSandboxData({ redisUrl }).catch(() => undefined)
          vars.SANDBOX_REDIS_URL = redisUrl
        })(),
      )
    }
    if (wanted.has('prometheus')) {
      tasks.push(
        (async () => {
          const prom = await startPrometheus({ scrapeUrl: `${app.httpsUrl}/metrics`, caFile: app.caFile, scrapeInterval: '1s', ...(signal ? { signal } : {}) })
          if (!prom.ok) return void (missing.SANDBOX_PROMETHEUS_URL = prom.reason)
          closers.push(() => prom.stop())
          vars.SANDBOX_PROMETHEUS_URL = prom.url
        })().catch((err: unknown) => {
          missing.SANDBOX_PROMETHEUS_URL = `Prometheus did not start: ${unlessAborted(err).message}`
        }),
      )
    }
    if (wanted.has('cluster')) {
      tasks.push(
        (async () => {
          const c = await startReleasedCluster(app.hostname, app.webhookSecret)
          closers.push(() => c.close())
          vars.SANDBOX_KUBECONFIG = c.kubeconfigPath
          vars.SANDBOX_KUBE_NAMESPACE = SANDBOX_CLUSTER.namespace
          cluster = { kubeconfig: c.kubeconfigPath, namespace: SANDBOX_CLUSTER.namespace }
        })(),
      )
    }
    if (wanted.has('deploy-cluster')) {
      const { seed, ...request } = opts.deployCluster!
      tasks.push(
        (async () => {
          const { startDeployCluster } = await import('./deploy-cluster.ts')
          const c = await startDeployCluster({ ...request, faults })
          closers.push(() => c.close())
          Object.assign(vars, c.vars)
          Object.assign(secrets, c.secrets)
          cluster = { kubeconfig: c.kubeconfigPath, namespace: request.namespace }
          if (seed) seedCluster = (objs) => c.seed(objs)
        })(),
      )
    }
    // Every task settles (each stops what it started when aborted) before the rest is closed.
    const settled = await Promise.allSettled(tasks)
    signal?.throwIfAborted()
    for (const r of settled) if (r.status === 'rejected') throw r.reason
    if (seedCluster) await seedCluster(await opts.deployCluster!.seed!({ ...vars, ...secrets }))
    signal?.throwIfAborted()
    return { app, mode, vars, secrets, missing, faults, ...(cluster ? { cluster } : {}), close }
  } catch (err) {
    await close()
    throw signal?.aborted ? abortReason(signal) : err
  }
}

/**
 * The simulated "production" cluster with the release rolled out: prerequisites and deployments (via
 * the deploy runbook's cluster seeding), plus the ingress, its cert-manager Certificate and the
 * application's Secret, which the simulator's controllers bring to Ready / an address shortly after.
 */
async function startReleasedCluster(domain: string, webhookSecret: string): Promise<{ kubeconfigPath: string; close(): Promise<void> }> {
  const { startDeployCluster } = await import('./deploy-cluster.ts')
  const c = SANDBOX_CLUSTER
  const cluster = await startDeployCluster({ namespace: c.namespace, deployments: [...c.deployments], registry: c.registry, previousVersion: c.version })
  const put = cluster.put
  put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: c.secret, namespace: c.namespace },
    type: 'Opaque',
    data: { WEBHOOK_SECRET: Buffer.from(webhookSecret).toString('base64') },
  })
  put({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: c.ingress, namespace: c.namespace, annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' } },
    spec: {
      tls: [{ hosts: [domain], secretName: c.certificate }],
      rules: [{ host: domain, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'ai-agents-api', port: { number: 8000 } } } }] } }],
    },
  })
  put({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: c.certificate, namespace: c.namespace },
    spec: { secretName: c.certificate, dnsNames: [domain], issuerRef: { name: 'letsencrypt-prod', kind: 'ClusterIssuer' } },
  })
  return { kubeconfigPath: cluster.kubeconfigPath, close: () => cluster.close() }
}
