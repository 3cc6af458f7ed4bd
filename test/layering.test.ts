import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cycles, importsOf, layeringProblems, scan, sourceFiles, violation, type Import } from './helpers/layering.ts'

/**
 * DESIGN.md's import rules, enforced: bin → runbooks → smoke → checks → clients → lib (each imports
 * only itself and the layers to its right; lib imports nothing of ours but lib); sandbox/ imports only
 * clients/ and lib/, and only the sandbox target loader (smoke/sandbox-target.ts), bin/ and test/
 * import it; playwright-reporter/ imports only lib/; no import cycles between files.
 */

const repo = resolve(import.meta.dirname, '..')
const temps: string[] = []
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true })
})

/** A throwaway source tree: path → contents. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rbk-layering-'))
  temps.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

describe('the source tree', () => {
  it('breaks no layering rule and has no import cycle', () => {
    expect(layeringProblems(repo)).toEqual([])
  })

  it('is scanned whole: every layer has files, and static, re-export and dynamic imports are all seen', () => {
    const imports = scan(repo)
    const layers = new Set(imports.map((i) => i.from.split('/')[0]))
    for (const l of ['bin', 'runbooks', 'smoke', 'checks', 'clients', 'lib', 'sandbox', 'playwright-reporter', 'test']) expect(layers).toContain(l)
    const kinds = new Set(imports.map((i) => i.kind))
    expect([...kinds].sort()).toEqual(['dynamic', 're-export', 'static'])
    // The one loader really is the way into the sandbox.
    expect(imports.filter((i) => i.to?.startsWith('sandbox/') && !/^(sandbox|bin|test)\//.test(i.from)).map((i) => i.from)).toEqual(expect.arrayContaining(['smoke/sandbox-target.ts']))
  })

  it('misses no one-line import a plain line match finds (the tokenizer never loses its place)', () => {
    const imports = scan(repo)
    const missed: string[] = []
    // Tests are left out: they write source files from template literals (test/package.test.ts), and may import anything.
    for (const file of sourceFiles(repo).filter((f) => !f.startsWith('test/'))) {
      const specs = new Set(imports.filter((i) => i.from === file).map((i) => i.spec))
      for (const m of readFileSync(join(repo, file), 'utf8').matchAll(/^(?:import|export)\b[^\n]*?\bfrom ['"]([^'"]+)['"]$/gm)) if (!specs.has(m[1]!)) missed.push(`${file}: ${m[1]}`)
    }
    expect(missed).toEqual([])
  })
})

describe('a tree with broken arrows fails the same rules', () => {
  it('names each broken rule with the file and line', () => {
    const root = tree({
      'lib/engine.ts': "import { x } from '../smoke/run.ts'\nexport const y = x\n",
      'smoke/run.ts': "export const x = 1\nexport async function load() {\n  return import('../sandbox/start.ts')\n}\n",
      'smoke/sandbox-target.ts': "export { start } from '../sandbox/start.ts'\n",
      'sandbox/start.ts': "import { check } from '../checks/http.ts'\nexport const start = check\n",
      'checks/http.ts': "// import { nope } from '../runbooks/deploy.mts' (a comment: not an import)\nexport const check = `import x from '../bin/cli.ts'`\n",
      'runbooks/a.ts': "import { b } from './b.ts'\nexport const a = () => b\n",
      'runbooks/b.ts': "import { a } from './a.ts'\nexport const b = () => a\n",
      'runbooks/c.ts': "import type { d } from './d.ts'\nexport type c = d\n",
      'runbooks/d.ts': "import type { c } from './c.ts'\nexport type d = c | 1\n",
      'bin/cli.ts': "import { start } from '../sandbox/start.ts'\nimport { a } from '../runbooks/a.ts'\nexport { start, a }\n",
      'playwright-reporter/index.ts': "import { check } from '../checks/http.ts'\nexport default check\n",
      'test/anything.test.ts': "import '../bin/cli.ts'\nimport '../sandbox/start.ts'\n",
    })
    expect(layeringProblems(root)).toEqual([
      'lib/engine.ts:1 imports smoke/run.ts: lib/ may import only lib (imports point bin → runbooks → smoke → checks → clients → lib)',
      'playwright-reporter/index.ts:1 imports checks/http.ts: playwright-reporter/ may import only lib/',
      'sandbox/start.ts:1 imports checks/http.ts: sandbox/ may import only clients/ and lib/',
      'smoke/run.ts:3 imports sandbox/start.ts: only smoke/sandbox-target.ts, bin/ and test/ may import sandbox/',
      // Type-only imports are erased: c.ts ⇄ d.ts is no cycle; a.ts ⇄ b.ts is.
      'import cycle between runbooks/a.ts, runbooks/b.ts',
    ])
  })

  it('a correct tree passes', () => {
    const root = tree({
      'lib/a.ts': 'export const a = 1\n',
      'clients/b.ts': "import { a } from '../lib/a.ts'\nexport const b = a\n",
      'checks/c.ts': "import { b } from '../clients/b.ts'\nexport const c = b\n",
      'smoke/d.ts': "import { c } from '../checks/c.ts'\nexport const d = () => import('./sandbox-target.ts')\nexport { c }\n",
      'smoke/sandbox-target.ts': "export const start = () => import('../sandbox/s.ts')\n",
      'sandbox/s.ts': "import { b } from '../clients/b.ts'\nimport { a } from '../lib/a.ts'\nexport const s = [a, b]\n",
      'runbooks/e.mts': "import { d } from '../smoke/d.ts'\nawait d()\n",
      'bin/f.ts': "import '../runbooks/e.mts'\nimport { s } from '../sandbox/s.ts'\nexport { s }\n",
    })
    expect(layeringProblems(root)).toEqual([])
  })
})

describe('the rule function', () => {
  const imp = (from: string, to: string): Import => ({ from, to, spec: to, line: 1, kind: 'static' })
  it.each([
    ['bin/cli.ts', 'runbooks/deploy.mts', true],
    ['bin/commands/sandbox.ts', 'sandbox/services.ts', true],
    ['runbooks/deploy.mts', 'smoke/environment.ts', true],
    ['runbooks/deploy-environment.ts', 'sandbox/deploy-cluster.ts', false],
    ['smoke/kinds/http.ts', 'checks/http.ts', true],
    ['smoke/environment.ts', 'sandbox/index.ts', false],
    ['smoke/sandbox-target.ts', 'sandbox/services.ts', true],
    ['checks/http.ts', 'smoke/run.ts', false],
    ['checks/http.ts', 'clients/http.ts', true],
    ['clients/http.ts', 'checks/http.ts', false],
    ['lib/runbook/notify.ts', 'clients/http.ts', false],
    ['lib/runbook/engine.ts', 'lib/runner.ts', true],
    ['sandbox/app.ts', 'clients/webhook-signing.ts', true],
    ['sandbox/services.ts', 'checks/redis.ts', false],
    ['sandbox/services.ts', 'smoke/run.ts', false],
    ['playwright-reporter/index.ts', 'lib/report/index.ts', true],
    ['playwright-reporter/index.ts', 'smoke/run.ts', false],
    ['smoke/playwright/example.spec.ts', 'playwright-reporter/attach-check.ts', true],
    ['index.ts', 'smoke/run.ts', true],
    ['index.ts', 'bin/cli.ts', false],
    ['lib/result.ts', 'index.ts', false],
    ['lib/result.ts', 'test/helpers/cli.ts', false],
    ['test/sandbox/cli.test.ts', 'sandbox/services.ts', true],
    ['scripts/gen-schema.ts', 'smoke/target-schema.ts', true],
  ])('%s → %s allowed: %s', (from, to, ok) => {
    expect(violation(imp(from, to)) === undefined).toBe(ok)
  })

  it('finds a cycle through three files, but not through type-only imports', () => {
    expect(cycles([imp('lib/a.ts', 'lib/b.ts'), imp('lib/b.ts', 'lib/c.ts'), imp('lib/c.ts', 'lib/a.ts'), imp('lib/c.ts', 'lib/d.ts')])).toEqual([['lib/a.ts', 'lib/b.ts', 'lib/c.ts']])
    expect(cycles([imp('lib/a.ts', 'lib/b.ts'), { ...imp('lib/b.ts', 'lib/a.ts'), typeOnly: true }])).toEqual([])
  })
})

describe('the import scanner', () => {
  it('reads every form of import and export-from, and nothing in comments, strings or templates', () => {
    const src = [
      "import a from './a.ts'",
      "import { b,",
      "  c } from './bc.ts'",
      "import * as d from './d.ts'",
      "import type { E } from './e.ts'",
      "import { type F, type G } from './fg.ts'",
      "import './side-effect.ts'",
      "export * from './all.ts'",
      "export { h } from './h.ts'",
      "export type { I } from './i.ts'",
      "export const j = await import('./j.ts')",
      "const k = import(`./${name}.ts`) // computed: not resolvable, not counted",
      "// import nope from './comment.ts'",
      "/* export { nope } from './block.ts' */",
      "const s = \"import x from './string.ts'\"",
      "const t = `export * from './template.ts'`",
      "const re = /import '(x)'/g",
      "obj.import('./method.ts')",
    ].join('\n')
    expect(importsOf(src).map((i) => [i.spec, i.line, i.kind, i.typeOnly ?? false])).toEqual([
      ['./a.ts', 1, 'static', false],
      ['./bc.ts', 2, 'static', false],
      ['./d.ts', 4, 'static', false],
      ['./e.ts', 5, 'static', true],
      ['./fg.ts', 6, 'static', true],
      ['./side-effect.ts', 7, 'static', false],
      ['./all.ts', 8, 're-export', false],
      ['./h.ts', 9, 're-export', false],
      ['./i.ts', 10, 're-export', true],
      ['./j.ts', 11, 'dynamic', false],
    ])
  })
})
