import { httpKind } from './http.ts'
import { httpsRedirectKind } from './https-redirect.ts'
import { securityHeadersKind } from './security-headers.ts'
import { tlsKind } from './tls.ts'
import type { CheckKind } from './types.ts'

/**
 * Every check kind a target file can use. A new kind is one module exporting a `CheckKind` and one line here.
 */
export const KINDS: readonly CheckKind[] = [
  httpKind,
  httpsRedirectKind,
  securityHeadersKind,
  tlsKind,
]

export function findKind(name: string): CheckKind | undefined {
  return KINDS.find((k) => k.kind === name)
}

export type { BuildContext, CheckKind, CommonCheckFields } from './types.ts'
