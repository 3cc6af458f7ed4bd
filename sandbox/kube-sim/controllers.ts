/**
 * Simulated controllers: Deployment → ReplicaSet → Pod (with a fake kubelet), StatefulSet,
 * DaemonSet, cert-manager Certificates, Ingress addresses, HPA status, Namespaces. They run on a
 * short tick and write status the way the real controllers do, so clients watching the API see the
 * same progression. Faults come from the annotation `kube-sim.runbook-kit.dev/fault` on the object
 * (or its pod template) or from image names listed in the options.
 */
import { createHash } from 'node:crypto'
import { clone, type KObj, nowIso, randomSuffix, type SimStore, stableJson } from './store.ts'

export const FAULT_ANNOTATION = 'kube-sim.runbook-kit.dev/fault'
const REVISION = 'deployment.kubernetes.io/revision'
const HASH_LABEL = 'pod-template-hash'

export interface ControllerTiming {
  /** Time from pod creation to its containers running, real ms. */
  podStartMs: number
  /** Time from running to Ready, real ms. */
  podReadyMs: number
  /** Length of one crash/back-off cycle of a crash-looping container, real ms. */
  crashIntervalMs: number
  /** Time until a Certificate becomes Ready, real ms. */
  certReadyMs: number
  /** Time until an Ingress gets a load-balancer address, real ms. */
  ingressAddressMs: number
  /** Simulated seconds per real second, applied to progressDeadlineSeconds. */
  timeScale: number
  /** Images (substring match) that cannot be pulled. */
  badImages: string[]
  /** Node names pods are scheduled to (DaemonSets run one pod per node). */
  nodes: string[]
}

type Fault = 'ImagePullBackOff' | 'CrashLoopBackOff' | 'OOMKilled' | 'Unschedulable' | 'CreateContainerConfigError' | 'NeverReady' | 'NoAddress' | 'ScalingInactive' | undefined

export class Controllers {
  readonly #store: SimStore
  readonly #t: ControllerTiming
  /** Per-object controller memory the real controllers keep in status or caches. */
  #progress = new Map<string, { sig: string; at: number }>()
  #emitted = new Set<string>()

  constructor(store: SimStore, timing: ControllerTiming) {
    this.#store = store
    this.#t = timing
  }

  tick(): void {
    const s = this.#store
    for (const ns of s.list('namespaces')) if (ns.status?.phase !== 'Active') this.#setStatus('namespaces', ns, { phase: 'Active' })
    for (const d of s.list('deployments')) this.#deployment(d)
    for (const rs of s.list('replicasets')) this.#replicaSet(rs)
    for (const sts of s.list('statefulsets')) this.#statefulSet(sts)
    for (const ds of s.list('daemonsets')) this.#daemonSet(ds)
    for (const p of s.list('pods')) this.#kubelet(p)
    for (const c of s.list('certificates')) this.#certificate(c)
    for (const ci of s.list('clusterissuers')) this.#issuer('clusterissuers', ci)
    for (const i of s.list('issuers')) this.#issuer('issuers', i)
    for (const ing of s.list('ingresses')) this.#ingress(ing)
    for (const h of s.list('horizontalpodautoscalers')) this.#hpa(h)
  }

