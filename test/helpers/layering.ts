import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

/**
 * The layering rules of DESIGN.md, checked on the import graph of a source tree. The scanner is a
 * small tokenizer (comments, strings, template literals and regex literals are told apart), so an
 * import written inside a comment or a string is not taken for one. dependency-cruiser would do
 * this, but 18 needs Node 22 and 17 needs TypeScript's JS API, which typescript@7 does not have.
 */

export interface Import {
  from: string
  /** The specifier as written. */
  spec: string
  /** Repo-relative path of the imported file; undefined for packages (and for unresolvable specifiers). */
  to?: string
  line: number
  kind: 'static' | 're-export' | 'dynamic'
  /** `import type …`, `export type …`, or braces naming types only: erased when the code runs. */
  typeOnly?: boolean
}

const SOURCE = /\.(m?[jt]s)$/
const SKIP_DIRS = new Set(['node_modules', 'dist', 'reports', '.git', 'fixtures'])

/** Every source file under `root` (repo-relative, `/`-separated). */
export function sourceFiles(root: string, dir = root): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...sourceFiles(root, p))
    } else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(relative(root, p).split(sep).join('/'))
  }
  return out.sort()
}

type Token = { t: 'id' | 'str' | 'punct'; v: string; line: number }

/** Identifiers, plain string literals and punctuation; comments, template literals and regexes are dropped. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let line = 1
  let i = 0
  const regexMayFollow = () => {
    const last = tokens.at(-1)
    return !last || (last.t === 'punct' && !/^[)\]}]$/.test(last.v)) || (last.t === 'id' && /^(return|typeof|case|do|else|in|of|new|delete|void|throw|await|yield)$/.test(last.v))
  }
  while (i < src.length) {
    const c = src[i]!
    if (c === '\n') line++
    if (/\s/.test(c)) i++
    else if (src.startsWith('//', i)) i = src.indexOf('\n', i) === -1 ? src.length : src.indexOf('\n', i)
    else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2)
      const stop = end === -1 ? src.length : end + 2
      line += src.slice(i, stop).split('\n').length - 1
      i = stop
    } else if (c === "'" || c === '"' || c === '`' || (c === '/' && regexMayFollow())) {
      let j = i + 1
      let depth = 0
      let inClass = false
      for (; j < src.length; j++) {
        const d = src[j]!
        if (d === '\\') j++
        else if (d === '\n') line++
        else if (c === '/' && d === '[') inClass = true
        else if (c === '/' && d === ']') inClass = false
        else if (c === '`' && d === '$' && src[j + 1] === '{') (depth++, j++)
        else if (c === '`' && depth > 0 && d === '}') depth--
        else if (d === c && depth === 0 && !inClass) break
      }
      if (c !== '`' && c !== '/') tokens.push({ t: 'str', v: src.slice(i + 1, j), line })
      else tokens.push({ t: 'punct', v: c === '/' ? 'regex' : 'template', line })
      i = j + 1
    } else if (/[\w$]/.test(c)) {
      let j = i
      while (j < src.length && /[\w$]/.test(src[j]!)) j++
      tokens.push({ t: 'id', v: src.slice(i, j), line })
      i = j
    } else {
      tokens.push({ t: 'punct', v: c, line })
      i++
    }
  }
  return tokens
}

/** The imports of one file: `import … from`, `import '…'`, `export … from`, `import('…')`. */
export function importsOf(src: string): Omit<Import, 'from' | 'to'>[] {
  const tk = tokenize(src)
  const out: Omit<Import, 'from' | 'to'>[] = []
  for (let i = 0; i < tk.length; i++) {
    const a = tk[i]!
    if (a.t !== 'id' || (a.v !== 'import' && a.v !== 'export') || tk[i - 1]?.v === '.') continue
    const next = tk[i + 1]
    if (a.v === 'import' && next?.v === '(') {
      if (tk[i + 2]?.t === 'str' && tk[i + 3]?.v === ')') out.push({ spec: tk[i + 2]!.v, line: a.line, kind: 'dynamic' })
      continue
    }
    if (a.v === 'import' && next?.t === 'str') {
      out.push({ spec: next.v, line: a.line, kind: 'static' })
      continue
    }
    // Up to the statement's `from '…'`, which comes before any `;` or another statement keyword.
    for (let j = i + 1; j < tk.length && j < i + 400; j++) {
      const b = tk[j]!
      if (b.v === ';' || (b.t === 'id' && (b.v === 'import' || b.v === 'export'))) break
      if (b.t === 'id' && b.v === 'from' && tk[j + 1]?.t === 'str') {
        const clause = tk.slice(i + 1, j).map((t) => t.v)
        const named = clause[0] === '{' ? clause.slice(1, -1).join(' ').split(',').map((s) => s.trim()).filter(Boolean) : []
        const typeOnly = (clause[0] === 'type' && clause.length > 1) || (named.length > 0 && named.every((s) => s.startsWith('type ')))
        out.push({ spec: tk[j + 1]!.v, line: a.line, kind: a.v === 'import' ? 'static' : 're-export', ...(typeOnly ? { typeOnly } : {}) })
        break
      }
      if (a.v === 'export' && j === i + 1 && b.v !== '*' && b.v !== '{' && b.v !== 'type') break
    }
  }
  return out
}

