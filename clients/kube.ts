/**
 * Kubernetes client plumbing on top of @kubernetes/client-node v1: KubeConfig loading (default chain
 * or explicit file and context), per-call timeouts and cancellation, clear error messages for the
 * usual failures (unreachable, 401, 403, 404), and a list-then-watch helper that behaves like
 * client-go's reflector: re-watch from the last resourceVersion after a normal end, jittered capped
 * exponential backoff and a re-list after failed, very short or expired (`410 Gone`) watches, and a
 * re-list when a watch stays silent too long.
 */
import { existsSync } from 'node:fs'
import type { ConfigurationOptions, KubeConfig, KubernetesObjectApi, RequestContext, ResponseContext } from '@kubernetes/client-node'
import type { AppsV1Api, AutoscalingV2Api, CoreV1Api, CustomObjectsApi, NetworkingV1Api } from '@kubernetes/client-node'
import { capToDeadline } from '../lib/deadline.ts'
import { InvalidArgumentError, TimeoutError, errorMessage } from '../lib/errors.ts'
import { stripUndefined } from '../lib/object.ts'
import { defaultsOf, Duration, FilePath, Options, Type, type Static } from '../lib/schema.ts'

/**
 * How to reach a cluster: the options every Kubernetes kind declares (kube-rollout, kube-pods,
 * kube-certificate, kube-resource, kube-secret-keys, kube-ingress, kube-hpa, kube-events), declared
 * once here.
 */
export const KUBE_CONNECTION_FIELDS = Object.freeze({
  kubeconfig: Type.Optional(FilePath({ what: 'kubeconfig', description: 'kubeconfig file (default: the default chain: KUBECONFIG, ~/.kube/config, in-cluster service account)' })),
  context: Type.Optional(Type.String({ minLength: 1, description: "kubeconfig context (default: the kubeconfig's current-context)" })),
  namespace: Type.Optional(Type.String({ minLength: 1, description: "namespace (default: the context's namespace, else default)" })),
  requestTimeout: Type.Optional(Duration({ positive: true, default: '10s', description: 'time each Kubernetes API request (and the start of each watch) may take' })),
})
const ConnectionSchema = Options(KUBE_CONNECTION_FIELDS)

/**
 * How to reach a cluster, as a check or action receives it (an absolute kubeconfig path, ms), plus
 * the run's `signal` (cancels every request and watch) and `deadline` (epoch ms: every request's
 * timeout is capped against it, lib/deadline.ts, so a hang is reported as "request timed out").
 */
export type KubeConnectionOptions = Static<typeof ConnectionSchema> & { signal?: AbortSignal | undefined; deadline?: number | undefined }

export const KUBE_CONNECTION_DEFAULTS = defaultsOf(ConnectionSchema, 'requestTimeout')

/** The @kubernetes/client-node module, plus the generated model serialiser (wire JSON of typed objects). */
export type KubeLibrary = typeof import('@kubernetes/client-node') & {
  ObjectSerializer: typeof import('@kubernetes/client-node/dist/gen/models/ObjectSerializer.js').ObjectSerializer
}

let library: Promise<KubeLibrary> | undefined
let loadedLibrary: KubeLibrary | undefined

/**
 * @kubernetes/client-node, imported on first use (once). It takes over a second to import, and the
 * kind registry imports every check module to read its declaration: the library is imported only
 * here, when the first client is built, and only as types anywhere else.
 */
export function kubeLibrary(): Promise<KubeLibrary> {
  library ??= Promise.all([import('@kubernetes/client-node'), import('@kubernetes/client-node/dist/gen/models/ObjectSerializer.js')]).then(([main, models]) => {
    loadedLibrary = { ...main, ObjectSerializer: models.ObjectSerializer }
    return loadedLibrary
  })
  return library
}

