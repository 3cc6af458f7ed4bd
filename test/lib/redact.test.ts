import { describe, expect, it } from 'vitest'
import { base64Fragments, isPlainValue, isSecretParam, looksLikeToken, MASK, maskUrlPasswords, MIN_BASE64_FRAGMENT, Redactor, secretForms } from '../../lib/redact.ts'
import { parseDuration } from '../../lib/duration.ts'

describe('Redactor', () => {
  it('masks registered secrets and their URL/base64 encodings, everywhere in nested data', () => {
    const r = new Redactor()
    r.add('s3cr3t/value+1')
    const b64 = Buffer.from('s3cr3t/value+1').toString('base64')
    expect(r.redact('x s3cr3t/value+1 y')).toBe('x *** y')
    expect(r.redact(`q=${encodeURIComponent('s3cr3t/value+1')}`)).toBe('q=***')
    expect(r.redact(`auth ${b64}`)).toBe('auth ***')
    expect(r.redactDeep({ a: ['s3cr3t/value+1'], 's3cr3t/value+1': 1 })).toEqual({ a: ['***'], '***': 1 })
  })

  it('ignores very short values that would shred ordinary text', () => {
    const r = new Redactor()
    r.add('ab')
    expect(r.redact('about')).toBe('about')
  })

  it.each([
    ['postgresql://app:hunter22@db:5432/x', 'postgresql://app:***@db:5432/x'],
    ['redis://:pw1234@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
    ['see https://user:tok@example.com/a and more', 'see https://user:***@example.com/a and more'],
    ['https://example.com/no/creds', 'https://example.com/no/creds'],
  ])('masks URL passwords: %s', (input, expected) => {
    expect(maskUrlPasswords(input)).toBe(expected)
  })
})

describe('Redactor: every form a secret takes', () => {
  const secret = 'p@ss wörd"/+x~1!\\z'
  const bytes = Buffer.from(secret)
  it.each([
    ['raw', secret],
    ['base64', bytes.toString('base64')],
    ['base64 unpadded', bytes.toString('base64').replace(/=+$/, '')],
    ['base64url', bytes.toString('base64url')],
    ['hex', bytes.toString('hex')],
    ['HEX', bytes.toString('hex').toUpperCase()],
    ['encodeURIComponent', encodeURIComponent(secret)],
    ['form encoding', new URLSearchParams({ q: secret }).toString().slice(2)],
    ['JSON-escaped', JSON.stringify(secret).slice(1, -1)],
  ])('%s', (_name, form) => {
    const r = new Redactor()
    r.add(secret)
    expect(r.redact(`before ${form} after`)).toBe(`before ${MASK} after`)
  })

  it('a secret inside serialised JSON (a report, an echoed body) is masked', () => {
    const r = new Redactor()
    r.add(secret)
    expect(r.redact(`HTTP 500: ${JSON.stringify({ error: 'bad', echoed: secret })}`)).toBe(`HTTP 500: {"error":"bad","echoed":"${MASK}"}`)
    expect(r.redact(JSON.stringify({ v: secret }))).toBe(JSON.stringify({ v: MASK }))
  })

  it('the form encoding really differs from encodeURIComponent (spaces as +), and JSON escaping from raw', () => {
    expect(secretForms('a b"c\\d')).toEqual(expect.arrayContaining(['a+b%22c%5Cd', 'a%20b%22c%5Cd', 'a b\\"c\\\\d']))
  })

  // A secret inside a longer base64 string (Basic user:password, a Secret's data, a token blob):
  // whatever the prefix length, one of the three alignment fragments matches, and the mask starts
  // exactly where the prefix's own characters end.
  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8])('masks a secret at byte offset %i inside a longer base64 blob, leaving only the prefix\'s characters', (prefixLen) => {
    const r = new Redactor()
    const pw = 'promPw2OOOO1357'
    r.add(pw)
    for (const suffix of ['', 'x', 'xy', 'xyz']) {
      const prefix = 'u'.repeat(prefixLen)
      const blob = Buffer.from(prefix + pw + suffix).toString('base64')
      const out = r.redact(blob)
      expect(out.indexOf(MASK)).toBe(Math.ceil((8 * prefixLen) / 6))
      // What is left after the mask is at most the last partial character, the suffix's characters and padding.
      expect(out.length - out.indexOf(MASK) - MASK.length).toBeLessThanOrEqual(Math.ceil((8 * suffix.length) / 6) + 3)
      // And base64url as well.
      expect(r.redact(Buffer.from(prefix + pw + suffix).toString('base64url'))).toContain(MASK)
    }
  })

  it('the fragments are the well-known three (offsets 0, 1, 2, boundary characters trimmed)', () => {
    expect(base64Fragments(Buffer.from('password'))).toEqual(['cGFzc3dvcm', 'Bhc3N3b3Jk', 'wYXNzd29yZ'])
    // Too short to register safely: a 4-byte secret has no fragment of MIN_BASE64_FRAGMENT characters.
    expect(MIN_BASE64_FRAGMENT).toBe(6)
    expect(base64Fragments(Buffer.from('abcd'))).toEqual([])
  })

  it('keeps ordinary text readable', () => {
    const r = new Redactor()
    r.add('hunter22')
    r.add('promPw2OOOO1357')
    const text = 'deployment "web" successfully rolled out; 3 of 3 updated replicas are available, revision 7, sha256 0a1b2c3d4e5f'
    expect(r.redact(text)).toBe(text)
  })
})

