import { defineKind, type AnyCheckKind, type BuildContext } from '../../checks/kind.ts'
import type { CheckEntry } from '../../checks/build.ts'
import { parseDuration } from '../../lib/duration.ts'
import type { TObject } from '../../lib/schema.ts'
import type { CheckKind as LegacyKind } from './types.ts'

// TRANSITIONAL: a kind not yet declared beside its check, seen through the new interface.

export const LEGACY = Symbol('legacy kind')

export function fromLegacy(old: LegacyKind): AnyCheckKind {
  const options = { type: 'object', additionalProperties: false, properties: old.properties, required: old.required ?? [] } as unknown as TObject
  for (const path of old.secretFields ?? []) {
    const [top, sub] = path.split('.') as [string, string | undefined]
    const p = (old.properties as Record<string, Record<string, unknown>>)[top]!
    if (sub) (p.properties as Record<string, Record<string, unknown>>)[sub]!['x-secret'] = true
    else p['x-secret'] = true
  }
  const kind = defineKind({
    kind: old.kind,
    description: old.description,
    options,
    ...(old.positional ? { positional: old.positional as never } : {}),
    ...(old.aliases ? { aliases: old.aliases } : {}),
    title: () => old.kind,
    run: () => Promise.reject(new Error('legacy kinds are built by legacyBuild')),
  })
  return Object.freeze({ ...kind, [LEGACY]: old })
}

/** The old build path, for a wrapped kind. */
export function legacyBuild(kind: AnyCheckKind, entry: CheckEntry, ctx: BuildContext & { target?: string; targetFile?: string }) {
  const old = (kind as unknown as Record<symbol, LegacyKind>)[LEGACY]
  if (!old) return undefined
  const oldCtx = { target: ctx.target ?? 'cli', targetFile: ctx.targetFile ?? 'cli', baseUrl: ctx.baseUrl, tls: ctx.tls, reportDir: ctx.reportDir, redactor: ctx.redactor, resolvePath: ctx.resolvePath, ...(entry.timeout !== undefined ? { timeoutMs: parseDuration(entry.timeout) } : {}) }
  const title = (): string => {
    try {
      return entry.title ?? old.title(entry as never, oldCtx as never)
    } catch {
      return entry.id
    }
  }
  if (entry.skip !== undefined) return { title: title(), run: () => Promise.reject(new Error('skipped checks do not run')) }
  return { ...old.build(entry as never, oldCtx as never), title: title() }
}
