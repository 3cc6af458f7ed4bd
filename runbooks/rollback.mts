// The seed rollback procedure, executable:
//   npx zx runbooks/rollback.mts --target NAME [--to-version TAG] [--allow-db-downgrade [--db-revision REV]] [--dry-run] [--yes]
// Undo every deployment to its previous revision (kubectl rollout undo), or redeploy a named previous
// version (kubectl set image), watch the rollouts, verify with the smoke suite. Configured by the
// target file's `deploy:` section, like deploy.mts.
import { rolloutUndo, setImage } from '../clients/kube-actions.ts'
import { createKubeClient } from '../clients/kube.ts'
import { runbook } from '../lib/runbook/index.ts'
import { deployContext, openDeployEnvironment, RUNBOOK_FAULT_DESCRIPTIONS } from './deploy-environment.ts'
import { imageTag } from './kube-specs.ts'
import { deploySettingsOf } from './deploy-settings.ts'

const rb = await runbook({
  title: 'Production rollback',
  name: 'rollback',
  // On the sandbox the cluster runs deploy.version on top of deploy.previousVersion: something to roll back.
  openEnvironment: (o) => openDeployEnvironment(o, { released: true }),
  notifyUrl: (env) => deploySettingsOf(env.target)?.notify?.webhookUrl,
  faults: RUNBOOK_FAULT_DESCRIPTIONS,
  options: {
    'to-version': { type: 'string', description: 'redeploy this image tag (kubectl set image) instead of undoing to the previous revision' },
    'allow-db-downgrade': { type: 'boolean', description: 'offer the database downgrade (deploy.database.downgradeCommand) after a typed confirmation; the seed warns against it' },
    'db-revision': { type: 'string', description: 'with --allow-db-downgrade: the Alembic revision to downgrade to (default -1); a value starting with "-" needs "=": --db-revision=-2' },
  },
})

const { d, ns, conn, kube, rolloutMs, converge } = await deployContext(rb)
const toVersion = rb.flags.extra['to-version'] as string | undefined
const allowDbDowngrade = rb.flags.extra['allow-db-downgrade'] === true
const dbRevision = (rb.flags.extra['db-revision'] as string | undefined) ?? '-1'
// After an undo the deployments should run the target's previousVersion (when it names one).
const expectedVersion = toVersion ?? d.previousVersion

// 1. What runs now (read-only): recorded for the report and the incident timeline.
await rb.step('Record the running release', { estimate: '10s' }, async (ctx) => {
  const client = await createKubeClient({ ...conn, signal: ctx.signal })
  const running: Record<string, { revision?: string; images: string[] }> = {}
  for (const name of d.deployments) {
    const dep = await ctx.action(`get deployment/${name} -n ${ns}`, () => client.apps.readNamespacedDeployment({ name, namespace: ns }, client.call()))
    running[name] = { revision: dep.metadata?.annotations?.['deployment.kubernetes.io/revision'], images: (dep.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '') }
    ctx.log(`${name}: revision ${running[name]!.revision ?? '?'}, ${running[name]!.images.join(', ')}`)
  }
  ctx.data.running = running
  if (toVersion && Object.values(running).every((r) => r.images.every((i) => imageTag(i) === toVersion))) ctx.log(`already at ${toVersion}: set image will report unchanged`)
})

// 2. Roll back: undo to the previous revision, or redeploy --to-version.
await rb.step(toVersion ? `Redeploy version ${toVersion}` : 'Undo to the previous revision', { estimate: '2-3m', destructive: true }, async (ctx) => {
  for (const name of d.deployments) {
    if (toVersion) {
      const client = await createKubeClient({ ...conn, signal: ctx.signal })
      const dep = await client.apps.readNamespacedDeployment({ name, namespace: ns }, client.call())
      const images = Object.fromEntries((dep.spec?.template?.spec?.containers ?? []).map((c) => [c.name, retag(c.image ?? '', toVersion)]))
      const r = await ctx.action(`set image deployment/${name} ${Object.entries(images).map(([c, i]) => `${c}=${i}`).join(' ')} -n ${ns}`, () => setImage({ ...conn, name, images, dryRun: ctx.dryRun, signal: ctx.signal }))
      ctx.log(r.line)
    } else {
      const r = await ctx.action(`rollout undo deployment/${name} -n ${ns}`, () => rolloutUndo({ ...conn, name, dryRun: ctx.dryRun, signal: ctx.signal }))
      ctx.log(`${r.line}${r.revision ? ` (to revision ${r.revision})` : ''}`)
    }
  }
})

// 3-4. Watch the rollouts, then the pods and the version now running.
await rb.verify('Watch rollouts', d.deployments.map((name) => kube.rollout(`rollout.${name}`, name, rolloutMs)), { estimate: '2-5m' })
await rb.verify('Pods healthy, release version', [
  kube.pods('pods.healthy', { converge }),
  // A server-side dry run changed nothing: the version is still the one recorded in step 1.
  ...(expectedVersion && !rb.dryRun ? [kube.version('release.version', d.deployments, expectedVersion)] : []),
], { estimate: '1m' })

// 5. Database downgrade: only with --allow-db-downgrade AND the operator typing the confirmation (no flag for it).
// Always registered, so that the step numbers (for --from and --only) do not depend on the flag: without
// it the step is skipped with the reason, and it is not destructive (no confirmation is asked).
await rb.step('Database downgrade', { estimate: '1-5m', destructive: allowDbDowngrade }, async (ctx) => {
  if (!allowDbDowngrade) ctx.skip('--allow-db-downgrade not given')
  const command = d.database?.downgradeCommand
  if (!command) throw new Error('--allow-db-downgrade: the target has no deploy.database.downgradeCommand')
  const confirmed = await ctx.confirmTyped(
    `Downgrading the database schema can lose data written since the migration; the seed runbook says: only if absolutely necessary, coordinate with the team first.\nDowngrade the database of ${ns} to revision ${dbRevision}?`,
    `downgrade ${ns}`,
  )
  if (!confirmed) ctx.skip(`database downgrade to ${dbRevision} not confirmed (it must be typed at a terminal; --yes does not confirm it)`)
  await ctx.$({ env: { ...process.env, ...rb.env.vars, DB_REVISION: dbRevision } })`sh -c ${command}`.timeout('10m')
})

// 6. Verify with the smoke suite.
await rb.verify('Post-rollback validation: smoke suite', d.smoke ?? rb.checks().map((c) => c.id), { estimate: '1m' })

await rb.finish()

/** `registry/app:v1.1.0` → `registry/app:v1.0.0` (a digest is dropped: the tag names the version). */
function retag(image: string, tag: string): string {
  const noDigest = image.split('@')[0]!
  const slash = noDigest.lastIndexOf('/')
  const colon = noDigest.lastIndexOf(':')
  return `${colon > slash ? noDigest.slice(0, colon) : noDigest}:${tag}`
}
