import { UsageError } from '../lib/errors.ts'
import { FAULT_DESCRIPTIONS as APP_FAULTS, FAULTS as APP_FAULT_NAMES } from './faults.ts'

/**
 * What the sandbox provides, declared once: its services, the variables each one provides (target
 * files name them: `${SANDBOX_HTTPS_URL}`, `requires: [SANDBOX_DATABASE_URL]`) and the faults each
 * one has. The smoke layer asks this instead of naming sandbox variables itself; a test checks that
 * a started sandbox provides exactly these variables.
 */

export type SandboxServiceName = 'app' | 'postgres' | 'redis' | 'prometheus' | 'cluster' | 'deploy-cluster'

export interface SandboxService {
  /** One line: what it is. */
  summary: string
  /** Variables it provides whose values are not secret. */
  provides: readonly string[]
  /** Variables it provides whose values are secrets (register them for redaction). */
  secrets: readonly string[]
  /** Its faults (name → what it does). */
  faults: Readonly<Record<string, string>>
  /**
   * `always`: started on every run; `needed`: only when a variable it provides is needed; `deploy`:
   * only in deploy mode (the runbooks), where it takes the place of `cluster`.
   */
  starts: 'always' | 'needed' | 'deploy'
}

/** Faults of the runbooks' deploy cluster (they act on the release the sandbox manifests deploy at `deploy.version`). */
export const DEPLOY_CLUSTER_FAULTS = Object.freeze({
  crashloop: 'runbooks only: the release at deploy.version crash-loops (CrashLoopBackOff); deploy fails at "Watch rollouts" and rolls back, rollback repairs it',
  'image-pull': 'runbooks only: the images of the release at deploy.version cannot be pulled (ImagePullBackOff); deploy fails at "Watch rollouts" and rolls back',
} as const)

export type DeployClusterFault = keyof typeof DEPLOY_CLUSTER_FAULTS

export const SANDBOX_SERVICES: Readonly<Record<SandboxServiceName, SandboxService>> = Object.freeze({
  app: {
    summary: 'the demo application over HTTPS (a CA made for the run) and an HTTP port that redirects to it',
    provides: ['SANDBOX_HTTPS_URL', 'SANDBOX_HTTP_URL', 'SANDBOX_CA_FILE', 'SANDBOX_HOST', 'SANDBOX_HTTPS_PORT', 'SANDBOX_HTTP_PORT', 'SANDBOX_ADMIN_USER', 'SANDBOX_MIGRATIONS_DIR', 'SANDBOX_CELERY_QUEUE'],
    secrets: ['WEBHOOK_SECRET', 'SANDBOX_ADMIN_PASSWORD'],
    faults: APP_FAULTS,
    starts: 'always',
  },
  postgres: {
    summary: 'a throwaway PostgreSQL seeded like a deployed release (Alembic head, tables with row-level security)',
    provides: ['SANDBOX_DATABASE_URL'],
    secrets: ['SANDBOX_DATABASE_PASSWORD'],
    faults: {},
    starts: 'needed',
  },
  redis: { summary: 'a throwaway Redis with queued Celery messages', provides: ['SANDBOX_REDIS_URL'], secrets: [], faults: {}, starts: 'needed' },
  prometheus: { summary: 'a throwaway Prometheus scraping the application every second', provides: ['SANDBOX_PROMETHEUS_URL'], secrets: [], faults: {}, starts: 'needed' },
  cluster: {
    summary: 'a Kubernetes API simulator with the release rolled out (deployments, pods, ingress, certificate, secret)',
    provides: ['SANDBOX_KUBECONFIG', 'SANDBOX_KUBE_NAMESPACE'],
    secrets: [],
    faults: {},
    starts: 'needed',
  },
  'deploy-cluster': {
    summary: "the runbooks' production cluster: a Kubernetes API simulator with the prerequisites and the previous release rolled out",
    provides: ['SANDBOX_KUBECONFIG', 'SANDBOX_KUBE_NAMESPACE', 'SANDBOX_RELEASE_FAULT', 'SANDBOX_FAULT_ANNOTATION'],
    secrets: ['SANDBOX_SERVICEDESK_API_KEY'],
    faults: DEPLOY_CLUSTER_FAULTS,
    starts: 'deploy',
  },
})

/** Which sandbox run: the smoke suite's (`smoke`), or the runbooks' with their deploy cluster (`deploy`). */
export type SandboxMode = 'smoke' | 'deploy'

/** The services a run in `mode` has (started or not). */
export function servicesOf(mode: SandboxMode): SandboxServiceName[] {
  return (Object.keys(SANDBOX_SERVICES) as SandboxServiceName[]).filter((n) => (mode === 'deploy' ? n !== 'cluster' : SANDBOX_SERVICES[n].starts !== 'deploy'))
}

/** Every variable a sandbox run in `mode` can provide (secrets included). */
export function sandboxVariables(mode: SandboxMode): string[] {
  return [...new Set(servicesOf(mode).flatMap((n) => [...SANDBOX_SERVICES[n].provides, ...SANDBOX_SERVICES[n].secrets]))]
}

/** The faults `--fault` accepts in `mode` (name → what it does): the deploy cluster's first, then the application's. */
export function sandboxFaults(mode: SandboxMode): Record<string, string> {
  return Object.assign({}, ...servicesOf(mode).reverse().map((n) => SANDBOX_SERVICES[n].faults)) as Record<string, string>
}

/**
 * Fault names from a list, a comma-separated string, or a mix; blanks ignored, duplicates dropped.
 * UsageError for names the sandbox does not have in `mode` (naming the valid ones, and saying so
 * when a fault exists only for the runbooks).
 */
export function parseSandboxFaults(list: readonly string[] | string | undefined, mode: SandboxMode): string[] {
  if (list === undefined) return []
  const names = [...new Set((typeof list === 'string' ? [list] : list).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter((s) => s !== ''))]
  const valid = sandboxFaults(mode)
  const unknown = names.filter((n) => !Object.hasOwn(valid, n))
  if (unknown.length === 0) return names
  const runbookOnly = unknown.filter((n) => Object.hasOwn(DEPLOY_CLUSTER_FAULTS, n))
  if (mode === 'smoke' && runbookOnly.length === unknown.length) {
    throw new UsageError(`sandbox fault${runbookOnly.length > 1 ? 's' : ''} ${runbookOnly.map((n) => `"${n}"`).join(', ')} exist${runbookOnly.length > 1 ? '' : 's'} only for the runbooks (their deploy cluster); valid faults here: ${APP_FAULT_NAMES.join(', ')}`)
  }
  const what = unknown.length === 1 ? 'unknown sandbox fault' : 'unknown sandbox faults'
  throw new UsageError(`${what} ${unknown.map((n) => `"${n}"`).join(', ')}; valid faults: ${Object.keys(valid).join(', ')}`)
}