export interface KubeClient {
  kc: KubeConfig
  /** The loaded @kubernetes/client-node module (Watch, PatchStrategy, ObjectSerializer, ...). */
  lib: KubeLibrary
  /** API server URL of the current context. */
  server: string
  /** Effective namespace. */
  namespace: string
  core: CoreV1Api
  apps: AppsV1Api
  networking: NetworkingV1Api
  autoscaling: AutoscalingV2Api
  custom: CustomObjectsApi
  /**
   * One API request (phase `request`): `send` gets the per-call options (and their signal) to pass
   * to the generated API. Aborted after `requestTimeout` capped against the deadline, or by the
   * caller's signal; a timeout rejects with TimeoutError (`request timed out after 900 ms`).
   */
  request<T>(send: (call: ConfigurationOptions, signal: AbortSignal) => Promise<T>, headers?: Record<string, string>): Promise<T>
  /** Per-call options for the generated APIs: aborts after `requestTimeout` (capped against the deadline) or when the caller's signal aborts; optional extra headers (e.g. a patch Content-Type). */
  call(headers?: Record<string, string>): ConfigurationOptions
  /** A generic object client (server-side apply, any kind): each request aborts like `call()`, or on `signal` when given (inside `request`). */
  objects(signal?: AbortSignal): KubernetesObjectApi
  /** Timeout of one API request, ms, as configured. */
  requestTimeout: number
  /** Timeout of a request (or of a watch's start) that begins now, ms: `requestTimeout` capped against the deadline. */
  phaseTimeout(): number
  signal: AbortSignal | undefined
}

/** Loads a KubeConfig: explicit file, else the default chain. Throws InvalidArgumentError for a missing file or unknown context. */
export async function loadKubeConfig(opts: Pick<KubeConnectionOptions, 'kubeconfig' | 'context'> = {}): Promise<KubeConfig> {
  const { KubeConfig } = await kubeLibrary()
  const kc = new KubeConfig()
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) throw new InvalidArgumentError(`kubeconfig file not found: ${opts.kubeconfig}`)
    try {
      kc.loadFromFile(opts.kubeconfig)
    } catch (err) {
      throw new InvalidArgumentError(`cannot load kubeconfig ${opts.kubeconfig}: ${errorMessage(err)}`, { cause: err })
    }
  } else {
    kc.loadFromDefault()
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw new InvalidArgumentError(`context "${opts.context}" not found in kubeconfig${opts.kubeconfig ? ` ${opts.kubeconfig}` : ''}`)
    kc.setCurrentContext(opts.context)
  }
  return kc
}

/** Builds the API clients for one check or action (imports @kubernetes/client-node on first use). */
export async function createKubeClient(opts: KubeConnectionOptions = {}): Promise<KubeClient> {
  const o = { ...KUBE_CONNECTION_DEFAULTS, ...stripUndefined(opts) }
  if (!Number.isFinite(o.requestTimeout) || o.requestTimeout <= 0) throw new InvalidArgumentError(`requestTimeout must be a positive number of ms, got ${o.requestTimeout}`)
  const lib = await kubeLibrary()
  const kc = await loadKubeConfig(o)
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new InvalidArgumentError('the kubeconfig has no current cluster')
  const ctx = kc.getContextObject(kc.getCurrentContext())
  const namespace = o.namespace || ctx?.namespace || 'default'
  const timeoutNow = () => capToDeadline(o.requestTimeout, o.deadline)
  const signalFor = () => {
    const timeout = AbortSignal.timeout(timeoutNow())
    return o.signal ? AbortSignal.any([o.signal, timeout]) : timeout
  }
  // The object-parameter APIs hand per-call options straight to the observable layer, so the
  // middleware returns client-node's Observable (a thin promise wrapper), not a Promise.
  const callWith = (signal: () => AbortSignal, headers?: Record<string, string>): ConfigurationOptions => ({
    middleware: [
      {
        pre: (c: RequestContext) => {
          c.setSignal(signal())
          for (const [k, v] of Object.entries(headers ?? {})) c.setHeaderParam(k, v)
          return new lib.Observable(Promise.resolve(c))
        },
        post: (r: ResponseContext) => new lib.Observable(Promise.resolve(r)),
      },
    ],
    middlewareMergeStrategy: 'append',
  } as unknown as ConfigurationOptions)
  const objects = (signal?: AbortSignal) => {
    const config = lib.createConfiguration({
      baseServer: new lib.ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [
        {
          pre: async (c) => {
            c.setSignal(signal ?? signalFor())
            return c
          },
          post: async (r) => r,
        },
      ],
    })
    return new lib.KubernetesObjectApi(config)
  }
  const request = async <T>(send: (call: ConfigurationOptions, signal: AbortSignal) => Promise<T>, headers?: Record<string, string>): Promise<T> => {
    const ms = timeoutNow()
    const timer = new AbortController()
    const t = setTimeout(() => timer.abort(new TimeoutError('request', ms)), ms)
    const signal = o.signal ? AbortSignal.any([o.signal, timer.signal]) : timer.signal
    try {
      return await send(callWith(() => signal, headers), signal)
    } catch (err) {
      // client-node reports any abort as a bare AbortError: say which phase ran out of time.
      if (timer.signal.aborted && !o.signal?.aborted) throw new TimeoutError('request', ms, { cause: err })
      throw err
    } finally {
      clearTimeout(t)
    }
  }
  return {
    kc,
    lib,
    server: cluster.server,
    namespace,
    core: kc.makeApiClient(lib.CoreV1Api),
    apps: kc.makeApiClient(lib.AppsV1Api),
    networking: kc.makeApiClient(lib.NetworkingV1Api),
    autoscaling: kc.makeApiClient(lib.AutoscalingV2Api),
    custom: kc.makeApiClient(lib.CustomObjectsApi),
    request,
    call: (headers) => callWith(signalFor, headers),
    objects,
    requestTimeout: o.requestTimeout,
    phaseTimeout: timeoutNow,
    signal: o.signal,
  }
}

