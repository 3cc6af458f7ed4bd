import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KIND_TABLE_BEGIN, KIND_TABLE_END, renderKindTable, withKindTable } from '../../smoke/kind-table.ts'
import { KIND_NAMES, loadKinds } from '../../checks/registry.ts'
import { repoRoot } from '../helpers/cli.ts'

describe("README's kind table", () => {
  it('is current: generated from the declarations (regenerate with npm run schema)', async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
    expect(readme).toContain(KIND_TABLE_BEGIN)
    expect(withKindTable(readme, await loadKinds())).toBe(readme)
  })

  it('has one row per kind, marks required and secret fields', async () => {
    const kinds = await loadKinds()
    const table = renderKindTable(kinds)
    expect(table.split('\n').filter((l) => l.startsWith('| `'))).toHaveLength(KIND_NAMES.length)
    expect(table).toMatch(/\| `http` \| .* \| \*\*`url`\*\*/)
    expect(table).toMatch(/\| `webhook` \| .*\*\*`secret` 🔒\*\*/)
  })

  it('leaves a README without markers unchanged, and replaces only between them', () => {
    expect(withKindTable('no markers here', [])).toBe('no markers here')
    const doc = `a\n${KIND_TABLE_BEGIN}\nstale\n${KIND_TABLE_END}\nb`
    expect(withKindTable(doc, [])).toBe(`a\n${KIND_TABLE_BEGIN}\n${renderKindTable([])}\n${KIND_TABLE_END}\nb`)
  })
})
