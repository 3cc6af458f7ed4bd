/**
 * Redaction: every printed line and every report passes through a Redactor. Secret values are
 * registered when they are resolved (env: references, URL passwords, tokens), before anything is
 * printed or written.
 */

export const MASK = '***'

/** Shortest value that is registered: masking 1-3 character strings would shred ordinary text. */
export const MIN_SECRET_LENGTH = 4

/**
 * Shortest base64 fragment registered for a secret embedded in a longer base64 string. Below this,
 * a fragment is too likely to occur by chance in other base64 or hex; the exact forms still apply.
 */
export const MIN_BASE64_FRAGMENT = 6

/**
 * The strings a secret can turn into on its way to a log line: raw; base64 (padded, unpadded,
 * base64url); hex (lower and upper case); URL-encoded (encodeURIComponent, and form encoding with
 * `+`); JSON-escaped (inside a JSON string); and the three base64 fragments that appear when the
 * secret sits inside a longer base64 string (see `base64Fragments`). Forms shorter than
 * MIN_SECRET_LENGTH are left out.
 */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const b64 = bytes.toString('base64')
  const forms = new Set<string>([
    secret,
    b64,
    b64.replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    encodeURIComponent(secret),
    new URLSearchParams([['', secret]]).toString().slice(1),
    JSON.stringify(secret).slice(1, -1),
  ])
  for (const f of base64Fragments(bytes)) {
    forms.add(f)
    forms.add(toBase64Url(f))
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH)
}

/**
 * The parts of base64 that encode `bytes` wherever they sit in a longer input: base64 works in
 * 3-byte groups, so the encoding depends on the offset modulo 3. For offsets 0, 1 and 2, encode the
 * bytes after that many filler bytes and keep only the characters made of the secret's bits alone
 * (the first 0, 2 or 3 characters mix in the filler; the last one may mix in whatever follows).
 * Any base64 text that contains the secret contains one of these three. Fragments shorter than
 * MIN_BASE64_FRAGMENT are dropped.
 */
export function base64Fragments(bytes: Buffer): string[] {
  const out: string[] = []
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    const start = Math.ceil((8 * offset) / 6)
    const end = Math.floor((8 * (offset + bytes.length)) / 6)
    const fragment = encoded.slice(start, end)
    if (fragment.length >= MIN_BASE64_FRAGMENT) out.push(fragment)
  }
  return out
}

const toBase64Url = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_')

const URL_SHAPED = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i

/** Query parameter names whose values are secrets whatever they look like (`access_token`, `apiKey`, `X-Amz-Signature`, `sig`). */
export function isSecretParam(name: string): boolean {
  return SECRET_PARAM.test(name.replace(/([a-z\d])([A-Z])/g, '$1_$2'))
}
const SECRET_PARAM = /(^|[-_.])(token|key|apikey|secret|pass|passwd|password|pwd|sig|signature|auth|authorization|credential|credentials|session|sid|code|otp|private)($|[-_.])|^x-amz-(signature|credential|security-token)$/i

const COMMON_VALUES = new Set(['true', 'false', 'yes', 'no', 'on', 'off', 'null', 'none', 'json', 'yaml', 'text', 'html', 'utf-8', 'utf8', 'gzip', 'desc', 'asc'])

/**
 * Query values that stay readable even inside a secret URL, because masking them would shred
 * ordinary text: booleans and common words, numbers up to 6 digits, durations, dates, MIME types,
 * and lower-case words of up to 10 letters, alone or joined by `-`/`_` (`verify-full`, `eu-west-1`).
 */
export function isPlainValue(v: string): boolean {
  if (COMMON_VALUES.has(v.toLowerCase())) return true
  if (/^\d{1,6}(\.\d+)?(ms|s|m|h|d)?$/.test(v)) return true
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(v)) return true
  if (/^[a-z]+\/[a-z0-9.+-]+$/i.test(v) && v.length <= 40 && !/\d{3}/.test(v)) return true
  // Lower-case words, alone or joined by - or _ (eu-west-1 style ids, verify-full, read_only).
  return /^[a-z]{1,10}\d?(?:[-_](?:[a-z]{1,10}\d?|\d{1,3})){0,3}$/.test(v)
}

/**
 * A path segment or user name that is a token rather than a word: 16 or more characters, at least
 * 3 bits of entropy per character, and a part (between `-`, `_`, `.`, `~`) of 8 or more characters
 * that mixes letters and digits (or of 20 or more letters in random-looking mixed case).
 * `tok-9f8e7d6c5b4a3921`, a UUID or a Slack webhook key qualify; `servicedesk-integration-webhook`,
 * `getUserPreferencesById` and `release-2024-01-15-hotfix` do not.
 */