/** What was being done when an API call failed, for the message. */
export interface KubeOperation {
  /** get, list, watch, create, patch, update, delete. */
  verb: string
  /** Plural resource, e.g. `deployments`. */
  resource: string
  /** Singular kind in lower case for "not found" messages, e.g. `deployment`. */
  kind: string
  name?: string
  namespace?: string
}

export interface KubeFailure {
  /** HTTP status when the server answered. */
  code?: number
  /** NotFound, Forbidden, Unauthorized, Unreachable, Timeout, Conflict, Invalid, Aborted, ... */
  reason: string
  /** One line for people. */
  message: string
  /** The server's own message, when it sent a Status. */
  serverMessage?: string
}

/** An error of the generated APIs (the server answered). Only possible once the library is loaded. */
function isApiException(err: unknown): err is InstanceType<KubeLibrary['ApiException']> {
  return loadedLibrary !== undefined && err instanceof loadedLibrary.ApiException
}

/** HTTP status of an API error, if the server answered. */
export function kubeStatusCode(err: unknown): number | undefined {
  if (isApiException(err)) return err.code
  const c = (err as { statusCode?: unknown; code?: unknown })?.statusCode ?? (err as { code?: unknown })?.code
  return typeof c === 'number' ? c : undefined
}

type StatusBody = { message?: string; reason?: string; details?: { kind?: string; name?: string } }
function statusOf(err: unknown): StatusBody | undefined {
  if (!isApiException(err)) return undefined
  let body: unknown = err.body
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body)
    } catch {
      return { message: String(body) }
    }
  }
  return body && typeof body === 'object' ? (body as StatusBody) : undefined
}

