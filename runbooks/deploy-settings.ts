import { durationSchema } from '../lib/duration.ts'

/**
 * The `deploy:` section of a target file: the settings of the deploy and rollback runbooks. The
 * runbooks own it: they pass this schema to the target loader, which validates the section with
 * the rest of the file (the smoke suite accepts and ignores it).
 */

export interface DeploySettings {
  namespace: string
  kubeconfig?: string
  context?: string
  registry?: string
  version: string
  previousVersion?: string
  images?: { build?: boolean; list?: { name: string; dockerfile?: string; context?: string }[] }
  manifests?: { dir: string; files: string[] }
  deployments: string[]
  rolloutTimeout?: number | string
  domain?: string
  prerequisites?: { serviceAccount?: string; networkPolicies?: boolean; ingressNamespace?: string; certManagerNamespace?: string; clusterIssuer?: string }
  tools?: { name: string; min?: string }[]
  checklist?: { testsCommand?: string; checks?: string[]; confirmations?: string[] }
  infrastructure?: { terraformDir?: string; outputs?: string[]; env?: string[] }
  secrets?: { name: string; fromEnv: Record<string, string> }[]
  certificate?: { name: string }
  ingress?: { name: string }
  dns?: boolean
  migrations?: string[]
  smoke?: string[]
  notify?: { webhookUrl: string }
  /** rollback.mts --allow-db-downgrade: the downgrade command (sh -c, with DB_REVISION set). */
  database?: { downgradeCommand?: string }
}

const strList = (description: string) => ({ type: 'array', items: { type: 'string', minLength: 1 }, description })

/** The `deploy:` section read by runbooks/deploy.mts and runbooks/rollback.mts (the smoke suite ignores it). */
export const deploySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['namespace', 'version', 'deployments'],
  description: 'settings of the deploy and rollback runbooks (runbooks/deploy.mts); the smoke suite ignores them',
  properties: {
    namespace: { type: 'string', minLength: 1, description: 'Kubernetes namespace of the application' },
    kubeconfig: { type: 'string', description: 'kubeconfig file, relative to the target file (default: $KUBECONFIG, else ~/.kube/config, else the in-cluster service account)' },
    context: { type: 'string', description: 'kubeconfig context (default: its current-context)' },
    registry: { type: 'string', description: 'image registry prefix, e.g. 123456789.dkr.ecr.us-east-1.amazonaws.com/ai-agents' },
    version: { type: 'string', minLength: 1, description: 'image tag to deploy, e.g. v1.0.0' },
    previousVersion: { type: 'string', description: 'image tag running before this deploy: after a rollback (the deploy\'s undo, or rollback.mts without --to-version) every deployment must run it; the sandbox cluster starts at it' },
    images: {
      type: 'object',
      additionalProperties: false,
      description: 'images to build and push with docker',
      properties: {
        build: { type: 'boolean', description: 'build and push with docker (false: images are prebuilt; the step is skipped with the reason)' },
        list: {
          type: 'array',
          description: 'images: name and Dockerfile',
          items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', description: 'image name under the registry' }, dockerfile: { type: 'string', description: 'Dockerfile path (relative to the build context)' }, context: { type: 'string', description: 'build context directory (default .)' } } },
        },
      },
    },
    manifests: {
      type: 'object',
      additionalProperties: false,
      required: ['dir', 'files'],
      description: 'Kubernetes manifests, applied in the order listed (dependency order); ${VERSION}, ${REGISTRY}, ${NAMESPACE}, ${DOMAIN} and the infrastructure outputs are filled in a private temporary copy; any other ${UPPER_CASE} name is a configuration error, $${X} writes a literal ${X}',
      properties: { dir: { type: 'string', description: 'folder of the manifests, relative to the target file' }, files: strList('file names in apply order') },
    },
    deployments: strList('deployments whose rollouts are watched and rolled back on failure'),
    rolloutTimeout: { ...durationSchema, description: 'deadline for each rollout (default 10m)' },
    domain: { type: 'string', description: 'public host name of the service' },
    prerequisites: {
      type: 'object',
      additionalProperties: false,
      description: 'cluster prerequisites checked first',
      properties: {
        serviceAccount: { type: 'string', description: 'service account that must exist in the namespace' },
        networkPolicies: { type: 'boolean', description: 'at least one NetworkPolicy must exist in the namespace' },
        ingressNamespace: { type: 'string', description: 'namespace whose pods (the ingress controller) must be running' },
        certManagerNamespace: { type: 'string', description: 'namespace whose pods (cert-manager) must be running' },
        clusterIssuer: { type: 'string', description: 'cert-manager ClusterIssuer that must exist' },
      },
    },
    tools: {
      type: 'array',
      description: 'command-line tools the runbook needs, with minimum versions',
      items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', description: 'command name' }, min: { type: 'string', description: 'minimum version, e.g. 1.28' } } },
    },
    checklist: {
      type: 'object',
      additionalProperties: false,
      description: 'pre-deployment checklist',
      properties: {
        testsCommand: { type: 'string', description: 'command that must exit 0 (tests green), run with sh -c' },
        checks: strList('ids of target checks that must pass first (database, Redis reachable)'),
        confirmations: strList('manual checklist items, asked yes/no on a terminal (--yes confirms them by flag)'),
      },
    },
    infrastructure: {
      type: 'object',
      additionalProperties: false,
      description: 'infrastructure outputs: from `terraform output -json` in terraformDir, otherwise these environment variables',
      properties: {
        terraformDir: { type: 'string', description: 'terraform working directory (relative to the target file)' },
        outputs: strList('with terraformDir: the terraform outputs this deploy needs (each must exist); secrets[].fromEnv may name them, so the checklist does not look for them in the environment'),
        env: strList('environment variables that carry the outputs when terraform is not used'),
      },
    },
    secrets: {
      type: 'array',
      description: 'Kubernetes Secrets created or updated from environment variables (values never written anywhere else)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'fromEnv'],
        properties: { name: { type: 'string', description: 'Secret name' }, fromEnv: { type: 'object', additionalProperties: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, description: 'Secret key → environment variable name, or the name of an infrastructure output' } },
      },
    },
    certificate: { type: 'object', additionalProperties: false, required: ['name'], description: 'cert-manager Certificate that must become Ready', properties: { name: { type: 'string', description: 'Certificate name' } } },
    ingress: { type: 'object', additionalProperties: false, required: ['name'], description: 'Ingress that must get a load-balancer address', properties: { name: { type: 'string', description: 'Ingress name' } } },
    dns: { type: 'boolean', description: 'check that the domain resolves to the ingress address (default false)' },
    migrations: strList('ids of target checks that prove the database migrations are at head'),
    smoke: strList('ids of target checks run as post-deployment validation (default: all)'),
    notify: { type: 'object', additionalProperties: false, required: ['webhookUrl'], description: 'Slack-compatible incoming-webhook notifications', properties: { webhookUrl: { type: 'string', description: 'webhook URL, as env:NAME' } } },
    database: {
      type: 'object',
      additionalProperties: false,
      description: 'database rollback (runbooks/rollback.mts, only with --allow-db-downgrade and a typed confirmation)',
      properties: {
        downgradeCommand: { type: 'string', minLength: 1, description: 'command run with sh -c to downgrade the schema to $DB_REVISION (default -1), e.g. alembic downgrade "$DB_REVISION"' },
      },
    },
  },
}

/** The `deploy:` section of a loaded target (validated against deploySchema when the runbooks load it). */
export function deploySettingsOf(target: { deploy?: unknown }): DeploySettings | undefined {
  return target.deploy as DeploySettings | undefined
}
