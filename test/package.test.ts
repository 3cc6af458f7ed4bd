/**
 * The package works as a dependency, not only in this repo: `npm pack` yields compiled JavaScript and
 * declarations, and a fresh project that installs the tarball imports the public API in a `.mts` script.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot } from './helpers/cli.ts'

const work = mkdtempSync(join(tmpdir(), 'rbk-pack-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
// npm run exports NODE_OPTIONS=--import tsx for this repo; a consumer project has no tsx of its own.
const env = { ...process.env, NODE_OPTIONS: '', npm_config_node_options: '' }

describe('npm pack', () => {
  it('packs compiled JS + declarations and installs into a fresh project that imports the API from a .mts script', () => {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: repoRoot, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[]
    const files = info!.files.map((f) => f.path)
    expect(files).toContain('dist/index.js')
    expect(files).toContain('dist/index.d.ts')
    expect(files).toContain('dist/checks/http.js')
    expect(files).toContain('bin/runbook-kit.js')
    expect(files).toContain('smoke/targets/sandbox.yaml')
    expect(files.some((f) => f.startsWith('test/') || f.endsWith('.test.ts'))).toBe(false)
    expect(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false)

    const app = join(work, 'app')
    execFileSync('mkdir', ['-p', app])
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, info!.filename)], { cwd: app, env, stdio: 'ignore' })
    expect(readdirSync(join(app, 'node_modules', 'runbook-kit', 'dist')).length).toBeGreaterThan(0)

    writeFileSync(
      join(app, 'smoke.mts'),
      `import { createServer } from 'node:http'
import { runChecks, httpProbe, type CheckSpec } from 'runbook-kit'
const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"healthy"}') })
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
const { port } = server.address() as { port: number }
const check: CheckSpec = { id: 'health', title: 'health', kind: 'http', run: (signal) => httpProbe({ url: \`http://127.0.0.1:\${port}/health\`, signal, expect: { status: 200, json: { properties: { status: { const: 'healthy' } } } } }) }
const out = await runChecks([check])
server.close()
console.log(JSON.stringify(out.results.map((r) => [r.id, r.status, r.message])))
`,
    )
    // tsx from this repo only strips the types of smoke.mts; runbook-kit itself loads as compiled JS from node_modules.
    const tsx = import.meta.resolve('tsx')
    const result = execFileSync(process.execPath, ['--import', tsx, 'smoke.mts'], { cwd: app, env, encoding: 'utf8' })
    const rows = JSON.parse(result.trim().split('\n').pop()!) as [string, string, string][]
    expect(rows.map(([id, status]) => [id, status])).toEqual([['health', 'pass']])

    // The installed bin runs from dist/ too.
    const help = execFileSync(join(app, 'node_modules', '.bin', 'runbook-kit'), ['smoke', '--help'], { cwd: app, env, encoding: 'utf8' })
    expect(help).toContain('--target')
  }, 240_000)
})
