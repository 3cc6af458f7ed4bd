// The seed production deployment runbook, executable: npx zx runbooks/deploy.mts --target NAME [--dry-run] [--yes]
// Everything comes from the target file's `deploy:` section; nothing here names a cluster, image or host.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { applyManifests, loadManifests, upsertSecretFromEnv } from '../clients/kube-actions.ts'
import { runbook } from '../lib/runbook/index.ts'
import { deployContext, openDeployEnvironment, RUNBOOK_FAULT_DESCRIPTIONS } from './deploy-environment.ts'
import { recordRevisions, undoChangedDeployments } from './deploy-revisions.ts'
import { renderManifests } from './manifest-vars.ts'
import { deploySettingsOf } from './deploy-settings.ts'

const rb = await runbook({
  title: 'Production deployment',
  name: 'deploy',
  openEnvironment: openDeployEnvironment,
  notifyUrl: (env) => deploySettingsOf(env.target)?.notify?.webhookUrl,
  faults: RUNBOOK_FAULT_DESCRIPTIONS,
})

const { d, ns, targetDir, conn, kube, rolloutMs, converge } = await deployContext(rb)
const rollouts = () => d.deployments.map((name) => kube.rollout(`rollout.${name}`, name, rolloutMs))

rb.afterRollback(() => [
  ...rollouts(),
  kube.pods('pods.healthy', { converge }),
  ...(d.previousVersion ? [kube.version('release.version', d.deployments, d.previousVersion)] : []),
  ...rb.checks(d.smoke),
])

// 1. Prerequisites
const pre = d.prerequisites ?? {}
await rb.verify('Prerequisites: cluster, namespace, RBAC, ingress controller, cert-manager', [
  kube.exists('prereq.namespace', 'Namespace', { name: ns }),
  ...(pre.serviceAccount ? [kube.exists('prereq.service-account', 'ServiceAccount', { name: pre.serviceAccount })] : []),
  ...(pre.networkPolicies ? [kube.exists('prereq.network-policies', 'NetworkPolicy', { title: `network policies exist in ${ns}` })] : []),
  ...(pre.ingressNamespace ? [kube.pods('prereq.ingress-controller', { namespace: pre.ingressNamespace, converge, title: `ingress controller pods in ${pre.ingressNamespace} are Running and Ready` })] : []),
  ...(pre.certManagerNamespace ? [kube.pods('prereq.cert-manager', { namespace: pre.certManagerNamespace, converge, title: `cert-manager pods in ${pre.certManagerNamespace} are Running and Ready` })] : []),
  ...(pre.clusterIssuer ? [kube.exists('prereq.cluster-issuer', 'ClusterIssuer', { name: pre.clusterIssuer })] : []),
], { estimate: '1m' })

// 2. Pre-deployment checklist: tools, secrets in the environment, tests, data services, people.
// A secret may come from a declared terraform output instead (step "Infrastructure outputs" checks those).
const declaredOutputs = d.infrastructure?.terraformDir ? (d.infrastructure.outputs ?? []) : []
const secretVars = [...new Set((d.secrets ?? []).flatMap((s) => Object.values(s.fromEnv)))].filter((v) => !declaredOutputs.includes(v))
await rb.preflight('Checklist: tools and production secrets in the environment', { tools: d.tools ?? [], env: secretVars })
if (d.checklist?.testsCommand) {
  await rb.step('Checklist: tests green', { estimate: '5m' }, async (ctx) => {
    await ctx.$`sh -c ${d.checklist!.testsCommand!}`
  })
}
if (d.checklist?.checks?.length) await rb.verify('Checklist: database and Redis reachable', d.checklist.checks)
if (d.checklist?.confirmations?.length) await rb.confirm(d.checklist.confirmations, 'Checklist: confirmations')

// 3. Infrastructure outputs (read-only; run again on --from, since the manifests need them)
const outputs: Record<string, string> = {}
await rb.step('Infrastructure outputs', { estimate: '1m', rerunOnResume: true }, async (ctx) => {
  const inf = d.infrastructure ?? {}
  if (inf.terraformDir) {
    const out = await ctx.$({ cwd: resolve(targetDir, inf.terraformDir) })`terraform output -json`
    if (!ctx.dryRun) {
      // stdout only: terraform writes its warnings to stderr (zx's .json() would parse both).
      for (const [key, v] of Object.entries(parseTerraformOutputs(out.stdout))) {
        outputs[key] = typeof v.value === 'string' ? v.value : JSON.stringify(v.value)
        if (v.sensitive) rb.registerSecret(outputs[key])
      }
      const missing = (inf.outputs ?? []).filter((n) => !Object.hasOwn(outputs, n))
      if (missing.length) throw new Error(`terraform output has no ${missing.join(', ')} (declared in deploy.infrastructure.outputs)`)
    }
  } else {
    const missing = (inf.env ?? []).filter((n) => !process.env[n] && !rb.env.vars[n])
    if (missing.length) throw new Error(`infrastructure outputs not in the environment: ${missing.join(', ')}`)
    for (const n of inf.env ?? []) outputs[n] = process.env[n] ?? rb.env.vars[n]!
  }
  ctx.data.outputs = Object.keys(outputs)
})

