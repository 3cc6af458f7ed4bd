// deploy/kubernetes/: the manifests apply with the real kubectl against the simulator, agree with each
// other and with the image, and N local processes with JOB_COMPLETION_INDEX set do what the Job's pods do.
import { execFile } from 'node:child_process'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import type { RunReport } from '../../lib/report/model.ts'
import { startKubeSim, type KubeSim } from '../../sandbox/kube-sim/index.ts'
import { loadTarget } from '../../smoke/target-file.ts'
import { repoRoot, runCli } from '../helpers/cli.ts'

const KUBECTL = '/usr/bin/kubectl'
const hasKubectl = existsSync(KUBECTL)
const DIR = join(repoRoot, 'deploy', 'kubernetes')
type Obj = Record<string, any>

/** Every document of every manifest file, by kind. */
const docs: Obj[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => d.toJS() as Obj))
const byKind = (kind: string) => {
  const found = docs.filter((d) => d.kind === kind)
  expect(found, kind).toHaveLength(1)
  return found[0]!
}
const job = byKind('Job')
const cron = byKind('CronJob')
const configMap = byKind('ConfigMap')
const secret = byKind('Secret')
const container = (podSpec: Obj) => podSpec.containers.find((c: Obj) => c.name === 'smoke') as Obj
const jobContainer = container(job.spec.template.spec)
const N = job.spec.completions as number

