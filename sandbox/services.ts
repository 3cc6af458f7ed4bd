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

export interface SandboxServicesOptions extends SandboxOptions {
  /** Start throwaway PostgreSQL and Redis when their binaries are installed. Default true. */
  data?: boolean
  /** Start a throwaway Prometheus scraping the demo application when installed. Default true. */
  prometheus?: boolean
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
      if (!pg.found) missing.SANDBOX_DATABASE_URL = NO_POSTGRES_REASON
      if (!redis.found) missing.SANDBOX_REDIS_URL = NO_REDIS_REASON
      tasks.push(
        (async () => {
          const [db, rd] = await Promise.all([
            pg.found ? startPostgres().catch((err: Error) => ((missing.SANDBOX_DATABASE_URL = `PostgreSQL did not start: ${err.message}`), undefined)) : undefined,
            redis.found ? startRedis().catch((err: Error) => ((missing.SANDBOX_REDIS_URL = `Redis did not start: ${err.message}`), undefined)) : undefined,
          ])
          if (db) closers.push(() => db.stop())
          if (rd) closers.push(() => rd.stop())
          await seedSandboxData({ databaseUrl: db?.url, redisUrl: rd?.url })
          if (db) {
            vars.SANDBOX_DATABASE_URL = db.url
            const password = new URL(db.url).password
            if (password) secrets.SANDBOX_DATABASE_PASSWORD = decodeURIComponent(password)
          }
          if (rd) vars.SANDBOX_REDIS_URL = rd.url
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
    await Promise.all(tasks)
    return { app, vars, secrets, missing, close }
  } catch (err) {
    await close()
    throw err
  }
}
