/**
 * Redaction: every printed line and every report passes through a Redactor. Secret values are
 * registered when they are resolved (env: references, URL passwords, tokens), before anything is
 * printed or written.
 */

export const MASK = '***'

/** Shortest value that is registered: masking 1-3 character strings would shred ordinary text. */
export const MIN_SECRET_LENGTH = 4

export class Redactor {
  #secrets = new Set<string>()
  #pattern: RegExp | undefined

  /** Registers a secret value (and its common encodings) so it is masked from now on. */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return
    const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]
    for (const f of forms) if (f.length >= MIN_SECRET_LENGTH) this.#secrets.add(f)
    this.#pattern = undefined
  }

  /** Registers the password (and a username that looks like a token) of a URL with credentials. */
  addUrlCredentials(url: string): void {
    try {
      const u = new URL(url)
      if (u.password) {
        this.add(decodeURIComponent(u.password))
        this.add(u.password)
      }
    } catch {
      // not a URL: nothing to register
    }
  }

  get size(): number {
    return this.#secrets.size
  }

  /** Masks every registered secret and any `user:password@` credentials in URLs. */
  redact(text: string): string {
    let out = text
    if (this.#secrets.size > 0) {
      this.#pattern ??= new RegExp(
        [...this.#secrets]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join('|'),
        'g',
      )
      out = out.replace(this.#pattern, MASK)
    }
    return maskUrlPasswords(out)
  }

  /** Deep copy of a JSON-like value with every string redacted (keys included). */
  redactDeep<T>(value: T): T {
    return redactValue(value, (s) => this.redact(s)) as T
  }
}

function redactValue(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value)
  if (Array.isArray(value)) return value.map((v) => redactValue(v, f))
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[f(k)] = redactValue(v, f)
    return out
  }
  return value
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** `scheme://user:secret@host` → `scheme://user:***@host`, for any URL-looking text. */
export function maskUrlPasswords(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]+)@/gi, (_m, pre: string) => `${pre}:${MASK}@`)
}

/** The process-wide redactor used by the CLI, the runner's reports and the runbook engine. */
export const redactor = new Redactor()