describe('Redactor: HTTP basic credentials', () => {
  // The issue's repro: len("ops") + 1 = 4 is not a multiple of 3, so the password's own base64 never
  // appeared inside base64("ops:" + password).
  const header = `Basic ${Buffer.from('ops:promPw2OOOO1357').toString('base64')}`
  it('the password alone (fragments) masks the middle of the header whatever the user name length', () => {
    for (const user of ['', 'o', 'op', 'ops', 'opsx', 'admin-user']) {
      const r = new Redactor()
      r.add('promPw2OOOO1357')
      const h = `Basic ${Buffer.from(`${user}:promPw2OOOO1357`).toString('base64')}`
      expect(r.redact(h)).toContain(MASK)
    }
    const r = new Redactor()
    r.add('promPw2OOOO1357')
    // Residue: the user name's characters, one boundary character (it mixes in the password's last bits) and padding.
    expect(r.redact(header)).toBe(`Basic b3BzOn${MASK}w==`)
  })

  it('registering the pair masks the whole header value, padding included', () => {
    const r = new Redactor()
    r.addBasicCredentials('ops', 'promPw2OOOO1357')
    expect(r.redact(`echo: authorization ${header}`)).toBe(`echo: authorization Basic ${MASK}`)
    expect(r.redact('promPw2OOOO1357')).toBe(MASK)
    // A 4-character password has no fragments; the pair still covers the header.
    const short = new Redactor()
    short.addBasicCredentials('ops', 'pw42')
    expect(short.redact(`Basic ${Buffer.from('ops:pw42').toString('base64')}`)).toBe(`Basic ${MASK}`)
  })

  it('no password: nothing is registered (a user name is not a secret)', () => {
    const r = new Redactor()
    r.addBasicCredentials('ops', '')
    expect(r.size).toBe(0)
  })
})