/** Turns any error from a Kubernetes call into a one-line, actionable message. */
export function describeKubeError(err: unknown, op: KubeOperation, server: string): KubeFailure {
  const code = kubeStatusCode(err)
  const st = statusOf(err)
  const ns = op.namespace ? ` in namespace ${op.namespace}` : ''
  const withServer = (f: KubeFailure): KubeFailure => (st?.message ? { ...f, serverMessage: st.message } : f)
  if (code === 404) {
    if (st?.details?.kind === 'namespaces') return withServer({ code, reason: 'NotFound', message: `namespace ${st.details.name ?? op.namespace} not found` })
    if (!st?.details && !st?.reason) return withServer({ code, reason: 'NotFound', message: `the API server at ${server} does not serve ${op.resource} (is the CRD installed?)` })
    return withServer({ code, reason: 'NotFound', message: op.name ? `${op.kind} ${op.name} not found${ns}` : `${op.resource} not found${ns}` })
  }
  if (code === 401) return withServer({ code, reason: 'Unauthorized', message: `not authenticated to the Kubernetes API at ${server} (401 Unauthorized): check the kubeconfig credentials` })
  if (code === 403) return withServer({ code, reason: 'Forbidden', message: `not allowed to ${op.verb} ${op.resource}${ns}` })
  if (code === 409) return withServer({ code, reason: st?.reason ?? 'Conflict', message: st?.message ?? `conflict on ${op.kind} ${op.name ?? ''}` })
  if (code === 422) return withServer({ code, reason: 'Invalid', message: st?.message ?? `${op.kind} ${op.name ?? ''} is invalid` })
  if (code !== undefined) return withServer({ code, reason: st?.reason ?? `HTTP${code}`, message: `${op.verb} ${op.resource}${ns} failed: ${st?.message ?? `HTTP ${code}`}` })
  const name = (err as { name?: string })?.name
  const sysCode = (err as { code?: unknown; errno?: unknown })?.code ?? (err as { cause?: { code?: unknown } })?.cause?.code
  if (err instanceof TimeoutError) return { reason: 'Timeout', message: `Kubernetes API at ${server} did not answer ${op.verb} ${op.resource}${ns}: ${err.message}` }
  if (name === 'AbortError' || name === 'TimeoutError') {
    return { reason: 'Timeout', message: `Kubernetes API at ${server} did not answer ${op.verb} ${op.resource}${ns} in time (aborted or timed out)` }
  }
  if (typeof sysCode === 'string' && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EPIPE|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(sysCode)) {
    return { reason: 'Unreachable', message: `cannot reach the Kubernetes API server at ${server}: ${sysCode}` }
  }
  return { reason: 'Error', message: `${op.verb} ${op.resource}${ns} failed: ${errorMessage(err).split('\n')[0]}` }
}

// ---- list + watch --------------------------------------------------------------------------

/** SYNC: after a (re-)list; TICK: a periodic re-evaluation of the cached objects (no API call). */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'SYNC' | 'TICK'

export interface ListResult<T> {
  items: T[]
  metadata?: { resourceVersion?: string } | null
}

export interface WatchUntilOptions<T, R> {
  client: KubeClient
  /** Lists the collection (with the same selectors as the watch). Its errors end the wait at once. */
  list: () => Promise<ListResult<T>>
  /** API path of the collection, e.g. `/apis/apps/v1/namespaces/shop/deployments`. */
  path: string
  /** labelSelector / fieldSelector of the watch. */
  query?: Record<string, string>
  /** Called after the initial list and after every event with all current objects; return a value to stop. */
  evaluate: (objects: ReadonlyMap<string, T>, event: { type: WatchEventType; object?: T }) => R | undefined | Promise<R | undefined>
  /** Give up after this long, ms. */
  timeoutMs: number
  signal?: AbortSignal
  /** Server-side timeoutSeconds of each watch request; the watch is re-opened after it. Default 240. */
  watchTimeoutSeconds?: number
  /** First pause before re-listing after a failed, expired (410) or very short watch, ms; it doubles on each further failure (with jitter) and resets after a healthy watch. Default 800 (client-go's reflector). */
  backoffInitialMs?: number
  /** Largest pause between re-lists, ms. Default 30000 (client-go), further capped at an eighth of `timeoutMs` (never below `backoffInitialMs`) and at the time left. */
  backoffMaxMs?: number
  /** Re-list when nothing (no event, no bookmark) arrived for this long, even if the watch is still open, ms. Default: a quarter of `timeoutMs`, between 1000 and 10000. */
  silenceMs?: number
  /** Also re-evaluate the cached objects this often, ms (for judgements that depend on time, like grace periods). Default: only on events. */
  reevaluateEveryMs?: number
}

