// deploy/Dockerfile cannot be built here (no Docker engine on this machine), so its structure is checked:
// a pinned base, non-root user, the bin as entrypoint, Debian's Chromium in the browser stage.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BROWSER_PAGE_DEFAULTS } from '../../checks/browser.ts'
import { repoRoot } from '../helpers/cli.ts'

interface Instruction {
  op: string
  args: string
  line: number
}
interface Stage {
  from: string
  name?: string
  body: Instruction[]
}

const text = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8')
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; engines: { node: string }; files: string[] }

/** Instructions with line continuations joined and comments dropped (the Dockerfile reference's rules). */
function instructions(src: string): Instruction[] {
  const out: Instruction[] = []
  let buf = ''
  let start = 0
  src.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd()
    if (buf === '' && (/^\s*#/.test(line) || line.trim() === '')) return
    if (buf === '') start = i + 1
    if (line.endsWith('\\')) {
      buf += line.slice(0, -1) + ' '
      return
    }
    buf += line
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(buf)
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim().replace(/\s+/g, ' '), line: start })
    buf = ''
  })
  return out
}

const all = instructions(text)
const globalArgs = new Map<string, string>()
const stages: Stage[] = []
for (const ins of all) {
  if (ins.op === 'FROM') {
    const m = /^(\S+)(?: AS (\S+))?$/i.exec(ins.args)!
    stages.push({ from: m[1]!, ...(m[2] ? { name: m[2] } : {}), body: [] })
  } else if (stages.length === 0 && ins.op === 'ARG') {
    const [k, v] = ins.args.split('=')
    globalArgs.set(k!, v ?? '')
  } else stages.at(-1)?.body.push(ins)
}
const stage = (name: string) => stages.find((s) => s.name === name)!
const resolveFrom = (from: string) => from.replace(/^\$\{(\w+)\}$|^\$(\w+)$/, (_all, a: string, b: string) => globalArgs.get(a ?? b) ?? '')
const lastUser = (s: Stage) => s.body.filter((i) => i.op === 'USER').at(-1)?.args

describe('deploy/Dockerfile', () => {
  it('declares the BuildKit syntax it uses (RUN --mount)', () => {
    expect(text.split('\n')[0]).toBe('# syntax=docker/dockerfile:1')
  })

  it('has three stages: build, runtime, browser (from runtime)', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime', 'browser'])
    expect(stage('browser').from).toBe('runtime')
  })

  it('pins the base image to a full node 20 bookworm-slim version that satisfies engines', () => {
    for (const s of stages.filter((x) => x.name !== 'browser')) {
      const image = resolveFrom(s.from)
      const m = /^node:(\d+)\.(\d+)\.(\d+)-bookworm-slim(@sha256:[0-9a-f]{64})?$/.exec(image)
      expect(m, `${s.name}: FROM ${s.from} → ${image}`).not.toBeNull()
      const [major, minor] = [Number(m![1]), Number(m![2])]
      const [, wantMajor, wantMinor] = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node)!.map(Number)
      expect(major).toBe(20)
      expect(major > wantMajor! || minor >= wantMinor!).toBe(true)
    }
  })

  it('runs as the non-root "node" user in every image it ships, after everything that needs root', () => {
    for (const name of ['runtime', 'browser']) {
      const s = stage(name)
      expect(lastUser(s), name).toBe('node')
      const lastRootOnly = Math.max(...s.body.filter((i) => i.op === 'RUN').map((i) => i.line))
      const userAt = s.body.filter((i) => i.op === 'USER').at(-1)!.line
      expect(userAt, `${name}: USER node comes after the last RUN`).toBeGreaterThan(lastRootOnly)
    }
  })

  it('makes the package\'s bin the entrypoint (exec form), installed from the packed package', () => {
    const runtime = stage('runtime')
    const entry = runtime.body.find((i) => i.op === 'ENTRYPOINT')!
    expect(JSON.parse(entry.args)).toEqual(Object.keys(pkg.bin))
    expect(Object.keys(pkg.bin)).toEqual(['runbook-kit'])
    expect(runtime.body.find((i) => i.op === 'RUN')!.args).toMatch(/npm install --global --omit=dev .*\/pkg\/runbook-kit-\*\.tgz/)
    // The build stage packs what npm would publish (prepack compiles dist/, which the installed bin runs).
    expect(stage('build').body.map((i) => i.args)).toContainEqual(expect.stringMatching(/npm pack --pack-destination \/pkg/))
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'bin/runbook-kit.js']))
    expect(stage('build').body.find((i) => i.op === 'RUN')!.args).toMatch(/^npm ci\b/)
  })

  it('adds Debian\'s Chromium in the browser stage where the browser check looks for it, and never downloads one', () => {
    const browser = stage('browser')
    const install = browser.body.find((i) => i.op === 'RUN' && /apt-get install/.test(i.args))!
    expect(install.args).toMatch(/apt-get update && apt-get install -y --no-install-recommends chromium\b/)
    expect(install.args).toMatch(/rm -rf \/var\/lib\/apt\/lists\/\*/)
    expect(browser.body.find((i) => i.op === 'ENV')!.args).toContain(`RUNBOOK_KIT_CHROMIUM=${BROWSER_PAGE_DEFAULTS.executablePath}`)
    expect(text).not.toMatch(/playwright install/)
    expect(stage('runtime').body.some((i) => /chromium/.test(i.args))).toBe(false)
  })

  it('keeps node_modules, dist, reports and .git out of the build context', () => {
    const ignore = readFileSync(join(repoRoot, 'deploy', 'Dockerfile.dockerignore'), 'utf8').split('\n').map((l) => l.trim())
    expect(ignore).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', 'reports']))
  })
})
