import type { AnyCheckKind } from '../checks/kind.ts'
import { SECRET_KEYWORD } from '../lib/schema.ts'

/**
 * The README's table of check kinds, rendered from the kinds' declarations (`npm run schema`
 * writes it between the markers; a test fails when the README is stale).
 */

export const KIND_TABLE_BEGIN = '<!-- kinds:begin (generated from the kind declarations by `npm run schema`; do not edit) -->'
export const KIND_TABLE_END = '<!-- kinds:end -->'

interface Schema {
  properties?: Record<string, Schema>
  required?: string[]
  [SECRET_KEYWORD]?: boolean
}

/** Top-level field names: required ones in bold, secrets marked 🔒 (they must be env: references). */
function fieldList(k: AnyCheckKind): string {
  const s = k.options as Schema
  return Object.entries(s.properties ?? {})
    .map(([name, sub]) => {
      const text = `\`${name}\`${sub[SECRET_KEYWORD] ? ' 🔒' : ''}`
      return s.required?.includes(name) ? `**${text}**` : text
    })
    .join(', ')
}

export function renderKindTable(kinds: readonly AnyCheckKind[]): string {
  const escape = (t: string) => t.replace(/\|/g, '\\|')
  return [
    '| kind | what it checks | fields (**required**, 🔒 secret: `env:` only) |',
    '| --- | --- | --- |',
    ...kinds.map((k) => `| \`${k.kind}\` | ${escape(k.description)} | ${fieldList(k)} |`),
  ].join('\n')
}

/** The README with its kind table replaced; the text unchanged when the markers are missing. */
export function withKindTable(readme: string, kinds: readonly AnyCheckKind[]): string {
  const begin = readme.indexOf(KIND_TABLE_BEGIN)
  const end = readme.indexOf(KIND_TABLE_END)
  if (begin < 0 || end < begin) return readme
  return `${readme.slice(0, begin + KIND_TABLE_BEGIN.length)}\n${renderKindTable(kinds)}\n${readme.slice(end)}`
}