export function looksLikeToken(v: string): boolean {
  if (v.length < 16 || /\s/.test(v)) return false
  if (entropyPerChar(v) < 3) return false
  return v.split(/[-_.~]/).some((part) => {
    if (part.length >= 8 && /[a-z]/i.test(part) && /\d/.test(part)) return true
    // Letters only: random mixed case, not camelCase words (those have far fewer capitals).
    const upper = part.replace(/[^A-Z]/g, '').length
    const lower = part.replace(/[^a-z]/g, '').length
    return part.length >= 20 && upper >= 0.3 * part.length && lower >= 0.3 * part.length
  })
}

function entropyPerChar(v: string): number {
  const counts = new Map<string, number>()
  for (const ch of v) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let h = 0
  for (const n of counts.values()) h -= (n / v.length) * Math.log2(n / v.length)
  return h
}

/** Percent-decoding that never throws; `form` also turns `+` into a space (query strings). */
function safeDecode(s: string, form = false): string {
  try {
    return decodeURIComponent(form ? s.replace(/\+/g, ' ') : s)
  } catch {
    return s
  }
}

export class Redactor {
  #secrets = new Set<string>()
  #pattern: RegExp | undefined

  /**
   * Registers a secret value and every form it takes in output (`secretForms`), so it is masked
   * from now on. A secret that is a URL (`scheme://...`) also registers its secret-looking parts
   * (`addSecretUrl`), so a server echoing only its path or query cannot reveal the token in it.
   */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return
    this.#addForms(secret)
    if (URL_SHAPED.test(secret)) this.#addUrlParts(secret)
  }

  /**
   * Registers a URL that came from a secret (an `env:` reference): the whole URL, the userinfo
   * password (and a user name that looks like a token), every query (and `#fragment` parameter)
   * value of MIN_SECRET_LENGTH or more characters unless it is plain text (`isPlainValue`; values
   * of parameters named like secrets — token, key, sig, password, ... — always count), and path
   * segments that look like tokens (`looksLikeToken`). Each is registered with all its forms.
   */
  addSecretUrl(url: string | undefined | null): void {
    if (!url || url.length < MIN_SECRET_LENGTH) return
    this.#addForms(url)
    this.#addUrlParts(url)
  }

  #addForms(secret: string): void {
    // Short values stay out entirely: even their longer encodings (hex "7077" for "pw") would mask ordinary text.
    if (secret.length < MIN_SECRET_LENGTH) return
    for (const f of secretForms(secret)) this.#secrets.add(f)
    this.#pattern = undefined
  }

  #addUrlParts(url: string): void {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      return
    }
    this.addUrlCredentials(url)
    const params = (raw: string) => {
      for (const pair of raw.split('&')) {
        const eq = pair.indexOf('=')
        if (eq < 0) continue
        const name = safeDecode(pair.slice(0, eq), true)
        const rawValue = pair.slice(eq + 1)
        const value = safeDecode(rawValue, true)
        if (value.length < MIN_SECRET_LENGTH) continue
        if (!isSecretParam(name) && isPlainValue(value)) continue
        // Parts are shorter than the URL, so a URL inside a parameter recurses only so far.
        this.add(value)
        if (rawValue !== value) this.#addForms(rawValue)
      }
    }
    params(u.search.slice(1))
    if (u.hash.includes('=')) params(u.hash.slice(1))
    for (const segment of u.pathname.split('/')) {
      const value = safeDecode(segment)
      if (!looksLikeToken(value)) continue
      this.#addForms(value)
      if (segment !== value) this.#addForms(segment)
    }
  }

  /**
   * Registers HTTP basic credentials: the password, and `user:password` itself, whose base64 is
   * the whole `Authorization: Basic` value. The password's base64 fragments alone would leave a
   * few characters either side of it that still carry bits of the password; the pair masks the
   * value completely.
   */
  addBasicCredentials(username: string | undefined, password: string | undefined): void {
    if (!password) return
    this.add(password)
    this.add(`${username ?? ''}:${password}`)
  }

  /** Registers the password (and a user name that looks like a token, e.g. `https://<token>@host`) of a URL with credentials. */
  addUrlCredentials(url: string): void {
    // Credentials need an `@` after the scheme: skip the URL parser for everything else (a large
    // target file resolves hundreds of thousands of strings).
    if (!url.includes('@') || !url.includes(':')) return
    let u: URL
    try {
      u = new URL(url)
    } catch {
      return // not a URL: nothing to register
    }
    for (const part of [u.password, looksLikeToken(safeDecode(u.username)) ? u.username : '']) {
      if (!part) continue
      this.#addForms(part)
      if (safeDecode(part) !== part) this.#addForms(safeDecode(part))
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