/** Counters for evidence: how the watch went. */
export interface WatchStats {
  lists: number
  watches: number
  events: number
  /** Watches that ended without being asked to (dropped connection, server timeout). */
  restarts: number
  /** 410 Gone answers that forced a re-list. */
  expired: number
  /** Re-lists because the watch stayed silent longer than `silenceMs`. */
  resyncs: number
  /** Pauses taken before re-listing (failed, expired or very short watches, failed lists). */
  backoffs: number
  /** Total time spent in those pauses, ms. */
  backoffMs: number
  lastError?: string
}

export type WatchOutcome<R> =
  | { outcome: 'done'; value: R; stats: WatchStats }
  | { outcome: 'timeout'; stats: WatchStats }
  | { outcome: 'aborted'; stats: WatchStats }
  | { outcome: 'error'; error: unknown; stats: WatchStats }

/** client-go's reflector defaults (tools/cache/reflector.go): 800 ms doubling to 30 s, jitter 1.0. */
export const WATCH_BACKOFF = Object.freeze({ initialMs: 800, maxMs: 30_000, factor: 2, jitter: 1 })
/** A watch that ends sooner than this without a single event counts as a failure (client-go: VeryShortWatchError). */
export const SHORT_WATCH_MS = 1000

/**
 * The pause before retry number `step` (0-based): `initial * factor^step` capped at `cap`, plus up to
 * `jitter` times that at random (client-go's wait.Jitter), and never longer than `remainingMs`. Pure
 * but for `random`.
 */
export function backoffDelay(step: number, o: { initialMs: number; capMs: number; factor?: number; jitter?: number; remainingMs?: number; random?: () => number }): number {
  const base = Math.min(o.capMs, o.initialMs * (o.factor ?? WATCH_BACKOFF.factor) ** step)
  const jittered = base + (o.random ?? Math.random)() * (o.jitter ?? WATCH_BACKOFF.jitter) * base
  return Math.max(0, Math.min(jittered, o.remainingMs ?? Number.POSITIVE_INFINITY))
}

const STOPPED = Symbol('stopped')

const keyOf = (o: unknown): string => {
  const m = (o as { metadata?: { namespace?: string; name?: string } })?.metadata
  return `${m?.namespace ?? ''}/${m?.name ?? ''}`
}

type WatchEnd<R> =
  | { kind: 'done'; value: R }
  /** 410 Gone: the resourceVersion expired. */
  | { kind: 'gone' }
  /** Nothing arrived for `silenceMs`: the watch may be stuck (a proxy that keeps the stream open but forwards nothing). */
  | { kind: 'silent' }
  | { kind: 'ended'; error?: unknown }

/**
 * Informer-style wait, modelled on client-go's reflector: LIST, evaluate, then WATCH from the
 * list's resourceVersion and evaluate on every event, until `evaluate` returns a value, the deadline
 * passes or the signal aborts.
 * - A watch that ends normally (the server's timeoutSeconds) after at least SHORT_WATCH_MS, or with
 *   events, is re-opened at once from the last resourceVersion seen.
 * - A watch that fails, ends sooner without events, or answers `410 Gone` (expired resourceVersion)
 *   leads to a pause (jittered exponential backoff, capped, never past the deadline) and a fresh LIST.
 *   So a server that closes every watch at once gets about one LIST and one WATCH per pause.
 * - When nothing arrives (no event, no bookmark) for `silenceMs`, the watch is dropped and the
 *   collection re-listed (a resync), so a stuck stream cannot hide a change.
 * - An error on the first LIST is returned at once (wrong namespace, 403, unreachable server); 401,
 *   403 and 404 on a watch too (they will not heal by retrying).
 */