/** The import graph of `root`: every import of every source file, with relative specifiers resolved. */
export function scan(root: string, packageName = 'runbook-kit'): Import[] {
  const out: Import[] = []
  for (const from of sourceFiles(root)) {
    for (const imp of importsOf(readFileSync(join(root, from), 'utf8'))) {
      let to: string | undefined
      if (imp.spec.startsWith('.')) {
        const abs = resolve(root, dirname(from), imp.spec)
        const hit = [abs, abs.replace(/\.js$/, '.ts'), join(abs, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile())
        to = relative(root, hit ?? abs).split(sep).join('/')
      } else if (imp.spec === packageName) to = 'index.ts'
      out.push({ ...imp, from, ...(to ? { to } : {}) })
    }
  }
  return out
}

/** Layers that import one way, left to right: each may import itself and the layers to its right. */
export const LAYERS = ['bin', 'runbooks', 'smoke', 'checks', 'clients', 'lib'] as const

export interface Rules {
  /** The one non-bin, non-test module allowed to import sandbox/ (the sandbox target loader). */
  sandboxLoader: string
}

export const RULES: Rules = { sandboxLoader: 'smoke/sandbox-target.ts' }

/** `lib/x.ts` → `lib`; root files are `index` (the package entry) or `tooling`, like scripts/ and bench/. */
export function layerOf(file: string): string {
  // Playwright specs (smoke/playwright/*.spec.ts) are tests, run by Playwright instead of vitest.
  if (file.endsWith('.spec.ts')) return 'test'
  const top = file.includes('/') ? file.slice(0, file.indexOf('/')) : file === 'index.ts' ? 'index' : 'tooling'
  return top === 'scripts' || top === 'bench' ? 'tooling' : top
}

/** Why `imp` breaks a layering rule, or undefined when it is allowed. */
export function violation(imp: Import, rules: Rules = RULES): string | undefined {
  if (!imp.to) return undefined
  const from = layerOf(imp.from)
  const to = layerOf(imp.to)
  const say = (why: string) => `${imp.from}:${imp.line} imports ${imp.to}: ${why}`
  if (from === 'test' || from === 'tooling') return undefined
  if (to === 'test' || to === 'tooling') return say(`nothing outside test/ may import ${to === 'test' ? 'test/' : 'tooling'}`)
  if (to === 'sandbox' && from !== 'sandbox') {
    return from === 'bin' || imp.from === rules.sandboxLoader ? undefined : say(`only ${rules.sandboxLoader}, bin/ and test/ may import sandbox/`)
  }
  if (from === 'sandbox') return to === 'sandbox' || to === 'clients' || to === 'lib' ? undefined : say('sandbox/ may import only clients/ and lib/')
  if (from === 'playwright-reporter') return to === 'playwright-reporter' || to === 'lib' ? undefined : say('playwright-reporter/ may import only lib/')
  if (from === 'index') return to === 'bin' || to === 'index' ? say('the package entry exports the library, not the CLI') : undefined
  if (to === 'index') return say('inside the tree, import the module itself, not the package entry')
  const a = LAYERS.indexOf(from as (typeof LAYERS)[number])
  const b = LAYERS.indexOf(to as (typeof LAYERS)[number])
  if (a === -1) return say(`${from}/ is not a known layer`)
  if (b === -1) return say(`${from}/ may not import ${to}/`)
  if (b < a) return say(`${from}/ may import only ${LAYERS.slice(a).join(', ')} (imports point ${LAYERS.join(' → ')})`)
  return undefined
}

/**
 * Import cycles between files, by Tarjan's algorithm: each is a set of files that import each other
 * (sorted). Type-only imports are left out: they are erased and cannot tangle the modules at run time.
 */
export function cycles(imports: readonly Import[]): string[][] {
  const edges = new Map<string, Set<string>>()
  for (const i of imports) if (i.to && !i.typeOnly) (edges.get(i.from) ?? edges.set(i.from, new Set()).get(i.from)!).add(i.to)
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string) => {
    index.set(v, index.size)
    low.set(v, index.get(v)!)
    stack.push(v)
    onStack.add(v)
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || edges.get(v)?.has(v)) found.push(scc.sort())
    }
  }
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v)
  return found
}

/** Every broken rule of the tree at `root`: layering violations, then cycles. */
export function layeringProblems(root: string, rules: Rules = RULES): string[] {
  const imports = scan(root)
  const unresolved = imports.filter((i) => i.to && !existsSync(join(root, i.to))).map((i) => `${i.from}:${i.line} imports ${i.spec}, which does not exist`)
  const broken = imports.map((i) => violation(i, rules)).filter((v): v is string => v !== undefined)
  return [...unresolved, ...broken, ...cycles(imports).map((c) => `import cycle between ${c.join(', ')}`)]
}