// The manifests, variables substituted, checked before anything changes: an unknown ${NAME} (a typo
// like ${VERSON}) is a configuration error naming the file and the variable (exit 2), never "".
// Only the documented variables are filled in: VERSION, REGISTRY, NAMESPACE, DOMAIN, the declared
// infrastructure outputs, and what the sandbox provides. $${X} writes a literal ${X}.
const vars: Record<string, string> = { ...rb.env.vars, ...outputs, NAMESPACE: ns, VERSION: d.version, REGISTRY: d.registry ?? '', DOMAIN: d.domain ?? '' }
let manifests: { file: string; text: string }[] | undefined
await rb.step('Render manifests (variables checked)', { estimate: '1s', rerunOnResume: true }, async (ctx) => {
  manifests = await renderManifests(resolve(targetDir, d.manifests?.dir ?? '.'), d.manifests?.files ?? [], vars)
  ctx.log(`${manifests.length} manifest(s) rendered: ${manifests.map((m) => m.file).join(', ') || 'none'}`)
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

// 5. Secrets from the environment, else the infrastructure outputs, else the sandbox's generated
// secrets (values are registered for redaction and never leave the API call).
await rb.step('Create or update secrets', { estimate: '1m', destructive: true }, async (ctx) => {
  const secretEnv = { ...rb.env.vars, ...outputs, ...process.env } as NodeJS.ProcessEnv
  for (const s of d.secrets ?? []) {
    const r = await ctx.action(`apply Secret ${ns}/${s.name} (keys ${Object.keys(s.fromEnv).join(', ')})`, () =>
      upsertSecretFromEnv({ ...conn, name: s.name, keys: s.fromEnv, env: secretEnv, dryRun: ctx.dryRun, signal: ctx.signal }),
    )
    ctx.log(r.line)
  }
})

// 6. Manifests, in the order the target lists them (and by kind within a file). Before applying, the
// revision of every Deployment in them is recorded; undo rolls back only the Deployments whose revision
// this run moved, to exactly that revision (a metadata-only change keeps the revision: left alone).
await rb.step(
  'Apply manifests',
  {
    estimate: '5m',
    destructive: true,
    undo: (ctx) => undoChangedDeployments(ctx, conn, (ctx.data.revisions as Record<string, number> | undefined) ?? {}),
  },
  async (ctx) => {
    const revisions: Record<string, number> = {}
    ctx.data.revisions = revisions
    const work = await mkdtemp(join(tmpdir(), 'rbk-manifests-'))
    try {
      for (const m of manifests ?? (await renderManifests(resolve(targetDir, d.manifests?.dir ?? '.'), d.manifests?.files ?? [], vars))) {
        const rendered = join(work, m.file.replace(/[\\/]/g, '_'))
        await writeFile(rendered, m.text, { mode: 0o600 })
        const deployments = loadManifests(rendered).filter((o) => o.kind === 'Deployment' && (!o.metadata?.namespace || o.metadata.namespace === ns)).map((o) => o.metadata!.name!)
        if (!ctx.dryRun) Object.assign(revisions, await recordRevisions(ctx, conn, deployments))
        const results = await ctx.action(`kubectl apply --server-side -f ${m.file} -n ${ns}`, () => applyManifests({ ...conn, paths: rendered, dryRun: ctx.dryRun, signal: ctx.signal }))
        for (const r of results) ctx.log(r.line)
      }
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  },
)

// Steps 7-9 verify what steps 5-6 changed. A dry run changed nothing (the API server only validated
// it), so there is nothing of this deploy to verify: they are listed in the plan and skipped.
const verifyDeployed = (title: string, checks: () => Parameters<typeof rb.verify>[1], opts: { estimate: string }) =>
  rb.dryRun
    ? rb.step(title, opts, async (ctx) => ctx.skip(`dry run: nothing was applied, so the ${checks().length} check(s) of this step are not run`))
    : rb.verify(title, checks(), opts)

// 7. Rollouts (failing early on crash loops and image pull errors), then pods, version, migrations.
await verifyDeployed('Watch rollouts', rollouts, { estimate: '5-10m' })
await verifyDeployed('Pods healthy, release version, migrations at head', () => [
  kube.pods('pods.healthy', { converge }),
  kube.version('release.version', d.deployments, d.version),
  ...(d.migrations ? rb.checks(d.migrations) : []),
], { estimate: '1m' })

// 8. DNS, certificate, live TLS (the smoke suite's TLS check runs in step 9)
await verifyDeployed('Ingress address, DNS, certificate Ready', () => [
  ...(d.ingress ? [kube.ingress('ingress.address', d.ingress.name, { ...(d.domain ? { host: d.domain } : {}), converge })] : []),
  ...(d.dns && d.domain && d.ingress ? [kube.dns('dns.domain', d.domain, d.ingress.name, converge)] : []),
  ...(d.certificate ? [kube.certificate('certificate.ready', d.certificate.name, converge)] : []),
], { estimate: '2-5m' })

// 9. Post-deployment validation: the target's smoke suite.
await verifyDeployed('Post-deployment validation: smoke suite', () => d.smoke ?? rb.checks().map((c) => c.id), { estimate: '1m' })

await rb.finish()

/** `terraform output -json`: an object of outputs, each `{ value, sensitive }`. Error naming what was printed instead. */
function parseTerraformOutputs(stdout: string): Record<string, { value: unknown; sensitive?: boolean }> {
  try {
    const parsed = JSON.parse(stdout) as unknown
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, { value: unknown; sensitive?: boolean }>
  } catch {
    // reported below
  }
  throw new Error(`terraform output -json did not print a JSON object on stdout: ${JSON.stringify(stdout.trim().slice(0, 120))}`)
}