export async function watchUntil<T, R>(opts: WatchUntilOptions<T, R>): Promise<WatchOutcome<R>> {
  const stats: WatchStats = { lists: 0, watches: 0, events: 0, restarts: 0, expired: 0, resyncs: 0, backoffs: 0, backoffMs: 0 }
  const deadline = Date.now() + opts.timeoutMs
  const objects = new Map<string, T>()
  const stopper = new AbortController()
  const timer = setTimeout(() => stopper.abort(new Error('deadline')), opts.timeoutMs)
  const onAbort = () => stopper.abort(new Error('aborted'))
  if (opts.signal?.aborted) onAbort()
  else opts.signal?.addEventListener('abort', onAbort, { once: true })
  const initialMs = opts.backoffInitialMs ?? WATCH_BACKOFF.initialMs
  const capMs = Math.max(initialMs, Math.min(opts.backoffMaxMs ?? WATCH_BACKOFF.maxMs, opts.timeoutMs / 8))
  const silenceMs = opts.silenceMs ?? Math.min(10_000, Math.max(1000, opts.timeoutMs / 4))
  let backoffStep = 0
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopper.signal.aborted) return resolve()
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        stopper.signal.removeEventListener('abort', done)
        resolve()
      }
      stopper.signal.addEventListener('abort', done, { once: true })
    })
  const backOff = async () => {
    const ms = backoffDelay(backoffStep++, { initialMs, capMs, remainingMs: deadline - Date.now() })
    stats.backoffs++
    const t0 = Date.now()
    await sleep(ms)
    stats.backoffMs += Date.now() - t0
  }
  const stoppedPromise = new Promise<typeof STOPPED>((resolve) => (stopper.signal.aborted ? resolve(STOPPED) : stopper.signal.addEventListener('abort', () => resolve(STOPPED), { once: true })))
  const stopped = (): WatchOutcome<R> | undefined => (opts.signal?.aborted ? { outcome: 'aborted', stats } : stopper.signal.aborted ? { outcome: 'timeout', stats } : undefined)
  let synced = false
  let ticker: NodeJS.Timeout | undefined
  const ticked = new Promise<WatchOutcome<R>>((resolve) => {
    if (!opts.reevaluateEveryMs) return
    let busy = false
    ticker = setInterval(() => {
      if (!synced || busy || stopper.signal.aborted) return
      busy = true
      void Promise.resolve(opts.evaluate(objects, { type: 'TICK' })).then(
        (v) => {
          busy = false
          if (v !== undefined && !stopper.signal.aborted) {
            resolve({ outcome: 'done', value: v, stats })
            stopper.abort()
          }
        },
        () => (busy = false),
      )
    }, opts.reevaluateEveryMs)
  })

  try {
    return await Promise.race([loop(), ticked])
  } finally {
    clearTimeout(timer)
    if (ticker) clearInterval(ticker)
    opts.signal?.removeEventListener('abort', onAbort)
    stopper.abort()
  }

  async function loop(): Promise<WatchOutcome<R>> {
    let rv: string | undefined
    let needList = true
    let first = true
    // Last time the server told us something (a list, an event, a bookmark): the silence clock.
    let heard = Date.now()
    for (;;) {
      const s = stopped()
      if (s) return s
      if (needList) {
        let listed: ListResult<T>
        try {
          stats.lists++
          // A LIST in flight when the deadline passes is abandoned (its own request timeout ends it).
          const l = await Promise.race([opts.list(), stoppedPromise])
          if (l === STOPPED) return stopped() ?? { outcome: 'timeout', stats }
          listed = l
        } catch (err) {
          if (first) return { outcome: 'error', error: err, stats }
          stats.lastError = errorMessage(err).split('\n')[0]
          await backOff()
          continue
        }
        first = false
        needList = false
        heard = Date.now()
        objects.clear()
        for (const item of listed.items) objects.set(keyOf(item), item)
        synced = true
        rv = listed.metadata?.resourceVersion ?? undefined
        const v = await opts.evaluate(objects, { type: 'SYNC' })
        if (v !== undefined) return { outcome: 'done', value: v, stats }
        const s1 = stopped()
        if (s1) return s1
      }
      const startedAt = Date.now()
      const eventsBefore = stats.events
      let activity = false
      const ended = await watchOnce(rv, Math.max(1, silenceMs - (startedAt - heard)), (newRv) => {
        heard = Date.now()
        activity = true
        if (newRv) rv = newRv
      })
      if (ended.kind === 'done') return { outcome: 'done', value: ended.value, stats }
      const s2 = stopped()
      if (s2) return s2
      if (ended.kind === 'gone') {
        stats.expired++
        needList = true
        await backOff()
        continue
      }
      if (ended.kind === 'silent') {
        // The server may be fine and the stream stuck somewhere between: re-list without a pause.
        stats.resyncs++
        needList = true
        continue
      }
      const code = kubeStatusCode(ended.error)
      if (code === 401 || code === 403 || code === 404) return { outcome: 'error', error: ended.error, stats }
      stats.restarts++
      const short = Date.now() - startedAt < SHORT_WATCH_MS && stats.events === eventsBefore && !activity
      if (ended.error || short) {
        stats.lastError = ended.error ? errorMessage(ended.error).split('\n')[0] : `watch ended after ${Date.now() - startedAt} ms without an event`
        needList = true
        await backOff()
      } else {
        // A healthy watch that reached its end: the server is fine again.
        backoffStep = 0
        if (Date.now() - heard >= silenceMs) {
          stats.resyncs++
          needList = true
        }
      }
    }
  }

  /** One watch request; resolves when it ends for any reason. `onHeard` sees every line the server sends (with its resourceVersion). */
  function watchOnce(rv: string | undefined, silenceLeftMs: number, onHeard: (rv: string | undefined) => void): Promise<WatchEnd<R>> {
    const remainingS = Math.max(1, Math.ceil((deadline - Date.now()) / 1000))
    return new Promise<WatchEnd<R>>((resolve) => {
      let settled = false
      let req: AbortController | undefined
      let silence: NodeJS.Timeout | undefined
      const armSilence = (ms: number) => {
        clearTimeout(silence)
        silence = setTimeout(() => settle({ kind: 'silent' }), ms)
      }
      const settle = (x: WatchEnd<R>) => {
        if (settled) return
        settled = true
        clearTimeout(connectTimer)
        clearTimeout(silence)
        stopper.signal.removeEventListener('abort', onStop)
        req?.abort()
        resolve(x)
      }
      const onStop = () => settle({ kind: 'ended' })
      stopper.signal.addEventListener('abort', onStop, { once: true })
      // Serialise evaluation so events are judged in order even when evaluate is async.
      let chain = Promise.resolve()
      const query: Record<string, string | number | boolean> = { ...(opts.query ?? {}), allowWatchBookmarks: true, timeoutSeconds: Math.min(opts.watchTimeoutSeconds ?? 240, remainingS) }
      if (rv) query.resourceVersion = rv
      stats.watches++
      const startMs = opts.client.phaseTimeout()
      const connectTimer = setTimeout(() => settle({ kind: 'ended', error: new Error(`watch did not start within ${startMs} ms`) }), startMs)
      armSilence(silenceLeftMs)
      new opts.client.lib.Watch(opts.client.kc)
        .watch(
          opts.path,
          query,
          (type: string, obj: any) => {
            chain = chain.then(async () => {
              if (settled) return
              if (type === 'ERROR') {
                if (obj?.code === 410) settle({ kind: 'gone' })
                else settle({ kind: 'ended', error: new Error(obj?.message ?? 'watch error') })
                return
              }
              onHeard(obj?.metadata?.resourceVersion)
              armSilence(silenceMs)
              if (type === 'BOOKMARK') return
              stats.events++
              if (type === 'DELETED') objects.delete(keyOf(obj))
              else objects.set(keyOf(obj), obj as T)
              const v = await opts.evaluate(objects, { type: type as WatchEventType, object: obj as T })
              if (v !== undefined) settle({ kind: 'done', value: v })
            })
          },
          (err: unknown) => {
            clearTimeout(connectTimer)
            void chain.then(() => {
              if (kubeStatusCode(err) === 410) settle({ kind: 'gone' })
              else settle({ kind: 'ended', error: err ?? undefined })
            })
          },
        )
        .then(
          (ctrl) => {
            clearTimeout(connectTimer)
            req = ctrl
            if (settled) ctrl.abort()
          },
          (err: unknown) => settle({ kind: 'ended', error: err }),
        )
    })
  }
}
