// Writes what is generated from the check kinds' declarations, so docs and validators can never
// disagree with the code (a test checks both are current):
// - smoke/target.schema.json, the target-file schema for editors (`# yaml-language-server: $schema=...`);
// - the README's table of check kinds.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../lib/paths.ts'
import { deploySchema } from '../runbooks/deploy-settings.ts'
import { withKindTable } from '../smoke/kind-table.ts'
import { loadKinds } from '../checks/registry.ts'
import { targetSchema } from '../smoke/target-schema.ts'

const kinds = await loadKinds()
const schemaFile = join(packageRoot, 'smoke', 'target.schema.json')
writeFileSync(schemaFile, JSON.stringify(targetSchema(kinds, { deploy: deploySchema }), null, 2) + '\n')
console.log(`wrote ${schemaFile}`)
const readmeFile = join(packageRoot, 'README.md')
writeFileSync(readmeFile, withKindTable(readFileSync(readmeFile, 'utf8'), kinds))
console.log(`wrote the kind table of ${readmeFile}`)
