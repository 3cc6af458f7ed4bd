import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { checkSpec } from '../checks/build.ts'
import { DNS_DEFAULTS, dnsResolves, type DnsEvidence } from '../checks/dns.ts'
import type { BuildContext, CheckKind } from '../checks/kind.ts'
import { kubeCertificateKind } from '../checks/kube-certificate.ts'
import { ingressReady, kubeIngressKind } from '../checks/kube-ingress.ts'
import { kubePodsKind } from '../checks/kube-pods.ts'
import { kubeResourceKind } from '../checks/kube-resource.ts'
import { kubeRolloutKind } from '../checks/kube-rollout.ts'
import { kubeSecretKeysKind } from '../checks/kube-secret-keys.ts'
import { createKubeClient, describeKubeError, type KubeConnectionOptions } from '../clients/kube.ts'
import { capToDeadline } from '../lib/deadline.ts'
import { errorMessage } from '../lib/errors.ts'
import { redactor } from '../lib/redact.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'
import type { CheckSpec } from '../lib/runner.ts'
import type { Static, TObject } from '../lib/schema.ts'

/**
 * The Kubernetes checks of the deploy and rollback runbooks, as runner CheckSpecs built through the
 * one build path (checks/build.ts `checkSpec`, typed options of the kinds in checks/kube-*.ts): the
 * runbook names the id, the cluster and what to wait for; the checks observe and judge. Two checks
 * are compositions of the primitives (the release version, DNS to the ingress address). Every spec
 * honours the runner's signal and deadline.
 */

/** Which cluster and namespace (from the target's `deploy:` section). */
export interface KubeTarget {
  kubeconfig?: string
  context?: string
  namespace: string
}

/** Polling of converging state (pods, certificate, ingress): how long and how often. */
export interface Converge {
  /** Keep retrying a failing check this long, ms. */
  timeoutMs: number
  /** Pause between attempts, ms. Default 250. */
  intervalMs?: number
}

function conn(t: KubeTarget, namespace?: string): KubeConnectionOptions & { namespace: string } {
  return { ...(t.kubeconfig ? { kubeconfig: t.kubeconfig } : {}), ...(t.context ? { context: t.context } : {}), namespace: namespace ?? t.namespace }
}

const eventually = (c?: Converge): Pick<CheckSpec, 'eventually'> => (c ? { eventually: { timeoutMs: c.timeoutMs, intervalMs: c.intervalMs ?? 250 } } : {})

/** Where the runbooks' checks are built: options are in code form already (an absolute kubeconfig path). */
function runbookBuildContext(): BuildContext {
  return { tls: {}, resolvePath: (p) => resolve(p), redactor, reportDir: tmpdir() }
}

