/**
 * cert-manager Certificate readiness (cert-manager.io/v1): Ready=True for the current generation,
 * Issuing not False, and notAfter far enough away. Pure function over the object.
 */
import type { Verdict } from '../lib/result.ts'
import { toMs, type KubeTime } from '../clients/kube-print.ts'

export interface CertificateLike {
  metadata?: { name?: string; namespace?: string; generation?: number }
  spec?: { secretName?: string; issuerRef?: { name?: string; kind?: string; group?: string }; dnsNames?: string[] }
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string; observedGeneration?: number }[]
    notBefore?: KubeTime
    notAfter?: KubeTime
    renewalTime?: KubeTime
    revision?: number
    failedIssuanceAttempts?: number
    lastFailureTime?: KubeTime
  }
}

export interface CertificateEvidence {
  name: string
  namespace?: string
  /** The READY column: True, False, Unknown or empty when there is no Ready condition. */
  ready: string
  readyReason?: string
  readyMessage?: string
  issuing?: string
  issuingReason?: string
  issuingMessage?: string
  generation?: number
  observedGeneration?: number
  notAfter?: string
  renewalTime?: string
  daysLeft?: number
  secretName?: string
  issuer?: string
}

export interface CertificateJudgeOptions {
  /** Evaluation time, ms since the epoch. */
  now: number
  /** Fail when notAfter is closer than this, ms. 0 only requires it not to have passed. */
  minValidityMs: number
}

const iso = (t: KubeTime): string | undefined => {
  const ms = toMs(t)
  return ms === undefined ? undefined : new Date(ms).toISOString()
}

export function judgeCertificate(cert: CertificateLike, opts: CertificateJudgeOptions): Verdict<CertificateEvidence> {
  const name = cert.metadata?.name ?? ''
  const conds = cert.status?.conditions ?? []
  const ready = conds.find((c) => c.type === 'Ready')
  const issuing = conds.find((c) => c.type === 'Issuing')
  const issuerRef = cert.spec?.issuerRef
  const ev: CertificateEvidence = { name, ready: ready?.status ?? '' }
  if (cert.metadata?.namespace) ev.namespace = cert.metadata.namespace
  if (ready?.reason) ev.readyReason = ready.reason
  if (ready?.message) ev.readyMessage = ready.message
  if (issuing) {
    ev.issuing = issuing.status
    if (issuing.reason) ev.issuingReason = issuing.reason
    if (issuing.message) ev.issuingMessage = issuing.message
  }
  if (cert.metadata?.generation !== undefined) ev.generation = cert.metadata.generation
  if (ready?.observedGeneration !== undefined) ev.observedGeneration = ready.observedGeneration
  const notAfterMs = toMs(cert.status?.notAfter)
  const notAfter = iso(cert.status?.notAfter)
  if (notAfter) ev.notAfter = notAfter
  const renewal = iso(cert.status?.renewalTime)
  if (renewal) ev.renewalTime = renewal
  if (notAfterMs !== undefined) ev.daysLeft = Math.floor(((notAfterMs - opts.now) / 86_400_000) * 10) / 10
  if (cert.spec?.secretName) ev.secretName = cert.spec.secretName
  if (issuerRef?.name) ev.issuer = `${issuerRef.kind ?? 'Issuer'}/${issuerRef.name}`

  const fail = (message: string): Verdict<CertificateEvidence> => ({ status: 'fail', message, evidence: ev })
  const label = `certificate ${name}`
  if (!ready) return fail(`${label} has no Ready condition yet`)
  if (ready.status !== 'True') {
    const why = [ready.reason, ready.message].filter(Boolean).join(': ')
    return fail(`${label} is not ready (Ready=${ready.status}${why ? `, ${why}` : ''})`)
  }
  if (ready.observedGeneration !== undefined && cert.metadata?.generation !== undefined && ready.observedGeneration !== cert.metadata.generation) {
    return fail(`${label} Ready condition is stale (observedGeneration ${ready.observedGeneration}, generation ${cert.metadata.generation})`)
  }
  if (issuing && issuing.status === 'False') {
    return fail(`${label} issuance failed (Issuing=False${issuing.reason ? `, ${issuing.reason}` : ''}${issuing.message ? `: ${issuing.message}` : ''})`)
  }
  if (notAfterMs === undefined) return fail(`${label} is Ready but has no status.notAfter`)
  if (notAfterMs <= opts.now) return fail(`${label} expired at ${notAfter}`)
  if (notAfterMs - opts.now < opts.minValidityMs) {
    return fail(`${label} expires at ${notAfter} (${ev.daysLeft} days left, less than the required ${Math.round((opts.minValidityMs / 86_400_000) * 10) / 10})`)
  }
  const warnings: string[] = []
  if (issuing?.status === 'True') warnings.push(`${label} is being re-issued (${issuing.reason ?? 'Issuing'})`)
  const v: Verdict<CertificateEvidence> = { status: 'pass', message: `${label} is ready, valid until ${notAfter} (${ev.daysLeft} days left)`, evidence: ev }
  if (warnings.length) v.warnings = warnings
  return v
}
