#!/usr/bin/env node
// Entry point. In a checkout (tsconfig.json beside bin/) it runs the TypeScript sources through tsx;
// in an installed package it runs the compiled JavaScript in dist/.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join } from 'node:path'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
let cli
if (existsSync(join(root, 'tsconfig.json')) && existsSync(join(root, 'bin', 'cli.ts'))) {
  const { register } = await import('tsx/esm/api')
  register()
  cli = await import(pathToFileURL(join(root, 'bin', 'cli.ts')).href)
} else {
  cli = await import(pathToFileURL(join(root, 'dist', 'bin', 'cli.js')).href)
}
process.exitCode = await cli.main(process.argv.slice(2))