  #setStatus(resource: string, obj: KObj, status: KObj): KObj {
    if (stableJson(obj.status ?? {}) === stableJson(status)) return obj
    return this.#store.update(resource, { ...obj, status })
  }

  event(obj: KObj, type: 'Normal' | 'Warning', reason: string, message: string, component: string, once = true): void {
    const k = `${obj.metadata.uid}/${reason}/${message}`
    if (once && this.#emitted.has(k)) return
    this.#emitted.add(k)
    const ns = obj.metadata.namespace ?? 'default'
    const ts = nowIso()
    this.#store.create('events', {
      metadata: { name: `${obj.metadata.name}.${Date.now().toString(16)}${randomSuffix(3)}`, namespace: ns },
      involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: ns, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      source: { component },
      reportingComponent: component,
    })
  }

  // ---- Deployment controller -------------------------------------------------------------
  #deployment(d: KObj): void {
    const s = this.#store
    const ns = d.metadata.namespace
    const replicas: number = d.spec.replicas ?? 1
    const owned = s.list('replicasets', ns).filter((rs) => isOwnedBy(rs, d))
    const template = d.spec.template ?? {}
    let newRS = owned.find((rs) => sameTemplate(rs.spec.template, template))
    const maxRev = Math.max(0, ...owned.map(revisionOf))
    const paused = Boolean(d.spec.paused)
    let progressReason: string | undefined
    if (!newRS && !paused) {
      const hash = templateHash(template)
      const tpl = clone(template)
      tpl.metadata ??= {}
      tpl.metadata.labels = { ...(tpl.metadata.labels ?? {}), [HASH_LABEL]: hash }
      newRS = s.create('replicasets', {
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: ns,
          labels: tpl.metadata.labels,
          annotations: { [REVISION]: String(maxRev + 1), 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + surge(d, replicas)) },
          ownerReferences: [ownerRef(d)],
        },
        spec: { replicas: 0, selector: { matchLabels: { ...(d.spec.selector?.matchLabels ?? {}), [HASH_LABEL]: hash } }, template: tpl },
      })
      this.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${newRS.metadata.name} from 0 to ${Math.min(replicas, surge(d, replicas))}`, 'deployment-controller', false)
      progressReason = 'NewReplicaSetCreated'
    } else if (newRS && revisionOf(newRS) < maxRev && !paused) {
      // Rolled back to an older template: the old ReplicaSet is re-adopted with a new, highest revision.
      const old = revisionOf(newRS)
      const history = [newRS.metadata.annotations?.['deployment.kubernetes.io/revision-history'], String(old)].filter(Boolean).join(',')
      newRS = s.update('replicasets', { ...newRS, metadata: { ...newRS.metadata, annotations: { ...newRS.metadata.annotations, [REVISION]: String(maxRev + 1), 'deployment.kubernetes.io/revision-history': history } } })
      progressReason = 'FoundNewReplicaSet'
    }
    const olds = s.list('replicasets', ns).filter((rs) => isOwnedBy(rs, d) && rs.metadata.uid !== newRS?.metadata.uid)

    if (newRS && !paused) {
      const available = newRS.status?.availableReplicas ?? 0
      const recreate = d.spec.strategy?.type === 'Recreate'
      const oldPods = olds.reduce((a, rs) => a + (rs.status?.replicas ?? 0), 0)
      const want = recreate ? (oldPods > 0 ? 0 : replicas) : Math.min(replicas, available + surge(d, replicas))
      if ((newRS.spec.replicas ?? 0) !== want) {
        if (want > (newRS.spec.replicas ?? 0)) this.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${newRS.metadata.name} from ${newRS.spec.replicas ?? 0} to ${want}`, 'deployment-controller', false)
        newRS = s.update('replicasets', { ...newRS, spec: { ...newRS.spec, replicas: want } })
      }
      let oldBudget = recreate ? 0 : Math.max(0, replicas - available)
      for (const rs of olds.sort((a, b) => revisionOf(b) - revisionOf(a))) {
        const keep = Math.min(rs.spec.replicas ?? 0, oldBudget)
        oldBudget -= keep
        if ((rs.spec.replicas ?? 0) !== keep) {
          this.event(d, 'Normal', 'ScalingReplicaSet', `Scaled down replica set ${rs.metadata.name} from ${rs.spec.replicas} to ${keep}`, 'deployment-controller', false)
          s.update('replicasets', { ...rs, spec: { ...rs.spec, replicas: keep } })
        }
      }
    }

    const cur = s.get('deployments', ns, d.metadata.name)
    if (!cur) return
    const all = s.list('replicasets', ns).filter((rs) => isOwnedBy(rs, d))
    const fresh = newRS ? all.find((rs) => rs.metadata.uid === newRS!.metadata.uid) : undefined
    const sum = (f: (rs: KObj) => number) => all.reduce((a, rs) => a + f(rs), 0)
    const status: KObj = {
      observedGeneration: cur.metadata.generation,
      replicas: sum((rs) => rs.status?.replicas ?? 0),
      updatedReplicas: fresh?.status?.replicas ?? 0,
      readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas: sum((rs) => rs.status?.availableReplicas ?? 0),
    }
    status.unavailableReplicas = Math.max(0, replicas - status.availableReplicas)
    for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) if (status[k] === 0) delete status[k]

    // Conditions, as the deployment controller's sync/progress code sets them.
    const now = Date.now()
    const ts = nowIso()
    const prev: KObj[] = cur.status?.conditions ?? []
    const cond = (type: string, st: string, reason: string, message: string, touch: boolean): KObj => {
      const p = prev.find((c) => c.type === type)
      const changed = !p || p.status !== st
      return { type, status: st, lastUpdateTime: touch || !p ? ts : p.lastUpdateTime, lastTransitionTime: changed ? ts : p.lastTransitionTime, reason, message }
    }
    const maxUnavailable = Math.floor(replicas * 0.25)
    const available = (status.availableReplicas ?? 0) >= replicas - maxUnavailable
    const availableCond = available ? cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', false) : cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', false)
    const rsName = fresh?.metadata.name ?? ''
    const complete = fresh && (status.updatedReplicas ?? 0) === replicas && (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && (status.availableReplicas ?? 0) >= (status.updatedReplicas ?? 0)
    const key = cur.metadata.uid
    const sig = JSON.stringify([status.updatedReplicas, status.replicas, status.readyReplicas, status.availableReplicas, rsName, cur.metadata.generation])
    const mem = this.#progress.get(key)
    const progressed = !mem || mem.sig !== sig
    if (progressed) this.#progress.set(key, { sig, at: now })
    const lastProgress = this.#progress.get(key)!.at
    const prevProg = prev.find((c) => c.type === 'Progressing')
    let progressing: KObj
    if (paused) progressing = cond('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', false)
    else if (complete) progressing = cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, prevProg?.reason !== 'NewReplicaSetAvailable')
    else if (progressReason === 'NewReplicaSetCreated') progressing = cond('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsName}"`, true)
    else if (progressReason === 'FoundNewReplicaSet') progressing = cond('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${rsName}"`, true)
    else {
      const deadlineMs = ((cur.spec.progressDeadlineSeconds ?? 600) * 1000) / this.#t.timeScale
      if (!progressed && now - lastProgress > deadlineMs) progressing = cond('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`, prevProg?.reason !== 'ProgressDeadlineExceeded')
      else if (progressed || prevProg?.reason !== 'ProgressDeadlineExceeded') progressing = cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, progressed)
      else progressing = prevProg as KObj
    }
    status.conditions = [availableCond, progressing]
    if (progressing.reason === 'ProgressDeadlineExceeded' && prevProg?.reason !== 'ProgressDeadlineExceeded') this.event(cur, 'Warning', 'ProgressDeadlineExceeded', progressing.message, 'deployment-controller', false)

    let next = cur
    if (fresh && cur.metadata.annotations?.[REVISION] !== fresh.metadata.annotations?.[REVISION]) {
      next = s.update('deployments', { ...cur, metadata: { ...cur.metadata, annotations: { ...(cur.metadata.annotations ?? {}), [REVISION]: fresh.metadata.annotations[REVISION] } } })
    }
    // Keep timestamps stable when nothing else changed, so an idle deployment does not churn resourceVersions.
    const comparable = (st: KObj) => stableJson({ ...st, conditions: (st.conditions ?? []).map((c: KObj) => ({ ...c, lastUpdateTime: undefined, lastTransitionTime: undefined })) })
    const touched = status.conditions.some((c: KObj, i: number) => prev[i]?.lastUpdateTime !== c.lastUpdateTime && c.lastUpdateTime === ts && (prev[i]?.reason !== c.reason || progressed))
    if (comparable(next.status ?? {}) !== comparable(status) || (touched && progressed && !complete)) this.#setStatus('deployments', next, status)
  }

  // ---- ReplicaSet controller ------------------------------------------------------------
  #replicaSet(rs: KObj): void {
    const s = this.#store
    const ns = rs.metadata.namespace
    const want: number = rs.spec.replicas ?? 1
    let pods = s.list('pods', ns).filter((p) => isOwnedBy(p, rs))
    for (let i = pods.length; i < want; i++) {
      const tpl = clone(rs.spec.template ?? {})
      const p = s.create('pods', {
        metadata: { name: `${rs.metadata.name}-${randomSuffix()}`, namespace: ns, labels: tpl.metadata?.labels ?? {}, annotations: tpl.metadata?.annotations ?? {}, ownerReferences: [ownerRef(rs)] },
        spec: tpl.spec ?? {},
        status: { phase: 'Pending' },
      })
      this.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`, 'replicaset-controller', false)
    }
    if (pods.length > want) {
      const doomed = pods.sort((a, b) => podRank(a) - podRank(b) || b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp)).slice(0, pods.length - want)
      for (const p of doomed) {
        s.delete('pods', ns, p.metadata.name)
        this.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, 'replicaset-controller', false)
      }
    }
    pods = s.list('pods', ns).filter((p) => isOwnedBy(p, rs))
    const ready = pods.filter(isPodReady).length
    const status: KObj = { replicas: pods.length, fullyLabeledReplicas: pods.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata.generation }
    for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']) if (status[k] === 0) delete status[k]
    const cur = s.get('replicasets', ns, rs.metadata.name)
    if (cur) this.#setStatus('replicasets', cur, status)
  }

  // ---- StatefulSet controller -----------------------------------------------------------
  #statefulSet(sts: KObj): void {
    const s = this.#store
    const ns = sts.metadata.namespace
    const replicas: number = sts.spec.replicas ?? 1
    const updateRevision = this.#controllerRevision(sts, templateHash(sts.spec.template ?? {}))
    const partition: number = sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0
    const rolling = (sts.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate'
    let pods = s.list('pods', ns).filter((p) => isOwnedBy(p, sts))
    const byOrdinal = new Map(pods.map((p) => [Number(p.metadata.name.slice(sts.metadata.name.length + 1)), p]))
    const prevCurrent: string = sts.status?.currentRevision ?? updateRevision
    for (let i = 0; i < replicas; i++) {
      if (byOrdinal.has(i)) continue
      // Ordered creation: the previous ordinal must be Ready first.
      if (i > 0 && !(byOrdinal.get(i - 1) && isPodReady(byOrdinal.get(i - 1)!))) break
      const rev = i >= partition ? updateRevision : prevCurrent
      const tpl = clone(sts.spec.template ?? {})
      const p = s.create('pods', {
        metadata: { name: `${sts.metadata.name}-${i}`, namespace: ns, labels: { ...(tpl.metadata?.labels ?? {}), 'controller-revision-hash': rev, 'apps.kubernetes.io/pod-index': String(i) }, annotations: tpl.metadata?.annotations ?? {}, ownerReferences: [ownerRef(sts)] },
        spec: tpl.spec ?? {},
        status: { phase: 'Pending' },
      })
      byOrdinal.set(i, p)
      break
    }
    for (const [i, p] of byOrdinal) if (i >= replicas) s.delete('pods', ns, p.metadata.name)
    pods = s.list('pods', ns).filter((p) => isOwnedBy(p, sts))
    if (rolling && pods.length === replicas && pods.every(isPodReady)) {
      const stale = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] !== updateRevision && Number(p.metadata.name.slice(sts.metadata.name.length + 1)) >= partition)
      const victim = stale.sort((a, b) => b.metadata.name.localeCompare(a.metadata.name))[0]
      if (victim) s.delete('pods', ns, victim.metadata.name)
    }
    pods = s.list('pods', ns).filter((p) => isOwnedBy(p, sts))
    const updated = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === updateRevision).length
    const currentRevision = updated === replicas ? updateRevision : prevCurrent
    const cur = s.get('statefulsets', ns, sts.metadata.name)
    if (!cur) return
    const ready = pods.filter(isPodReady).length
    this.#setStatus('statefulsets', cur, {
      observedGeneration: cur.metadata.generation,
      replicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === currentRevision).length,
      updatedReplicas: updated,
      currentRevision,
      updateRevision,
      collisionCount: 0,
    })
  }

  /**
   * History for StatefulSets and DaemonSets, as their controllers keep it: one ControllerRevision per
   * distinct template (data = a strategic merge patch replacing spec.template); going back to an old
   * template re-numbers its revision as the newest. Returns the revision's name.
   */
  #controllerRevision(owner: KObj, hash: string): string {
    const s = this.#store
    const ns = owner.metadata.namespace
    const name = `${owner.metadata.name}-${hash}`
    const owned = s.list('controllerrevisions', ns).filter((cr) => isOwnedBy(cr, owner))
    const max = Math.max(0, ...owned.map((cr) => Number(cr.revision ?? 0)))
    const existing = owned.find((cr) => cr.metadata.name === name)
    if (!existing) {
      s.create('controllerrevisions', {
        metadata: { name, namespace: ns, labels: { ...(owner.spec.template?.metadata?.labels ?? {}), 'controller-revision-hash': hash }, ownerReferences: [ownerRef(owner)] },
        data: { spec: { template: { ...clone(owner.spec.template ?? {}), $patch: 'replace' } } },
        revision: max + 1,
      })
    } else if (Number(existing.revision) < max) {
      s.update('controllerrevisions', { ...existing, revision: max + 1 })
    }
    return name
  }

  // ---- DaemonSet controller -------------------------------------------------------------
  #daemonSet(ds: KObj): void {
    const s = this.#store
    const ns = ds.metadata.namespace
    const hash = templateHash(ds.spec.template ?? {})
    this.#controllerRevision(ds, hash)
    const nodes = this.#t.nodes
    let pods = s.list('pods', ns).filter((p) => isOwnedBy(p, ds))
    for (const node of nodes) {
      if (pods.some((p) => p.spec.nodeName === node)) continue
      const tpl = clone(ds.spec.template ?? {})
      s.create('pods', {
        metadata: { name: `${ds.metadata.name}-${randomSuffix()}`, namespace: ns, labels: { ...(tpl.metadata?.labels ?? {}), 'controller-revision-hash': hash }, annotations: tpl.metadata?.annotations ?? {}, ownerReferences: [ownerRef(ds)] },
        spec: { ...(tpl.spec ?? {}), nodeName: node },
        status: { phase: 'Pending' },
      })
    }
    pods = s.list('pods', ns).filter((p) => isOwnedBy(p, ds))
    if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && pods.every(isPodReady)) {
      const stale = pods.find((p) => p.metadata.labels?.['controller-revision-hash'] !== hash)
      if (stale) s.delete('pods', ns, stale.metadata.name)
    }
    pods = s.list('pods', ns).filter((p) => isOwnedBy(p, ds))
    const cur = s.get('daemonsets', ns, ds.metadata.name)
    if (!cur) return
    const ready = pods.filter(isPodReady).length
    const updatedPods = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === hash)
    this.#setStatus('daemonsets', cur, {
      observedGeneration: cur.metadata.generation,
      desiredNumberScheduled: nodes.length,
      currentNumberScheduled: pods.length,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      numberUnavailable: Math.max(0, nodes.length - ready),
      updatedNumberScheduled: updatedPods.length,
    })
  }

  // ---- kubelet (and scheduler) -----------------------------------------------------------
  #kubelet(p: KObj): void {
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return
    const fault = this.#podFault(p)
    const age = Date.now() - Date.parse(p.metadata.creationTimestamp)
    const containers: KObj[] = p.spec.containers ?? []
    const ts = p.metadata.creationTimestamp
    const started = new Date(Date.parse(ts) + this.#t.podStartMs).toISOString().replace(/\.\d{3}Z$/, 'Z')
    const cond = (type: string, status: string, extra: KObj = {}) => ({ type, status, lastProbeTime: null, lastTransitionTime: ts, ...extra })
    let p2: KObj
    if (fault === 'Unschedulable') {
      p2 = { phase: 'Pending', conditions: [cond('PodScheduled', 'False', { reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.' })] }
      this.event(p, 'Warning', 'FailedScheduling', p2.conditions[0].message, 'default-scheduler')
      return void this.#writePod(p, p2)
    }
    const node = p.spec.nodeName ?? this.#t.nodes[0]
    if (!p.spec.nodeName) {
      this.#store.update('pods', { ...p, spec: { ...p.spec, nodeName: node } })
      this.event(p, 'Normal', 'Scheduled', `Successfully assigned ${p.metadata.namespace}/${p.metadata.name} to ${node}`, 'default-scheduler')
      return
    }
    const statuses: KObj[] = []
    let allReady = true
    for (const c of containers) {
      const base = { name: c.name, image: c.image, imageID: '', restartCount: 0, started: false, ready: false }
      const bad = fault === 'ImagePullBackOff' || this.#t.badImages.some((b) => String(c.image ?? '').includes(b))
      if (age < this.#t.podStartMs) {
        statuses.push({ ...base, state: { waiting: { reason: 'ContainerCreating' } } })
      } else if (bad) {
        const phase = Math.floor((age - this.#t.podStartMs) / this.#t.crashIntervalMs) % 2
        const reason = phase === 0 ? 'ErrImagePull' : 'ImagePullBackOff'
        const message = phase === 0 ? `failed to pull and unpack image "${c.image}": not found` : `Back-off pulling image "${c.image}"`
        this.event(p, 'Warning', 'Failed', `Failed to pull image "${c.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found`, 'kubelet')
        statuses.push({ ...base, state: { waiting: { reason, message } } })
      } else if (fault === 'CreateContainerConfigError') {
        statuses.push({ ...base, state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "missing" not found' } } })
      } else if (fault === 'CrashLoopBackOff' || fault === 'OOMKilled') {
        const restarts = Math.floor((age - this.#t.podStartMs) / this.#t.crashIntervalMs)
        const lastReason = fault === 'OOMKilled' ? 'OOMKilled' : 'Error'
        const exitCode = fault === 'OOMKilled' ? 137 : 1
        if (restarts === 0) statuses.push({ ...base, started: true, state: { running: { startedAt: started } } })
        else {
          this.event(p, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})`, 'kubelet')
          statuses.push({
            ...base,
            restartCount: restarts,
            state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.min(300, 10 * 2 ** (restarts - 1))}s restarting failed container=${c.name} pod=${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})` } },
            lastState: { terminated: { exitCode, reason: lastReason, startedAt: started, finishedAt: started, containerID: '' } },
          })
        }
      } else {
        const isReady = age >= this.#t.podStartMs + this.#t.podReadyMs
        this.event(p, 'Normal', 'Started', `Started container ${c.name}`, 'kubelet')
        statuses.push({ ...base, started: true, ready: isReady, state: { running: { startedAt: started } } })
        if (!isReady) allReady = false
        continue
      }
      allReady = false
    }
    const ready = allReady && containers.length > 0
    const running = statuses.some((s) => s.state.running)
    const notReadyMsg = `containers with unready status: [${statuses.filter((s) => !s.ready).map((s) => s.name).join(' ')}]`
    p2 = {
      phase: running || ready ? 'Running' : 'Pending',
      conditions: [
        cond('PodReadyToStartContainers', 'True'),
        cond('Initialized', 'True'),
        ready ? cond('Ready', 'True') : cond('Ready', 'False', { reason: 'ContainersNotReady', message: notReadyMsg }),
        ready ? cond('ContainersReady', 'True') : cond('ContainersReady', 'False', { reason: 'ContainersNotReady', message: notReadyMsg }),
        cond('PodScheduled', 'True'),
      ],
      hostIP: '10.0.0.10',
      podIP: `10.244.0.${(hashNum(p.metadata.uid) % 250) + 2}`,
      startTime: ts,
      containerStatuses: statuses,
      qosClass: 'BestEffort',
    }
    p2.podIPs = [{ ip: p2.podIP }]
    p2.hostIPs = [{ ip: p2.hostIP }]
    this.#writePod(p, p2)
  }

  #writePod(p: KObj, status: KObj): void {
    // Transition times: keep the previous one when the status of a condition did not change.
    const prev: KObj[] = p.status?.conditions ?? []
    const ts = nowIso()
    for (const c of status.conditions ?? []) {
      const old = prev.find((x) => x.type === c.type)
      c.lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : old ? ts : c.lastTransitionTime
    }
    this.#setStatus('pods', p, status)
  }

  #podFault(p: KObj): Fault {
    return p.metadata.annotations?.[FAULT_ANNOTATION] as Fault
  }

  // ---- cert-manager ------------------------------------------------------------------------
  #certificate(c: KObj): void {
    const fault = c.metadata.annotations?.[FAULT_ANNOTATION] as Fault
    const gen = c.metadata.generation
    const conds: KObj[] = c.status?.conditions ?? []
    const ready = conds.find((x) => x.type === 'Ready')
    if (ready?.status === 'True' && ready.observedGeneration === gen) return
    const ts = nowIso()
    const cond = (type: string, status: string, reason: string, message: string) => {
      const old = conds.find((x) => x.type === type)
      return { type, status, reason, message, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : ts, observedGeneration: gen }
    }
    // Issuance is timed from the later of creation and the last spec change (the Issuing transition).
    const issuing = conds.find((x) => x.type === 'Issuing')
    const since = Date.parse(issuing?.status === 'True' ? issuing.lastTransitionTime : c.metadata.creationTimestamp)
    if (fault === 'NeverReady') {
      const failed = Date.now() - since >= this.#t.certReadyMs
      const next = {
        ...(c.status ?? {}),
        conditions: [
          cond('Ready', 'False', 'DoesNotExist', 'Issuing certificate as Secret does not exist'),
          failed ? cond('Issuing', 'False', 'Failed', 'The certificate request has failed to complete and will be retried: Failed to wait for order resource "x" to become ready: order is in "invalid" state') : cond('Issuing', 'True', 'DoesNotExist', 'Issuing certificate as Secret does not exist'),
        ],
        ...(failed ? { failedIssuanceAttempts: 1, lastFailureTime: ts } : {}),
      }
      if (failed) this.event(c, 'Warning', 'Failed', 'The certificate request has failed to complete and will be retried', 'cert-manager-certificates-issuing')
      return void this.#setStatusIgnoringTimes('certificates', c, next)
    }
    if (Date.now() - since < this.#t.certReadyMs || !issuing) {
      const why = ready ? ['Renewing', 'Re-issuing certificate as its spec changed'] : ['DoesNotExist', 'Issuing certificate as Secret does not exist']
      return void this.#setStatusIgnoringTimes('certificates', c, {
        ...(c.status ?? {}),
        conditions: [ready ? { ...ready } : cond('Ready', 'False', why[0]!, why[1]!), issuing?.status === 'True' ? issuing : cond('Issuing', 'True', why[0]!, why[1]!)],
      })
    }
    const lifetimeMs = parseGoDuration(c.spec.duration ?? '2160h')
    const notBefore = Date.now()
    const notAfter = notBefore + lifetimeMs
    const renewBeforeMs = c.spec.renewBefore ? parseGoDuration(c.spec.renewBefore) : lifetimeMs / 3
    const secretName = c.spec.secretName
    if (secretName) {
      const ns = c.metadata.namespace
      const data = { 'tls.crt': Buffer.from(`-----BEGIN CERTIFICATE-----\nkube-sim ${c.metadata.name}\n-----END CERTIFICATE-----\n`).toString('base64'), 'tls.key': Buffer.from('kube-sim private key').toString('base64'), 'ca.crt': '' }
      const meta = { name: secretName, namespace: ns, annotations: { 'cert-manager.io/certificate-name': c.metadata.name, 'cert-manager.io/issuer-name': c.spec.issuerRef?.name ?? '', 'cert-manager.io/issuer-kind': c.spec.issuerRef?.kind ?? 'Issuer' } }
      const existing = this.#store.get('secrets', ns, secretName)
      if (existing) this.#store.update('secrets', { ...existing, metadata: { ...existing.metadata, annotations: { ...(existing.metadata.annotations ?? {}), ...meta.annotations } }, type: 'kubernetes.io/tls', data })
      else this.#store.create('secrets', { metadata: meta, type: 'kubernetes.io/tls', data })
    }
    const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
    this.#store.update('certificates', {
      ...c,
      status: {
        conditions: [cond('Ready', 'True', 'Ready', 'Certificate is up to date and has not expired')],
        notBefore: iso(notBefore),
        notAfter: iso(notAfter),
        renewalTime: iso(notAfter - renewBeforeMs),
        revision: (c.status?.revision ?? 0) + 1,
      },
    })
    this.event(c, 'Normal', 'Issuing', 'The certificate has been successfully issued', 'cert-manager-certificates-issuing', false)
  }

  #setStatusIgnoringTimes(resource: string, obj: KObj, status: KObj): void {
    const strip = (st: KObj) => stableJson({ ...st, lastFailureTime: undefined, conditions: (st.conditions ?? []).map((c: KObj) => ({ ...c, lastTransitionTime: undefined })) })
    if (strip(obj.status ?? {}) !== strip(status)) this.#store.update(resource, { ...obj, status })
  }

  #issuer(resource: string, i: KObj): void {
    if (i.status?.conditions?.some((c: KObj) => c.type === 'Ready')) return
    this.#store.update(resource, { ...i, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'ACMEAccountRegistered', message: 'The ACME account was registered with the ACME server', lastTransitionTime: nowIso(), observedGeneration: i.metadata.generation }] } })
  }

  #ingress(ing: KObj): void {
    const fault = ing.metadata.annotations?.[FAULT_ANNOTATION] as Fault
    if (fault === 'NoAddress' || ing.status?.loadBalancer?.ingress?.length) return
    if (Date.now() - Date.parse(ing.metadata.creationTimestamp) < this.#t.ingressAddressMs) return
    this.#store.update('ingresses', { ...ing, status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } })
  }

  #hpa(h: KObj): void {
    const ref = h.spec.scaleTargetRef ?? {}
    const resource = ref.kind === 'StatefulSet' ? 'statefulsets' : 'deployments'
    const target = this.#store.get(resource, h.metadata.namespace, ref.name)
    const fault = h.metadata.annotations?.[FAULT_ANNOTATION] as Fault
    const ts = h.status?.conditions?.[0]?.lastTransitionTime ?? nowIso()
    const current = target?.status?.replicas ?? 0
    const min = h.spec.minReplicas ?? 1
    const max = h.spec.maxReplicas ?? min
    const desired = Math.min(max, Math.max(min, current))
    const conditions = target
      ? [
          { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size', lastTransitionTime: ts },
          fault === 'ScalingInactive'
            ? { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API', lastTransitionTime: ts }
            : { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)', lastTransitionTime: ts },
          { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range', lastTransitionTime: ts },
        ]
      : [{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${resource}.apps "${ref.name}" not found`, lastTransitionTime: ts }]
    this.#setStatus('horizontalpodautoscalers', h, { currentReplicas: current, desiredReplicas: desired, currentMetrics: null, conditions })
  }
}

function surge(d: KObj, replicas: number): number {
  const ms = d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%'
  const v = typeof ms === 'string' && ms.endsWith('%') ? Math.ceil((replicas * Number(ms.slice(0, -1))) / 100) : Number(ms)
  return Math.max(1, Number.isFinite(v) ? v : 1)
}

export function isOwnedBy(child: KObj, owner: KObj): boolean {
  return (child.metadata.ownerReferences ?? []).some((r: KObj) => r.uid === owner.metadata.uid)
}

function ownerRef(o: KObj): KObj {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true }
}

export function revisionOf(rs: KObj): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? 0)
}

/** Compares pod templates ignoring the pod-template-hash label (as the deployment controller does). */
export function sameTemplate(a: KObj | undefined, b: KObj | undefined): boolean {
  const strip = (t: KObj | undefined) => {
    const c = clone(t ?? {})
    if (c.metadata?.labels) delete c.metadata.labels[HASH_LABEL]
    return stableJson(c)
  }
  return strip(a) === strip(b)
}

export function templateHash(template: KObj): string {
  const digest = createHash('sha256').update(stableJson(template)).digest()
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  let s = ''
  for (let i = 0; i < 10; i++) s += alphabet[digest[i]! % alphabet.length]
  return s
}

export function isPodReady(p: KObj): boolean {
  return (p.status?.conditions ?? []).some((c: KObj) => c.type === 'Ready' && c.status === 'True')
}

function podRank(p: KObj): number {
  if (!p.spec.nodeName) return 0
  if (p.status?.phase === 'Pending') return 1
  return isPodReady(p) ? 3 : 2
}

function hashNum(s: string): number {
  let h = 0
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return h
}

/** Go durations as cert-manager accepts them: `2160h`, `720h0m0s`, `90m`. */
export function parseGoDuration(s: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }
  let total = 0
  for (const m of String(s).matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) total += Number(m[1]) * units[m[2]!]!
  return total
}
