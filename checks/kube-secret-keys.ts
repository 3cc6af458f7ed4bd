/**
 * `kind: kube-secret-keys` — secretHasKeys: a Secret has the required keys. Only key names (and
 * whether a value is empty) are read into the judgement: values never reach evidence or reports.
 */
import { InvalidArgumentError } from '../lib/errors.ts'
import { createKubeClient, KUBE_CONNECTION_FIELDS, kubeLibrary } from '../clients/kube.ts'
import { stripUndefined } from '../lib/object.ts'
import { type CheckResult, timed, type Verdict } from '../lib/result.ts'
import { defaultsOf, Options, Type, type Static } from '../lib/schema.ts'
import { defineKind, type RunContext } from './kind.ts'
import { kubeApiFailure } from './kube-api-failure.ts'

export const KubeSecretKeysOptions = Options({
  name: Type.String({ minLength: 1, description: 'Secret name' }),
  keys: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'key names that must be present' }),
  allowEmpty: Type.Optional(Type.Boolean({ default: false, description: 'accept keys whose value is empty (otherwise an empty value counts as missing)' })),
  type: Type.Optional(Type.String({ minLength: 1, description: 'expected Secret type, e.g. kubernetes.io/tls (default: any)' })),
  ...KUBE_CONNECTION_FIELDS,
})
export type SecretHasKeysOptions = Static<typeof KubeSecretKeysOptions> & RunContext

export const SECRET_KEYS_DEFAULTS = defaultsOf(KubeSecretKeysOptions, 'allowEmpty')

export const kubeSecretKeysKind = defineKind({
  kind: 'kube-secret-keys',
  description: 'a Secret has the required keys (key names only: values are never read into evidence or reports)',
  options: KubeSecretKeysOptions,
  preload: kubeLibrary,
  positional: 'name',
  title: (o) => secretTitle(o.name, o.keys, o.namespace),
  run: (o, rt) => secretHasKeys({ ...o, ...rt }),
})

function secretTitle(name: string, keys: readonly string[], namespace: string | undefined): string {
  return `secret ${name}${namespace ? ` in ${namespace}` : ''} has ${keys.join(', ')}`
}

export interface SecretKeysEvidence {
  name: string
  namespace: string
  type?: string
  /** Key names present (never values). */
  keys: string[]
  missing: string[]
  empty: string[]
  serverMessage?: string
}

/** Pure judgement over key names and which of them are empty. */
export function judgeSecretKeys(present: { name: string; empty: boolean }[], required: string[], opts: { allowEmpty: boolean; type?: string | undefined; actualType?: string | undefined }, ctx: { name: string; namespace: string }): Verdict<SecretKeysEvidence> {
  const names = present.map((p) => p.name).sort()
  const missing = required.filter((k) => !names.includes(k))
  const empty = opts.allowEmpty ? [] : required.filter((k) => present.some((p) => p.name === k && p.empty))
  const ev: SecretKeysEvidence = { name: ctx.name, namespace: ctx.namespace, keys: names, missing, empty }
  if (opts.actualType) ev.type = opts.actualType
  if (opts.type && opts.actualType !== opts.type) return { status: 'fail', message: `secret ${ctx.name} has type ${opts.actualType ?? '(none)'}, expected ${opts.type}`, evidence: ev }
  if (missing.length > 0) return { status: 'fail', message: `secret ${ctx.name} is missing key${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`, evidence: ev }
  if (empty.length > 0) return { status: 'fail', message: `secret ${ctx.name} has empty key${empty.length === 1 ? '' : 's'} ${empty.join(', ')}`, evidence: ev }
  return { status: 'pass', message: `secret ${ctx.name} has ${required.join(', ')}`, evidence: ev }
}

export async function secretHasKeys(options: SecretHasKeysOptions): Promise<CheckResult<SecretKeysEvidence>> {
  const opts = { ...SECRET_KEYS_DEFAULTS, ...stripUndefined(options) }
  if (!opts.name) throw new InvalidArgumentError('secretHasKeys needs a name')
  if (!Array.isArray(opts.keys) || opts.keys.length === 0 || opts.keys.some((k) => typeof k !== 'string' || !k)) throw new InvalidArgumentError('secretHasKeys needs a non-empty list of key names')
  const client = await createKubeClient(opts)
  const ns = client.namespace
  return timed({ id: opts.id ?? `kube-secret-keys.${opts.name}`, title: opts.title ?? secretTitle(opts.name, opts.keys, ns), kind: 'kube-secret-keys' }, async () => {
    let present: { name: string; empty: boolean }[]
    let actualType: string | undefined
    try {
      const s = await client.request((call) => client.core.readNamespacedSecret({ name: opts.name, namespace: ns }, call))
      // Only names and emptiness leave this expression; values are dropped with `s`.
      present = [...Object.entries(s.data ?? {}), ...Object.entries(s.stringData ?? {})].map(([k, v]) => ({ name: k, empty: !v }))
      actualType = s.type
    } catch (err) {
      return kubeApiFailure<SecretKeysEvidence>(err, { verb: 'get', resource: 'secrets', kind: 'secret', name: opts.name, namespace: ns }, client, { name: opts.name, namespace: ns, keys: [], missing: [...opts.keys], empty: [] })
    }
    return judgeSecretKeys(present, opts.keys, { allowEmpty: opts.allowEmpty, type: opts.type, actualType }, { name: opts.name, namespace: ns })
  })
}
