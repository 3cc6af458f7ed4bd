// A minimal runbook written with the engine: restart the API deployment and verify it.
//   npx zx runbooks/examples/restart-api.mts --target sandbox --yes
import { rolloutStatus } from '../../checks/kube-rollout.ts'
import { restartRollout } from '../../clients/kube-actions.ts'
import { runbook } from '../../lib/runbook/index.ts'
import { openDeployEnvironment } from '../deploy-environment.ts'
import { deploySettingsOf } from '../deploy-settings.ts'

const rb = await runbook({ title: 'Restart the API', name: 'restart-api', openEnvironment: openDeployEnvironment })
const ns = deploySettingsOf(rb.env.target)?.namespace ?? 'default'
const kubeconfig = rb.env.sandboxCluster?.kubeconfig // the sandbox's cluster; a real target uses the default kubeconfig chain
const conn = { namespace: ns, ...(kubeconfig ? { kubeconfig } : {}) }

await rb.step('Restart deployment ai-agents-api', { estimate: '2m', destructive: true }, async (ctx) => {
  await ctx.action(`kubectl rollout restart deployment/ai-agents-api -n ${ns}`, () =>
    restartRollout({ ...conn, name: 'ai-agents-api', dryRun: ctx.dryRun }),
  )
})
await rb.verify('API rolled out and healthy', [
  { id: 'rollout', title: 'ai-agents-api rolled out', kind: 'kube-rollout', run: (signal) => rolloutStatus({ ...conn, name: 'ai-agents-api', signal }) },
  ...rb.checks(['health', 'readiness']), // checks from the target file, by id
])
process.exitCode = await rb.finish()
