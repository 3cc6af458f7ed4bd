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

export interface SandboxServicesOptions extends SandboxOptions {
  /**
   * Start throwaway PostgreSQL and Redis when their binaries are installed; without them, use (and
   * seed) the throwaway servers named by SANDBOX_DATABASE_URL / SANDBOX_REDIS_URL if set. Default true.
   */
  data?: boolean
  /** Environment for SANDBOX_DATABASE_URL / SANDBOX_REDIS_URL. Default process.env. */
  env?: Record<string, string | undefined>
  /** Start a throwaway Prometheus scraping the demo application when installed. Default true. */
  prometheus?: boolean
  /**
   * Start the Kubernetes API simulator with the release deployed (deployments, pods, ingress,
   * certificate, secret), as the smoke suite's Kubernetes checks expect. Default true.
   */
  cluster?: boolean
}

export interface SandboxServices {
  app: Sandbox
  /**
   * Variables for target files: the demo application's (SANDBOX_HTTPS_URL, ...) plus, when started,
   * SANDBOX_DATABASE_URL, SANDBOX_REDIS_URL, SANDBOX_PROMETHEUS_URL, and always SANDBOX_MIGRATIONS_DIR
   * and SANDBOX_CELERY_QUEUE. Secrets (the webhook secret, the admin and database passwords) are in
   * `secrets`, not here.
   */
  vars: Record<string, string>
  /** Secret values by variable name (WEBHOOK_SECRET, SANDBOX_ADMIN_PASSWORD); register them for redaction. */
  secrets: Record<string, string>
  /** Why a service variable is missing, e.g. `SANDBOX_DATABASE_URL` → "no PostgreSQL server found: ...". */
  missing: Record<string, string>
  close(): Promise<void>
}

/**
 * The whole sandbox: the demo application, and — when their programs are installed — PostgreSQL and
 * Redis seeded like a deployed release (Alembic head, RLS tables, queued Celery messages) and a
 * Prometheus scraping the application. What cannot start is reported in `missing`, so the checks
 * that need it are skipped with the reason instead of failing.
 */
export async function startSandboxServices(opts: SandboxServicesOptions = {}): Promise<SandboxServices> {
  const app = await startSandbox(opts)
  const closers: (() => Promise<void>)[] = [() => app.close()]
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined)
    closers.length = 0
  }
  const vars: Record<string, string> = { ...app.vars, SANDBOX_MIGRATIONS_DIR, SANDBOX_CELERY_QUEUE }
  const secrets: Record<string, string> = { WEBHOOK_SECRET: app.webhookSecret, SANDBOX_ADMIN_PASSWORD: app.adminPassword }
  const missing: Record<string, string> = {}
  try {
    const tasks: Promise<void>[] = []
    if (opts.data !== false) {
      const pg = findPostgresBinaries()
      const redis = findRedisServer()
      // A throwaway server named by SANDBOX_DATABASE_URL / SANDBOX_REDIS_URL is used (and seeded) instead of a
      // local one. Never DATABASE_URL / REDIS_URL: those usually name a database someone cares about.
      const env = opts.env ?? process.env
      // An explicitly given throwaway server wins over starting one (the variable would win at resolution anyway).
      const externalDb = env.SANDBOX_DATABASE_URL || undefined
      const externalRedis = env.SANDBOX_REDIS_URL || undefined
      if (!pg.found && !externalDb) missing.SANDBOX_DATABASE_URL = NO_POSTGRES_REASON
      if (!redis.found && !externalRedis) missing.SANDBOX_REDIS_URL = NO_REDIS_REASON
      tasks.push(
        (async () => {
          const [db, rd] = await Promise.all([
            pg.found && !externalDb ? startPostgres().catch((err: Error) => ((missing.SANDBOX_DATABASE_URL = `PostgreSQL did not start: ${err.message}`), undefined)) : undefined,
            redis.found && !externalRedis ? startRedis().catch((err: Error) => ((missing.SANDBOX_REDIS_URL = `Redis did not start: ${err.message}`), undefined)) : undefined,
          ])
          if (db) closers.push(() => db.stop())
          if (rd) closers.push(() => rd.stop())
          const databaseUrl = db?.url ?? externalDb
          const redisUrl = rd?.url ?? externalRedis
          // A throwaway server that cannot be seeded is not fatal: its checks then fail with the reason.
          await Promise.all([
            databaseUrl ? seedSandboxData({ databaseUrl }).catch(() => undefined) : undefined,
            redisUrl ? seedSandboxData({ redisUrl }).catch(() => undefined) : undefined,
          ])
          if (databaseUrl) {
            vars.SANDBOX_DATABASE_URL = databaseUrl
            const password = new URL(databaseUrl.replace(/^postgresql\+\w+:/, 'postgresql:')).password
            if (password) secrets.SANDBOX_DATABASE_PASSWORD = decodeURIComponent(password)
          }
          if (redisUrl) vars.SANDBOX_REDIS_URL = redisUrl
        })(),
      )
    } else {
      missing.SANDBOX_DATABASE_URL = 'data services not started'
      missing.SANDBOX_REDIS_URL = 'data services not started'
    }
    if (opts.prometheus !== false) {
      tasks.push(
        (async () => {
          const prom = await startPrometheus({ scrapeUrl: `${app.httpsUrl}/metrics`, caFile: app.caFile, scrapeInterval: '1s' })
          if (!prom.ok) {
            missing.SANDBOX_PROMETHEUS_URL = prom.reason
            return
          }
          closers.push(() => prom.stop())
          vars.SANDBOX_PROMETHEUS_URL = prom.url
        })().catch((err: Error) => {
          missing.SANDBOX_PROMETHEUS_URL = `Prometheus did not start: ${err.message}`
        }),
      )
    } else {
      missing.SANDBOX_PROMETHEUS_URL = 'Prometheus not started'
    }
    if (opts.cluster !== false) {
      tasks.push(
        (async () => {
          const cluster = await startReleasedCluster(app.hostname, app.webhookSecret)
          closers.push(() => cluster.close())
          vars.SANDBOX_KUBECONFIG = cluster.kubeconfigPath
          vars.SANDBOX_KUBE_NAMESPACE = SANDBOX_CLUSTER.namespace
        })(),
      )
    }
    await Promise.all(tasks)
    return { app, vars, secrets, missing, close }
  } catch (err) {
    await close()
    throw err
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
