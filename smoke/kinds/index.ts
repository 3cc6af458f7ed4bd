import { alembicKind } from './alembic.ts'
import { browserKind } from './browser.ts'
import { dnsKind } from './dns.ts'
import { grafanaKind } from './grafana.ts'
import { httpKind } from './http.ts'
import { httpsRedirectKind } from './https-redirect.ts'
import { kubeCertificateKind } from './kube-certificate.ts'
import { kubeEventsKind } from './kube-events.ts'
import { kubeHpaKind } from './kube-hpa.ts'
import { kubeIngressKind } from './kube-ingress.ts'
import { kubePodsKind } from './kube-pods.ts'
import { kubeResourceKind } from './kube-resource.ts'
import { kubeRolloutKind } from './kube-rollout.ts'
import { kubeSecretKeysKind } from './kube-secret-keys.ts'
import { latencyKind } from './latency.ts'
import { metricsKind } from './metrics.ts'
import { postgresKind } from './postgres.ts'
import { promAlertsKind } from './prom-alerts.ts'
import { promQueryKind } from './prom-query.ts'
import { promTargetsKind } from './prom-targets.ts'
import { queueDepthKind } from './queue-depth.ts'
import { redisKind } from './redis.ts'
import { rlsKind } from './rls.ts'
import { securityHeadersKind } from './security-headers.ts'
import { sqlKind } from './sql.ts'
import { tlsKind } from './tls.ts'
import { webhookKind } from './webhook.ts'
import type { CheckKind } from './types.ts'

/**
 * Every check kind a target file can use. A new kind is one module exporting a `CheckKind` and one line here.
 */
export const KINDS: readonly CheckKind[] = [
  httpKind,
  httpsRedirectKind,
  securityHeadersKind,
  tlsKind,
  webhookKind,
  metricsKind,
  postgresKind,
  alembicKind,
  rlsKind,
  sqlKind,
  redisKind,
  queueDepthKind,
  promQueryKind,
  promTargetsKind,
  promAlertsKind,
  latencyKind,
  grafanaKind,
  browserKind,
  kubeRolloutKind,
  kubePodsKind,
  kubeCertificateKind,
  kubeResourceKind,
  kubeSecretKeysKind,
  kubeIngressKind,
  kubeHpaKind,
  kubeEventsKind,
  dnsKind,
]

export function findKind(name: string): CheckKind | undefined {
  return KINDS.find((k) => k.kind === name)
}

export type { BuildContext, CheckKind, CommonCheckFields } from './types.ts'