export function kubeSpecs(t: KubeTarget, ctx: BuildContext = runbookBuildContext()) {
  /**
   * checkSpec, except that a problem with the options (a kubeconfig that cannot be read) is reported
   * by the check when it runs: the runbook's step then fails with "invalid configuration: ..."
   * instead of the runbook crashing while it lists its steps.
   */
  const build = <S extends TObject>(kind: CheckKind<S, unknown>, options: Static<S>, meta: Parameters<typeof checkSpec>[2]): CheckSpec => {
    try {
      return checkSpec(kind, options, meta, ctx)
    } catch (err) {
      return { id: meta.id, title: meta.title ?? meta.id, kind: kind.kind, run: () => Promise.reject(err), ...(meta.timeoutMs !== undefined ? { timeoutMs: meta.timeoutMs } : {}), ...(meta.eventually ? { eventually: meta.eventually } : {}) }
    }
  }
  return {
    /** An object exists (`name`), or at least one of its kind (no name). */
    exists(id: string, kind: string, opts: { name?: string; namespace?: string; apiVersion?: string; title?: string } = {}): CheckSpec {
      const title = opts.title ?? (opts.name ? `${kind} ${opts.name} exists` : `at least one ${kind} in ${opts.namespace ?? t.namespace}`)
      return build(kubeResourceKind, { ...conn(t, opts.namespace), resourceKind: kind, ...(opts.name ? { name: opts.name } : {}), ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}) }, { id, title })
    },
    /** Pods of a selector (default: all of the namespace) Running and Ready, no fatal states. */
    pods(id: string, opts: { selector?: string; namespace?: string; converge?: Converge; title?: string } = {}): CheckSpec {
      const ns = opts.namespace ?? t.namespace
      const title = opts.title ?? `pods ${opts.selector ? `${opts.selector} ` : ''}in ${ns} are Running and Ready`
      return build(kubePodsKind, { ...conn(t, ns), selector: opts.selector ?? '' }, { id, title, ...eventually(opts.converge) })
    },
    /**
     * `kubectl rollout status deployment/NAME --timeout`, failing early on CrashLoopBackOff/ImagePullBackOff.
     * `timeoutMs` is the check's timeout: the rollout is watched until just before it.
     */
    rollout(id: string, name: string, timeoutMs: number, opts: { fatalGrace?: number; fatalRestarts?: number } = {}): CheckSpec {
      const title = `deployment ${t.namespace}/${name} rolled out`
      return build(kubeRolloutKind, { ...conn(t), name, failFast: true, ...opts }, { id, title, timeoutMs })
    },
    certificate(id: string, name: string, converge?: Converge): CheckSpec {
      const title = `certificate ${t.namespace}/${name} is Ready`
      return build(kubeCertificateKind, { ...conn(t), name }, { id, title, ...eventually(converge) })
    },
    ingress(id: string, name: string, opts: { host?: string; tlsSecret?: string; converge?: Converge } = {}): CheckSpec {
      const title = `ingress ${t.namespace}/${name} has a load-balancer address`
      return build(kubeIngressKind, { ...conn(t), name, ...(opts.host ? { host: opts.host } : {}), ...(opts.tlsSecret ? { tlsSecret: opts.tlsSecret } : {}) }, { id, title, ...eventually(opts.converge) })
    },
    secretKeys(id: string, name: string, keys: string[]): CheckSpec {
      const title = `secret ${t.namespace}/${name} has ${keys.join(', ')}`
      return build(kubeSecretKeysKind, { ...conn(t), name, keys }, { id, title })
    },
    /** The domain resolves to the ingress's load-balancer address(es), read from the ingress status: kube-ingress, then dns. */
    dns(id: string, host: string, ingressName: string, converge?: Converge): CheckSpec<DnsEvidence | DnsToIngressEvidence> {
      const title = `${host} resolves to the load-balancer address of ingress ${ingressName}`
      return {
        id,
        title,
        kind: 'dns',
        run: async (signal, deadline): Promise<CheckResult<DnsEvidence | DnsToIngressEvidence>> => {
          const ing = await ingressReady({ ...conn(t), name: ingressName, signal, deadline })
          const addresses = ing.evidence.addresses
          if (addresses.length === 0) return timed<DnsToIngressEvidence>({ id, title, kind: 'dns' }, async () => ({ status: 'fail', message: `ingress ${ingressName} has no load-balancer address to compare with (${ing.message})`, evidence: { host, ingress: ingressName } }))
          return dnsResolves({ host, expect: addresses, lookupTimeout: capToDeadline(DNS_DEFAULTS.lookupTimeout, deadline), id, title, signal })
        },
        ...eventually(converge),
      }
    },
    /** Every container of each deployment's pod template runs `<image>:<version>`. */
    version(id: string, deployments: readonly string[], version: string): CheckSpec<VersionEvidence> {
      const title = `deployments ${deployments.join(', ')} run version ${version}`
      return {
        id,
        title,
        kind: 'kube-version',
        run: (signal, deadline) =>
          timed({ id, title, kind: 'kube-version' }, async () => {
            const client = await createKubeClient({ ...conn(t), signal, deadline })
            const images: Record<string, string[]> = {}
            for (const name of deployments) {
              try {
                const d = await client.request((call) => client.apps.readNamespacedDeployment({ name, namespace: t.namespace }, call))
                images[name] = (d.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '')
              } catch (err) {
                const f = describeKubeError(err, { verb: 'get', resource: 'deployments', kind: 'deployment', name, namespace: t.namespace }, client.server)
                return { status: 'fail', message: f.message || errorMessage(err), evidence: { version, images } }
              }
            }
            return judgeVersion(images, version)
          }),
      }
    },
  }
}

/** Evidence of the DNS check when the ingress has no address to compare with. */
export interface DnsToIngressEvidence {
  host: string
  ingress: string
}

/** Evidence of the release version check: the images of every deployment. */
export interface VersionEvidence {
  version: string
  images: Record<string, string[]>
}

export type KubeSpecs = ReturnType<typeof kubeSpecs>

/** The tag of an image reference (`reg:5000/app:v1` → `v1`; a digest-only reference has none). */
export function imageTag(image: string): string | undefined {
  const noDigest = image.split('@')[0]!
  const slash = noDigest.lastIndexOf('/')
  const colon = noDigest.lastIndexOf(':')
  return colon > slash ? noDigest.slice(colon + 1) : undefined
}

/** Pure judge: every container image of every deployment is tagged `version`. */
export function judgeVersion(images: Record<string, string[]>, version: string): Verdict<VersionEvidence> {
  const evidence = { version, images }
  const names = Object.keys(images)
  if (names.length === 0) return { status: 'fail', message: 'no deployments to check', evidence }
  const wrong = names.flatMap((n) => (images[n]!.length === 0 ? [`${n}: no containers`] : images[n]!.filter((i) => imageTag(i) !== version).map((i) => `${n}: ${i}`)))
  if (wrong.length > 0) return { status: 'fail', message: `not at ${version}: ${wrong.join('; ')}`, evidence }
  return { status: 'pass', message: `${names.join(', ')} at ${version}`, evidence }
}
