// The seed production deployment runbook, executable: npx zx runbooks/deploy.mts --target NAME [--dry-run] [--yes]
// Everything comes from the target file's `deploy:` section; nothing here names a cluster, image or host.
import { readFile } from 'node:fs/promises'
import { resolve, dirname } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { parseDuration } from '../lib/duration.ts'
import { runbook } from '../lib/runbook.ts'
import type { DeploySettings } from '../smoke/target.ts'
import * as k from './kube-stand-in.ts'

const DEPLOY_FAULTS = ['crashloop', 'image-pull']

const rb = await runbook({
  title: 'Production deployment',
  name: 'deploy',
  extraFaults: DEPLOY_FAULTS,
  extraSandbox: async (loaded, faults) => {
    const d = loaded.target.deploy
    if (!d) return { vars: {}, close: async () => {} }
    const { startDeployCluster } = await import('../sandbox/deploy-cluster.ts')
    return startDeployCluster({ namespace: d.namespace, deployments: d.deployments, registry: d.registry ?? 'registry.local', previousVersion: d.previousVersion ?? 'previous', serviceAccount: d.prerequisites?.serviceAccount, clusterIssuer: d.prerequisites?.clusterIssuer, faults })
  },
  notifyUrl: (env) => env.target.deploy?.notify?.webhookUrl,
})

const deploy = rb.env.target.deploy as DeploySettings | undefined
if (!deploy) {
  console.error(`target ${rb.env.loaded.name} has no deploy: section`)
  process.exitCode = 2
  await rb.finish()
  process.exit(2)
}
const d = deploy!
const ns = d.namespace
const kube = k.connect(d.kubeconfig ?? rb.env.vars.SANDBOX_KUBECONFIG, d.context)
const rolloutMs = parseDuration(d.rolloutTimeout ?? '10m')
const targetDir = dirname(rb.env.loaded.file)
const rollouts = () => d.deployments.map((name) => k.rolloutCheck(kube, `rollout.${name}`, ns, name, rolloutMs))
rb.afterRollback(() => [...rollouts(), k.podsHealthyCheck(kube, 'pods.healthy', ns), ...rb.checks(d.smoke)])

// 1. Prerequisites
const pre = d.prerequisites ?? {}
await rb.verify('Prerequisites: cluster, namespace, RBAC, ingress controller, cert-manager', [
  k.resourceExistsCheck(kube, 'prereq.namespace', 'v1', 'Namespace', ns),
  ...(pre.serviceAccount ? [k.resourceExistsCheck(kube, 'prereq.service-account', 'v1', 'ServiceAccount', pre.serviceAccount, ns)] : []),
  ...(pre.networkPolicies ? [k.anyExistsCheck(kube, 'prereq.network-policies', 'networking.k8s.io/v1', 'NetworkPolicy', ns)] : []),
  ...(pre.ingressNamespace ? [k.podsHealthyCheck(kube, 'prereq.ingress-controller', pre.ingressNamespace)] : []),
  ...(pre.certManagerNamespace ? [k.podsHealthyCheck(kube, 'prereq.cert-manager', pre.certManagerNamespace)] : []),
  ...(pre.clusterIssuer ? [k.resourceExistsCheck(kube, 'prereq.cluster-issuer', 'cert-manager.io/v1', 'ClusterIssuer', pre.clusterIssuer)] : []),
], { estimate: '1m' })

// 2. Pre-deployment checklist: tools, secrets in the environment, tests, data services, people.
const secretEnv = [...new Set((d.secrets ?? []).flatMap((s) => Object.values(s.fromEnv)))]
await rb.preflight('Checklist: tools and production secrets in the environment', { tools: d.tools ?? [], env: secretEnv })
if (d.checklist?.testsCommand) {
  await rb.step('Checklist: tests green', { estimate: '5m' }, async (ctx) => {
    await ctx.$`sh -c ${d.checklist!.testsCommand!}`
  })
}
if (d.checklist?.checks?.length) await rb.verify('Checklist: database and Redis reachable', d.checklist.checks)
if (d.checklist?.confirmations?.length) await rb.confirm(d.checklist.confirmations, 'Checklist: confirmations')

