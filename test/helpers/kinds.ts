import { join } from 'node:path'
import type { BuildContext } from '../../checks/kind.ts'
import { Redactor } from '../../lib/redact.ts'
import type { CheckSpec } from '../../lib/runner.ts'
import { buildCheck } from '../../checks/build.ts'
import { loadKind } from '../../checks/registry.ts'

/** A build context for kind tests: paths relative to `dir`, a fresh redactor. */
export function testBuildContext(dir: string, over: Partial<BuildContext> = {}): BuildContext {
  return { tls: {}, reportDir: dir, redactor: new Redactor(), resolvePath: (p) => (p.startsWith('/') ? p : join(dir, p)), ...over }
}

/** Builds a check from a target-file entry through the one build path (as the smoke suite does). */
export async function buildKind(entry: { id: string; kind: string; [field: string]: unknown }, ctx: BuildContext): Promise<CheckSpec> {
  const kind = await loadKind(entry.kind)
  if (!kind) throw new Error(`no kind ${entry.kind}`)
  return buildCheck(kind, entry, ctx)
}
