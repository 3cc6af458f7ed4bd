// Compiles the TypeScript sources to dist/ (JavaScript + declarations) for the published package:
// Node does not strip types inside node_modules, so consumers need JavaScript.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
rmSync('dist', { recursive: true, force: true })
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
// Non-TS assets the code reads at run time (package.json and the target files stay at the package root).
if (existsSync('sandbox/migrations')) cpSync('sandbox/migrations', 'dist/sandbox/migrations', { recursive: true })