// 3. Infrastructure outputs
const outputs: Record<string, string> = {}
await rb.step('Infrastructure outputs', { estimate: '1m' }, async (ctx) => {
  const inf = d.infrastructure ?? {}
  if (inf.terraformDir) {
    const out = await ctx.$({ cwd: resolve(targetDir, inf.terraformDir) })`terraform output -json`
    if (!ctx.dryRun) for (const [key, v] of Object.entries(out.json() as Record<string, { value: unknown; sensitive?: boolean }>)) {
      outputs[key] = String(v.value)
      if (v.sensitive) rb.secret(key)
    }
  } else {
    const missing = (inf.env ?? []).filter((n) => !process.env[n] && !rb.env.vars[n])
    if (missing.length) throw new Error(`infrastructure outputs not in the environment: ${missing.join(', ')}`)
    for (const n of inf.env ?? []) outputs[n] = process.env[n] ?? rb.env.vars[n]!
  }
  ctx.data.outputs = Object.keys(outputs)
})

// 4. Images
await rb.step('Build and push images', { estimate: '10-15m' }, async (ctx) => {
  if (!d.images?.build) ctx.skip('images are prebuilt (deploy.images.build is false)')
  for (const img of d.images?.list ?? []) {
    const ref = `${d.registry}/${img.name}:${d.version}`
    await ctx.$`docker build -f ${img.dockerfile ?? 'Dockerfile'} -t ${ref} ${img.context ?? '.'}`.timeout('20m')
    await ctx.$`docker push ${ref}`.timeout('10m')
  }
})

// 5. Secrets from the environment
await rb.step('Create or update secrets', { estimate: '1m', destructive: true }, async (ctx) => {
  for (const s of d.secrets ?? []) {
    const data: Record<string, string> = {}
    for (const [key, envName] of Object.entries(s.fromEnv)) data[key] = rb.secret(envName) ?? ''
    await ctx.action(`apply Secret ${ns}/${s.name} (keys ${Object.keys(data).join(', ')})`, () => k.upsertSecret(kube, ns, s.name, data, ctx.dryRun))
  }
})

// 6. Manifests in dependency order; undo = rollout undo of every deployment this run changed.
const vars: Record<string, string> = { ...rb.env.vars, NAMESPACE: ns, VERSION: d.version, REGISTRY: d.registry ?? '', DOMAIN: d.domain ?? '' }
await rb.step(
  'Apply manifests',
  {
    estimate: '5m',
    destructive: true,
    undo: async (ctx) => {
      for (const name of (ctx.data.changed as string[] | undefined) ?? []) {
        await ctx.action(`rollout undo deployment/${name} -n ${ns}`, () => k.rolloutUndo(kube, ns, name, ctx.dryRun))
      }
    },
  },
  async (ctx) => {
    ctx.data.changed = []
    for (const file of d.manifests?.files ?? []) {
      const text = (await readFile(resolve(targetDir, d.manifests!.dir, file), 'utf8')).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, n: string) => vars[n] ?? process.env[n] ?? '')
      for (const doc of parseAllDocuments(text)) {
        const obj = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }
        if (!obj) continue
        const before = obj.kind === 'Deployment' ? await k.deploymentRevision(kube, ns, obj.metadata.name) : 0
        await ctx.action(`apply ${obj.kind} ${obj.metadata.namespace ?? ns}/${obj.metadata.name} (${file})`, () => k.applyObject(kube, obj, ctx.dryRun))
        if (obj.kind === 'Deployment' && !ctx.dryRun && before > 0) (ctx.data.changed as string[]).push(obj.metadata.name)
      }
    }
  },
)

// 7. Rollouts, pods, migrations
await rb.verify('Watch rollouts and pod health', [...rollouts(), k.podsHealthyCheck(kube, 'pods.healthy', ns), ...(d.migrations ? rb.checks(d.migrations) : [])], { estimate: '5-10m' })

// 8. DNS, certificate, live TLS
await rb.verify('Ingress address, certificate Ready', [
  ...(d.ingress ? [k.ingressAddressCheck(kube, 'ingress.address', ns, d.ingress.name)] : []),
  ...(d.certificate ? [k.certificateCheck(kube, 'certificate.ready', ns, d.certificate.name)] : []),
], { estimate: '2-5m' })

// 9. Post-deployment validation: the target's smoke suite.
await rb.verify('Post-deployment validation: smoke suite', d.smoke ?? rb.checks().map((c) => c.id), { estimate: '1m' })

await rb.finish()