describe('the manifests', () => {
  it('define an Indexed Job with completions = parallelism = N that runs smoke --target /config/target.yaml --shard-total N', () => {
    expect(job.spec.completionMode).toBe('Indexed')
    expect(N).toBeGreaterThan(1)
    expect(job.spec.parallelism).toBe(N)
    const args: string[] = jobContainer.args
    expect(args[0]).toBe('smoke')
    expect(args.slice(args.indexOf('--target'), args.indexOf('--target') + 2)).toEqual(['--target', '/config/target.yaml'])
    expect(args.slice(args.indexOf('--shard-total'), args.indexOf('--shard-total') + 2)).toEqual(['--shard-total', String(N)])
    expect(args).toContain('--json-last-line')
    expect(args).not.toContain('--shard')
    expect(jobContainer.command).toBeUndefined() // the image's entrypoint, runbook-kit
  })

  it('treat a failed shard as a result (its index fails at once, the others go on), not as a crash to retry', () => {
    expect(job.spec.template.spec.restartPolicy).toBe('Never')
    expect(job.spec.backoffLimitPerIndex).toBe(1)
    expect(job.spec.podFailurePolicy.rules).toContainEqual({ action: 'FailIndex', onExitCodes: { containerName: 'smoke', operator: 'In', values: [1, 2] } })
  })

  it('mount the ConfigMap target at /config and pass every env: secret of it from the Secret', async () => {
    const mount = jobContainer.volumeMounts.find((m: Obj) => m.mountPath === '/config')
    const volume = job.spec.template.spec.volumes.find((v: Obj) => v.name === mount.name)
    expect(volume.configMap.name).toBe(configMap.metadata.name)
    expect(Object.keys(configMap.data)).toEqual(['target.yaml'])
    expect(jobContainer.envFrom).toEqual([{ secretRef: { name: secret.metadata.name } }])
    const text: string = configMap.data['target.yaml']
    const refs = [...text.matchAll(/env:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1])
    expect(refs.length).toBeGreaterThan(0)
    for (const name of refs) expect(Object.keys(secret.stringData)).toContain(name)
    for (const name of [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1])) expect(jobContainer.env.map((e: Obj) => e.name)).toContain(name)
    // It is a valid target file.
    const dir = mkdtempSync(join(tmpdir(), 'rbk-cm-'))
    try {
      writeFileSync(join(dir, 'target.yaml'), text)
      const loaded = await loadTarget(join(dir, 'target.yaml'))
      expect(loaded.target.checks.length).toBeGreaterThanOrEqual(N)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('run as the image\'s non-root user (uid 1000, "node" in the Dockerfile) with a read-only root filesystem', () => {
    expect(job.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 })
    expect(readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8')).toMatch(/^USER node$/m)
    expect(jobContainer.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false })
    // Everything runbook-kit writes goes to a writable volume.
    const writable = jobContainer.volumeMounts.filter((m: Obj) => !m.readOnly).map((m: Obj) => m.mountPath)
    expect(writable).toEqual(expect.arrayContaining(['/reports', '/tmp']))
    expect(jobContainer.args[jobContainer.args.indexOf('--report-dir') + 1]).toBe('/reports')
  })

  it('give the CronJob the same Job spec, plus --pushgateway', () => {
    const cronSpec = structuredClone(cron.spec.jobTemplate.spec) as Obj
    const cronContainer = container(cronSpec.template.spec)
    const at = cronContainer.args.indexOf('--pushgateway')
    expect(at).toBeGreaterThan(0)
    expect(cronContainer.args[at + 1]).toMatch(/^https?:\/\//)
    cronContainer.args.splice(at, 2)
    const { spec } = structuredClone(job) as Obj
    expect(cronSpec).toEqual(spec)
    expect(cron.spec.concurrencyPolicy).toBe('Forbid')
  })
})

let sim: KubeSim
const run = promisify(execFile)
async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(KUBECTL, args, { env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, HOME: process.env.HOME ?? '/tmp' }, timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

describe.skipIf(!hasKubectl)('kubectl against the simulator', () => {
  beforeAll(async () => {
    sim = await startKubeSim()
  })
  afterAll(async () => {
    await sim?.close()
  })

  it('kubectl apply --dry-run=server -f deploy/kubernetes/ accepts every manifest and stores nothing', async () => {
    const r = await kubectl('apply', '--dry-run=server', '-f', DIR)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      `configmap/${configMap.metadata.name} created (server dry run)`,
      `cronjob.batch/${cron.metadata.name} created (server dry run)`,
      `job.batch/${job.metadata.name} created (server dry run)`,
      `secret/${secret.metadata.name} created (server dry run)`,
    ])
    const after = await kubectl('get', 'jobs,cronjobs,configmaps', '-o', 'name')
    expect(after.stdout).not.toContain('runbook-kit')
  })

  it('kubectl apply stores them as written, and kubectl reads the Job back', async () => {
    const r = await kubectl('apply', '-f', DIR)
    expect(r.code, r.stderr).toBe(0)
    const got = await kubectl('get', 'job', job.metadata.name, '-o', 'jsonpath={.spec.completionMode} {.spec.completions} {.spec.parallelism} {.spec.template.spec.containers[0].args}')
    expect(got.stdout).toBe(`Indexed ${N} ${N} ${JSON.stringify(jobContainer.args)}`)
  })
})

describe('N local processes with JOB_COMPLETION_INDEX reproduce the Job, and their logs merge into one report', () => {
  const work = mkdtempSync(join(tmpdir(), 'rbk-job-'))
  let app: Server
  let base = ''
  const webhookSecret: string = secret.stringData.WEBHOOK_SECRET
  beforeAll(async () => {
    // The service the ConfigMap's checks expect: health, readiness, pages, a signed webhook.
    app = createServer((req, res) => {
      let body = Buffer.alloc(0)
      req.on('data', (d: Buffer) => (body = Buffer.concat([body, d])))
      req.on('end', () => {
        const path = req.url ?? '/'
        if (path === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}')
        if (path === '/webhook/servicedesk') {
          const want = Buffer.from(`sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`)
          const got = Buffer.from(String(req.headers['x-servicedesk-signature'] ?? ''))
          const ok = got.length === want.length && timingSafeEqual(got, want)
          return void res.writeHead(ok ? 202 : 401, { 'content-type': 'application/json' }).end(ok ? '{"job_id":"j-1"}' : '{"error":"bad signature"}')
        }
        res.writeHead(['/api/v1/ready', '/login', '/docs'].includes(path) ? 200 : 404).end('ok')
      })
    })
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise<void>((r) => app.close(() => r()))
    rmSync(work, { recursive: true, force: true })
  })

  it(`runs the container's args in ${N} processes (the ConfigMap as /config, the Secret as env), then merges their logs`, async () => {
    const config = join(work, 'config')
    mkdirSync(config)
    writeFileSync(join(config, 'target.yaml'), configMap.data['target.yaml'])
    // What the kubelet would give the container: its env (the base URL pointed at the loopback service), the Secret, the index.
    const env: Record<string, string> = Object.fromEntries(jobContainer.env.map((e: Obj) => [e.name, e.value]))
    env.SMOKE_BASE_URL = base
    Object.assign(env, secret.stringData)
    const pods = await Promise.all(
      Array.from({ length: N }, async (_, index) => {
        const reports = join(work, `pod-${index}-reports`)
        mkdirSync(reports)
        const args = (jobContainer.args as string[]).map((a) => (a === '/config/target.yaml' ? join(config, 'target.yaml') : a === '/reports' ? reports : a))
        const run = await runCli(args, { env: { ...env, JOB_COMPLETION_INDEX: String(index) }, timeoutMs: 120_000 })
        return { index, run, reports }
      }),
    )
    for (const p of pods) expect(p.run.code, `pod ${p.index}: ${p.run.stderr}\n${p.run.stdout}`).toBe(0)
    // `kubectl logs -l batch.kubernetes.io/job-name=... --tail=-1` prints the pods' logs one after another.
    const log = join(work, 'shards.log')
    writeFileSync(log, pods.map((p) => p.run.stdout).join(''))
    const out = join(work, 'merged')
    const merged = await runCli(['merge', log, '--report-dir', out])
    expect(merged.code, merged.stderr).toBe(0)
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport
    const ids = (await loadTarget(join(config, 'target.yaml'))).target.checks.map((c) => c.id)
    expect(report.results.map((r) => r.id).sort()).toEqual([...ids].sort())
    expect(report.results.every((r) => r.status === 'pass')).toBe(true)
    expect(report.meta.shards!.map((s) => [s.shard!.index, s.shard!.total, s.shard!.source])).toEqual(
      Array.from({ length: N }, (_, i) => [i + 1, N, `JOB_COMPLETION_INDEX=${i} (0-based), --shard-total ${N}`]),
    )
    // Each pod's own report folder (the emptyDir) holds the same report its last log line carried.
    for (const p of pods) {
      const last = p.run.stdout.trimEnd().split('\n').pop()!
      expect(JSON.parse(last)).toEqual(JSON.parse(readFileSync(join(p.reports, 'report.json'), 'utf8')))
    }
  })
})
