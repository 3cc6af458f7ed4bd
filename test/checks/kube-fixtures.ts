// Shared helpers for the Kubernetes tests: manifests for the simulator.
import { FAULT_ANNOTATION } from '../../sandbox/kube-sim/index.ts'

export function deployment(name: string, opts: { replicas?: number; image?: string; fault?: string; ns?: string; progressDeadlineSeconds?: number } = {}) {
  const annotations = opts.fault ? { [FAULT_ANNOTATION]: opts.fault } : undefined
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: opts.ns ?? 'default' },
    spec: {
      replicas: opts.replicas ?? 2,
      progressDeadlineSeconds: opts.progressDeadlineSeconds ?? 600,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, ...(annotations ? { annotations } : {}) }, spec: { containers: [{ name: 'app', image: opts.image ?? 'registry.local/app:1.0' }] } },
    },
  }
}
