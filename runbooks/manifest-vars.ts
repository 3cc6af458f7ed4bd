import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ConfigError } from '../lib/errors.ts'

/**
 * `${NAME}` substitution in the deploy manifests. Only variables the runbook documents are filled in
 * (VERSION, REGISTRY, NAMESPACE, DOMAIN, the declared infrastructure outputs, and what the sandbox
 * provides); an unknown `${UPPER_CASE}` name is a configuration error naming the file and the
 * variable, never an empty string (a typo `${VERSON}` would otherwise deploy `registry/app:`).
 * `$${X}` writes a literal `${X}`. Other `${...}` text (lower case, expressions) is left as it is.
 */

const REFERENCE = /\$(\$?)\{([^{}]*)\}/g
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
const UPPER_CASE = /^[A-Z_][A-Z0-9_]*$/

/** The `${UPPER_CASE}` names in `text` that `vars` does not define, in order of first use. */
export function unknownManifestVariables(text: string, vars: Readonly<Record<string, string>>): string[] {
  const unknown: string[] = []
  for (const m of text.matchAll(REFERENCE)) {
    const [, escape, name] = m
    if (!escape && name !== undefined && UPPER_CASE.test(name) && !Object.hasOwn(vars, name) && !unknown.includes(name)) unknown.push(name)
  }
  return unknown
}

/** Substitutes the variables of one manifest. Throws ConfigError (naming `file` and the variables) for unknown names. */
export function renderManifest(text: string, vars: Readonly<Record<string, string>>, file: string): string {
  const unknown = unknownManifestVariables(text, vars)
  if (unknown.length > 0) throw unknownError(file, unknown, vars)
  return text.replace(REFERENCE, (whole, escape: string, name: string) => {
    if (escape) return whole.slice(1)
    return IDENTIFIER.test(name) && Object.hasOwn(vars, name) ? vars[name]! : whole
  })
}

/**
 * Reads and renders every manifest (`files` relative to `dir`), checking all of them before returning,
 * so that one error lists every unknown variable of every file.
 */
export async function renderManifests(dir: string, files: readonly string[], vars: Readonly<Record<string, string>>): Promise<{ file: string; text: string }[]> {
  const texts = await Promise.all(files.map(async (file) => ({ file, text: await readFile(resolve(dir, file), 'utf8') })))
  const problems = texts.map(({ file, text }) => ({ file, unknown: unknownManifestVariables(text, vars) })).filter((p) => p.unknown.length > 0)
  if (problems.length > 0) {
    const lines = problems.map((p) => `${p.file}: ${p.unknown.map((n) => `\${${n}}`).join(', ')}`)
    throw new ConfigError(`unknown variable(s) in manifests (${lines.join('; ')}); known: ${knownList(vars)} (write $\${NAME} for a literal \${NAME})`, { file: resolve(dir, problems[0]!.file) })
  }
  return texts.map(({ file, text }) => ({ file, text: renderManifest(text, vars, file) }))
}

function unknownError(file: string, unknown: string[], vars: Readonly<Record<string, string>>): ConfigError {
  return new ConfigError(`${file}: unknown variable(s) ${unknown.map((n) => `\${${n}}`).join(', ')}; known: ${knownList(vars)} (write $\${NAME} for a literal \${NAME})`, { file })
}

function knownList(vars: Readonly<Record<string, string>>): string {
  return Object.keys(vars).filter((n) => UPPER_CASE.test(n)).sort().join(', ')
}
