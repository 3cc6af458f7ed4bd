// Writes smoke/target.schema.json (for editors: `# yaml-language-server: $schema=...`) from the
// registered check kinds, so the file and the validator can never disagree. A test checks it is current.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../lib/paths.ts'
import { deploySchema } from '../runbooks/deploy-settings.ts'
import { loadKinds } from '../smoke/kinds/index.ts'
import { targetSchema } from '../smoke/target-schema.ts'

const file = join(packageRoot, 'smoke', 'target.schema.json')
writeFileSync(file, JSON.stringify(targetSchema(await loadKinds(), { deploy: deploySchema }), null, 2) + '\n')
console.log(`wrote ${file}`)
