import { describeKubeError, type KubeClient, type KubeOperation } from '../clients/kube.ts'
import type { Verdict } from '../lib/result.ts'

/**
 * A Kubernetes API call that failed (unreachable, timed out, 401/403/404, ...), as the failing
 * verdict of the check that made it: the one-line reason, and the server's own message in evidence.
 */
export function kubeApiFailure<E extends { serverMessage?: string }>(err: unknown, op: KubeOperation, client: Pick<KubeClient, 'server'>, evidence: E): Verdict<E> {
  const f = describeKubeError(err, op, client.server)
  if (f.serverMessage) evidence.serverMessage = f.serverMessage
  return { status: 'fail', message: f.message, evidence }
}