describe('Redactor: the secret parts of a secret URL', () => {
  const hook = 'https://hooks.example.com/services/T0123ABCD/B0123ABCD/abcDEF123ghiJKL456mnoPQR?token=tk_live_9f8e7d6c&region=eu-west-1&limit=100&format=json&v=abc'
  it.each(['addSecretUrl', 'add'] as const)('%s registers path tokens and query values, and keeps the ordinary parts readable', (method) => {
    const r = new Redactor()
    r[method](hook)
    // A server that echoes the request line, or only the query, or one parameter.
    expect(r.redact('GET /services/T0123ABCD/B0123ABCD/abcDEF123ghiJKL456mnoPQR HTTP/1.1')).toBe(`GET /services/T0123ABCD/B0123ABCD/${MASK} HTTP/1.1`)
    expect(r.redact('unknown token tk_live_9f8e7d6c')).toBe(`unknown token ${MASK}`)
    expect(r.redact(`base64 ${Buffer.from('tk_live_9f8e7d6c').toString('base64')}`)).toBe(`base64 ${MASK}`)
    expect(r.redact(hook)).toBe(MASK)
    const plain = 'region eu-west-1, limit 100, format json, v abc, services T0123ABCD; content-type application/json'
    expect(r.redact(plain)).toBe(plain)
  })

  it.each([
    ['userinfo password', 'https://bot:s3cr3tPass@example.com/x', 'login as bot with s3cr3tPass', `login as bot with ${MASK}`],
    ['percent-encoded password', 'https://bot:p%40ss%2Fw0rd@example.com/', 'password p@ss/w0rd', `password ${MASK}`],
    ['a token as the user name', 'https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/org/repo.git', 'auth ghp_16C7e42F292c6912E7710c838347Ae178B4a failed', `auth ${MASK} failed`],
    ['a secret-named parameter, even a plain word', 'https://api.example.com/v1?password=hunter&user=ops', 'pw=hunter user=ops', `pw=${MASK} user=ops`],
    ['camelCase secret names', 'https://api.example.com/v1?accessToken=word', 'token word', `token ${MASK}`],
    ['percent-encoded values (decoded and raw)', 'https://api.example.com/?key=a%2Fb%2Bc%3D%3Dxyz', 'a/b+c==xyz or a%2Fb%2Bc%3D%3Dxyz', `${MASK} or ${MASK}`],
    ['form-encoded value with a space', 'https://api.example.com/?q=open+sesame+42', 'echo: open sesame 42', `echo: ${MASK}`],
    ['fragment parameters', 'https://app.example.com/cb#access_token=eyJhbGciOi.J9xYz&state=ok', 'token eyJhbGciOi.J9xYz', `token ${MASK}`],
    ['a UUID path segment', 'https://api.example.com/hooks/3f2b8c1e-9a4d-4e7b-b1c2-6d5e4f3a2b1c', 'hook 3f2b8c1e-9a4d-4e7b-b1c2-6d5e4f3a2b1c', `hook ${MASK}`],
    ['a value of 4+ characters in an ordinary parameter', 'https://api.example.com/?client=Ab3xYz', 'client Ab3xYz', `client ${MASK}`],
  ])('%s', (_name, url, text, expected) => {
    const r = new Redactor()
    r.addSecretUrl(url)
    expect(r.redact(text)).toBe(expected)
  })

  it('does not register short values or readable path segments', () => {
    const r = new Redactor()
    r.addSecretUrl('https://api.example.com/servicedesk-integration-webhook/release-2024-01-15-hotfix/getUserPreferencesById?a=xyz&page=2')
    const text = 'servicedesk-integration-webhook release-2024-01-15-hotfix getUserPreferencesById xyz page 2'
    expect(r.redact(text)).toBe(text)
  })

  it('a URL password shorter than 4 characters is not registered in any form (its hex would mask port numbers)', () => {
    const r = new Redactor()
    r.addUrlCredentials('https://u:pw@example.com:7077/')
    r.addSecretUrl('https://u:pw@example.com/')
    expect(r.redact('port 7077, cHc=')).toBe('port 7077, cHc=')
  })

  it('a non-URL secret is only itself', () => {
    const r = new Redactor()
    r.addSecretUrl('not a url, just hunter22')
    expect(r.redact('hunter22')).toBe('hunter22')
  })

  it.each([
    ['tok-9f8e7d6c5b4a3921', true],
    ['3f2b8c1e-9a4d-4e7b-b1c2-6d5e4f3a2b1c', true],
    ['abcDEF123ghiJKL456mnoPQR', true],
    ['QwErTyUiOpAsDfGhJkLzXc', true],
    ['servicedesk-integration-webhook', false],
    ['release-2024-01-15-hotfix', false],
    ['getUserPreferencesById', false],
    ['123456789012345678', false],
    ['aaaaaaaaaaaaaaaa1', false],
    ['short1', false],
  ])('looksLikeToken(%j) = %s', (v, expected) => expect(looksLikeToken(v)).toBe(expected))

  it.each([
    ['json', true], ['true', true], ['100', true], ['30s', true], ['2024-01-15', true], ['application/json', true], ['eu-west-1', true], ['verify-full', true], ['read_only', true],
    ['hunter22', false], ['Ab3xYz', false], ['correcthorsebattery', false], ['tk_live_9f8e7d6c', false], ['1234567', false],
  ])('isPlainValue(%j) = %s', (v, expected) => expect(isPlainValue(v)).toBe(expected))

  it.each([
    ['token', true], ['access_token', true], ['apiKey', true], ['api-key', true], ['X-Amz-Signature', true], ['sig', true], ['password', true], ['client_secret', true],
    ['region', false], ['keyboard', false], ['page', false], ['format', false],
  ])('isSecretParam(%j) = %s', (v, expected) => expect(isSecretParam(v)).toBe(expected))
})

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['250', 250],
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
  ])('%s → %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms))

  it.each(['10 sec', 'soon', '-1', '5x', ''])('rejects %j', (input) => expect(() => parseDuration(input)).toThrow(/invalid duration/))
})
