import { certificateReady } from '../checks/kube-certificate.ts'
import { podsHealthy } from '../checks/kube-pods.ts'
import { ingressReady, resourceExists, secretHasKeys } from '../checks/kube-resources.ts'
import { rolloutStatus } from '../checks/kube-rollout.ts'
import { dnsResolves, type DnsEvidence } from '../checks/dns.ts'
import { errorMessage } from '../lib/errors.ts'
import { createKubeClient, describeKubeError, type KubeConnectionOptions } from '../clients/kube.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'
import type { CheckSpec } from '../lib/runner.ts'

/**
 * The Kubernetes checks of the deploy and rollback runbooks, as runner CheckSpecs over the check
 * primitives (checks/kube-*.ts): the runbook names the id, the cluster and what to wait for; the
 * checks observe and judge. Every spec honours the runner's signal.
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

function conn(t: KubeTarget, namespace?: string): KubeConnectionOptions {
  return { ...(t.kubeconfig ? { kubeconfig: t.kubeconfig } : {}), ...(t.context ? { context: t.context } : {}), namespace: namespace ?? t.namespace }
}

function spec<E>(id: string, title: string, kind: string, run: (signal: AbortSignal) => Promise<CheckResult<E>>, extra: Partial<CheckSpec> = {}): CheckSpec {
  // Evidence interfaces have no index signature: the runner's spec is untyped.
  return { id, title, kind, run: run as unknown as CheckSpec['run'], ...extra }
}

const eventually = (c?: Converge) => (c ? { eventually: { timeoutMs: c.timeoutMs, intervalMs: c.intervalMs ?? 250 } } : {})

export function kubeSpecs(t: KubeTarget) {
  return {
    /** An object exists (`name`), or at least one of its kind (no name). */
    exists(id: string, kind: string, opts: { name?: string; namespace?: string; apiVersion?: string; title?: string } = {}): CheckSpec {
      const title = opts.title ?? (opts.name ? `${kind} ${opts.name} exists` : `at least one ${kind} in ${opts.namespace ?? t.namespace}`)
      return spec(id, title, 'kube-resource', (signal) => resourceExists({ ...conn(t, opts.namespace), kind, ...(opts.name ? { name: opts.name } : {}), ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}), id, title, signal }))
    },
    /** Pods of a selector (default: all of the namespace) Running and Ready, no fatal states. */
    pods(id: string, opts: { selector?: string; namespace?: string; converge?: Converge; title?: string } = {}): CheckSpec {
      const ns = opts.namespace ?? t.namespace
      const title = opts.title ?? `pods ${opts.selector ? `${opts.selector} ` : ''}in ${ns} are Running and Ready`
      return spec(id, title, 'kube-pods', (signal) => podsHealthy({ ...conn(t, ns), selector: opts.selector ?? '', id, title, signal }), eventually(opts.converge))
    },
    /** `kubectl rollout status deployment/NAME --timeout`, failing early on CrashLoopBackOff/ImagePullBackOff. */
    rollout(id: string, name: string, timeoutMs: number, opts: { fatalGrace?: number; fatalRestarts?: number } = {}): CheckSpec {
      const title = `deployment ${t.namespace}/${name} rolled out`
      return spec(id, title, 'kube-rollout', (signal) => rolloutStatus({ ...conn(t), name, timeout: timeoutMs, failFast: true, ...opts, id, title, signal }), {
        // The check waits (with a watch) up to its own deadline; the runner's per-attempt timeout must not cut it short.
        timeoutMs: timeoutMs + 15_000,
      })
    },
    certificate(id: string, name: string, converge?: Converge): CheckSpec {
      const title = `certificate ${t.namespace}/${name} is Ready`
      return spec(id, title, 'kube-certificate', (signal) => certificateReady({ ...conn(t), name, id, title, signal }), eventually(converge))
    },
    ingress(id: string, name: string, opts: { host?: string; tlsSecret?: string; converge?: Converge } = {}): CheckSpec {
      const title = `ingress ${t.namespace}/${name} has a load-balancer address`
      return spec(id, title, 'kube-ingress', (signal) => ingressReady({ ...conn(t), name, ...(opts.host ? { host: opts.host } : {}), ...(opts.tlsSecret ? { tlsSecret: opts.tlsSecret } : {}), id, title, signal }), eventually(opts.converge))
    },
    secretKeys(id: string, name: string, keys: string[]): CheckSpec {
      const title = `secret ${t.namespace}/${name} has ${keys.join(', ')}`
      return spec(id, title, 'kube-secret-keys', (signal) => secretHasKeys({ ...conn(t), name, keys, id, title, signal }))
    },
    /** The domain resolves to the ingress's load-balancer address(es), read from the ingress status. */
    dns(id: string, host: string, ingressName: string, converge?: Converge): CheckSpec {
      const title = `${host} resolves to the load-balancer address of ingress ${ingressName}`
      return spec<DnsEvidence | { host: string; ingress: string }>(id, title, 'dns', async (signal) => {
        const ing = await ingressReady({ ...conn(t), name: ingressName, signal })
        const addresses = (ing.evidence as { addresses?: string[] }).addresses ?? []
        if (addresses.length === 0) return timed({ id, title, kind: 'dns' }, async () => ({ status: 'fail', message: `ingress ${ingressName} has no load-balancer address to compare with (${ing.message})`, evidence: { host, ingress: ingressName } }))
        return dnsResolves({ host, expect: addresses, id, title, signal })
      }, eventually(converge))
    },
    /** Every container of each deployment's pod template runs `<image>:<version>`. */
    version(id: string, deployments: readonly string[], version: string): CheckSpec {
      const title = `deployments ${deployments.join(', ')} run version ${version}`
      return spec(id, title, 'kube-version', (signal) =>
        timed({ id, title, kind: 'kube-version' }, async () => {
          const client = createKubeClient({ ...conn(t), signal })
          const images: Record<string, string[]> = {}
          for (const name of deployments) {
            try {
              const d = await client.apps.readNamespacedDeployment({ name, namespace: t.namespace }, client.call())
              images[name] = (d.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '')
            } catch (err) {
              const f = describeKubeError(err, { verb: 'get', resource: 'deployments', kind: 'deployment', name, namespace: t.namespace }, client.server)
              return { status: 'fail', message: f.message || errorMessage(err), evidence: { version, images } }
            }
          }
          return judgeVersion(images, version)
        }),
      )
    },
  }
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
export function judgeVersion(images: Record<string, string[]>, version: string): Verdict<{ version: string; images: Record<string, string[]> }> {
  const evidence = { version, images }
  const names = Object.keys(images)
  if (names.length === 0) return { status: 'fail', message: 'no deployments to check', evidence }
  const wrong = names.flatMap((n) => (images[n]!.length === 0 ? [`${n}: no containers`] : images[n]!.filter((i) => imageTag(i) !== version).map((i) => `${n}: ${i}`)))
  if (wrong.length > 0) return { status: 'fail', message: `not at ${version}: ${wrong.join('; ')}`, evidence }
  return { status: 'pass', message: `${names.join(', ')} at ${version}`, evidence }
}
