import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_WEBHOOK_PAYLOAD } from '../../checks/webhook.ts'
import { ConfigError, InvalidArgumentError, UsageError } from '../../lib/errors.ts'
import { redactor } from '../../lib/redact.ts'
import { isWebhookScheme, multiSignatureRefusal, schemeInfo, sign, SIGNING_DEFAULTS, verify, WEBHOOK_SCHEMES, type WebhookScheme } from '../../clients/webhook-signing.ts'
import type { Command } from '../cli.ts'

/**
 * `runbook-kit webhook sign|verify`: sign a test delivery (headers plus a ready curl line) or verify
 * a captured one. Secrets are read from environment variables (`--secret-env`, repeatable for key
 * rotation), registered for redaction, and every printed line passes through the redactor; output
 * names a secret by its variable, never by its value.
 */

const DEFAULT_SECRET_ENV = 'WEBHOOK_SECRET'
const DEFAULT_URL = '${API_BASE_URL}/webhook/servicedesk'

const HELP = `Usage:
  runbook-kit webhook sign   [--scheme S] [--secret-env NAME]... [--payload FILE|-] [options]
  runbook-kit webhook verify [--scheme S] [--secret-env NAME]... --headers FILE --payload FILE [options]

sign prints the headers to send with the payload and a ready curl command line (the body is sent
with --data-binary @FILE, so the bytes sent are the bytes signed). verify checks a captured
delivery: a headers file (one "Name: value" per line) and the raw body file.

Key rotation: give --secret-env more than once. verify passes when any of the secrets matches and
says which variable's did; sign puts one signature per secret into the header (stripe:
t=...,v1=...,v1=...; standard-webhooks: v1,... v1,...). github, slack, shopify and
hmac-sha256-hex carry one signature per delivery, so sign refuses several secrets for them.

Options:
  --scheme S            ${WEBHOOK_SCHEMES.join(', ')} (default: hmac-sha256-hex)
  --secret-env NAME     environment variable holding a secret (default: ${DEFAULT_SECRET_ENV}); repeatable; the value is never printed
  --payload FILE|-      body file, or - for stdin (sign default: the seed's test ticket JSON; verify: required)
  --header H            hmac-sha256-hex: signature header name (default: ${SIGNING_DEFAULTS.header})
  --prefix P            hmac-sha256-hex: text before the hex digest (default: ${SIGNING_DEFAULTS.prefix})
  --json                print a JSON object instead of text
  -h, --help            show this help

sign only:
  --url URL             endpoint for the curl line (default: "${DEFAULT_URL}")
  --content-type T      Content-Type of the curl line (default: application/json)
  --timestamp N         unix seconds to sign, timestamped schemes (default: now)
  --id ID               standard-webhooks webhook-id (default: random msg_...)

verify only:
  --headers FILE        captured request headers, "Name: value" per line (request line and # comments ignored)
  --tolerance S         replay window in seconds for timestamped schemes; 0 = no time check (default: ${SIGNING_DEFAULTS.tolerance})
  --now N               judge timestamps as of unix seconds N (default: now)

Exit codes: 0 signed / valid, 1 invalid signature, 2 usage error (e.g. the secret's variable is not set).`

export const command: Command = {
  summary: 'sign a test webhook delivery or verify a captured one',
  async main(argv) {
    const [sub, ...rest] = argv
    if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
      process.stdout.write(HELP + '\n')
      return sub ? 0 : 2
    }
    if (sub !== 'sign' && sub !== 'verify') throw new UsageError(`unknown webhook subcommand "${sub}" (expected sign or verify)\nRun "runbook-kit webhook --help" for the options.`)
    const values = parse(rest)
    if (values.help) {
      process.stdout.write(HELP + '\n')
      return 0
    }
    const scheme = values.scheme ?? 'hmac-sha256-hex'
    if (!isWebhookScheme(scheme)) throw new UsageError(`--scheme must be one of ${WEBHOOK_SCHEMES.join(', ')}, got "${scheme}"`)
    return sub === 'sign' ? await runSign(scheme, values) : await runVerify(scheme, values)
  },
}

type Values = ReturnType<typeof parse>

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        scheme: { type: 'string' },
        'secret-env': { type: 'string', multiple: true },
        payload: { type: 'string' },
        header: { type: 'string' },
        prefix: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        url: { type: 'string' },
        'content-type': { type: 'string' },
        timestamp: { type: 'string' },
        id: { type: 'string' },
        headers: { type: 'string' },
        tolerance: { type: 'string' },
        now: { type: 'string' },
      },
    }).values
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nRun "runbook-kit webhook --help" for the options.`)
  }
}

interface NamedSecret {
  /** The environment variable: what output names. */
  name: string
  value: string
}

/** The secrets from the named variables (each once, in order), registered for redaction before anything is printed. */
function readSecrets(values: Values): NamedSecret[] {
  const names = [...new Set(values['secret-env'] ?? [DEFAULT_SECRET_ENV])]
  return names.map((name) => {
    const value = process.env[name]
    if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is not set (--secret-env ${name})`)
    redactor.add(value)
    return { name, value }
  })
}

async function readPayload(value: string): Promise<Buffer> {
  if (value === '-') {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    return Buffer.concat(chunks)
  }
  try {
    return readFileSync(value)
  } catch (err) {
    throw new UsageError(`cannot read --payload ${value}: ${(err as Error).message}`)
  }
}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`)
  return Number(value)
}

function out(line: string): void {
  process.stdout.write(redactor.redact(line) + '\n')
}

/** POSIX shell single-quoting. */
function sq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}

function signingOptions(values: Values): { header?: string; prefix?: string } {
  const o: { header?: string; prefix?: string } = {}
  if (values.header !== undefined) o.header = values.header
  if (values.prefix !== undefined) o.prefix = values.prefix
  return o
}

async function runSign(scheme: WebhookScheme, values: Values): Promise<number> {
  for (const k of ['headers', 'tolerance', 'now'] as const) if (values[k] !== undefined) throw new UsageError(`--${k} is a verify option`)
  const secrets = readSecrets(values)
  const refusal = secrets.length > 1 ? multiSignatureRefusal(scheme, signingOptions(values)) : undefined
  if (refusal) throw new UsageError(`${secrets.length} --secret-env given: ${refusal}`)
  let body: Buffer
  let file: string
  let saved = false
  if (values.payload !== undefined && values.payload !== '-') {
    body = await readPayload(values.payload)
    file = values.payload
  } else {
    body = values.payload === '-' ? await readPayload('-') : Buffer.from(DEFAULT_WEBHOOK_PAYLOAD)
    // curl must send these exact bytes: keep them in a file rather than re-quoting them on a command line.
    file = join(mkdtempSync(join(tmpdir(), 'runbook-kit-webhook-')), 'payload.json')
    writeFileSync(file, body)
    saved = true
  }
  let headers: Record<string, string>
  try {
    const opts: Parameters<typeof sign>[3] = signingOptions(values)
    const ts = integer('timestamp', values.timestamp)
    if (ts !== undefined) opts.timestamp = ts
    if (values.id !== undefined) opts.id = values.id
    headers = sign(scheme, secrets.map((x) => x.value), body, opts)
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new UsageError(err.message)
    throw err
  }
  const url = values.url ?? DEFAULT_URL
  const contentType = values['content-type'] ?? 'application/json'
  const curl = [
    'curl -sS -i -X POST',
    values.url === undefined ? `"${url}"` : sq(url),
    `-H ${sq(`Content-Type: ${contentType}`)}`,
    ...Object.entries(headers).map(([k, v]) => `-H ${sq(`${k}: ${v}`)}`),
    `--data-binary @${sq(resolve(file))}`,
  ].join(' ')
  const sha = createHash('sha256').update(body).digest('hex')
  if (values.json) {
    out(JSON.stringify({ scheme, headers, secretEnv: secrets.map((x) => x.name), payload: { file: resolve(file), bytes: body.length, sha256: sha }, curl }, null, 2))
    return 0
  }
  for (const [k, v] of Object.entries(headers)) out(`${k}: ${v}`)
  out('')
  const signedWith = secrets.length > 1 ? `, ${secrets.length} signatures (${secrets.map((x) => x.name).join(', ')}, in this order)` : ''
  out(`# ${scheme}${signedWith}, payload ${body.length} bytes, sha256 ${sha}${saved ? `, saved to ${resolve(file)}` : ''}`)
  out(curl)
  return 0
}

/** `Name: value` lines; a request line (`POST /x HTTP/1.1`), blank lines and `#` comments are skipped. */
export function parseHeaderLines(text: string): Record<string, string> {
  const headers: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim() === '' || line.startsWith('#') || /^[A-Z]+ \S+ HTTP\/\d(\.\d)?$/.test(line) || /^HTTP\/\d/.test(line)) continue
    const colon = line.indexOf(':')
    if (colon <= 0) throw new UsageError(`--headers line ${i + 1} is not "Name: value"`)
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  return headers
}

async function runVerify(scheme: WebhookScheme, values: Values): Promise<number> {
  for (const k of ['url', 'content-type', 'timestamp', 'id'] as const) if (values[k] !== undefined) throw new UsageError(`--${k} is a sign option`)
  if (values.headers === undefined) throw new UsageError('verify needs --headers FILE (the captured request headers)')
  if (values.payload === undefined) throw new UsageError('verify needs --payload FILE (the captured raw body)')
  if (values.headers === '-' && values.payload === '-') throw new UsageError('--headers and --payload cannot both be stdin')
  const secrets = readSecrets(values)
  let headerText: string
  try {
    headerText = values.headers === '-' ? (await readPayload('-')).toString('utf8') : readFileSync(values.headers, 'utf8')
  } catch (err) {
    if (err instanceof UsageError) throw err
    throw new UsageError(`cannot read --headers ${values.headers}: ${(err as Error).message}`)
  }
  const headers = parseHeaderLines(headerText)
  const body = await readPayload(values.payload)
  const tolerance = values.tolerance === undefined ? undefined : Number(values.tolerance)
  if (tolerance !== undefined && !(Number.isFinite(tolerance) && tolerance >= 0)) throw new UsageError(`--tolerance must be a non-negative number of seconds, got "${values.tolerance}"`)
  const nowS = integer('now', values.now)
  let result
  try {
    result = verify(scheme, secrets.map((x) => x.value), body, headers, {
      ...signingOptions(values),
      ...(tolerance !== undefined ? { tolerance } : {}),
      ...(nowS !== undefined ? { now: nowS * 1000 } : {}),
    })
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new UsageError(err.message)
    throw err
  }
  const sha = createHash('sha256').update(body).digest('hex')
  const secretName = (i: number | undefined) => (i === undefined ? undefined : secrets[i]?.name)
  if (values.json) {
    const { secretIndex, ...rest } = result
    const named = secretName(secretIndex)
    out(JSON.stringify({ ...rest, ...(named !== undefined ? { secretEnv: named } : {}), payload: { bytes: body.length, sha256: sha } }, null, 2))
    return result.ok ? 0 : 1
  }
  const info = schemeInfo(scheme, signingOptions(values))
  const withSecret = (i: number | undefined) => (secrets.length > 1 && i !== undefined ? ` with the secret in ${secretName(i)}` : '')
  if (result.ok) {
    const which = result.signatures > 1 ? ` (signature ${result.matched + 1} of ${result.signatures})` : ''
    const ts = result.timestamp !== undefined ? `, timestamp ${new Date(result.timestamp * 1000).toISOString()}` : ''
    out(`VALID: ${result.header} matches the ${body.length}-byte payload${withSecret(result.secretIndex)}${which}${ts} (${scheme})`)
    return 0
  }
  out(`INVALID (${result.reason}): ${result.message} (${scheme}, signature header ${info.signatureHeader})`)
  if (result.signatureMatches !== undefined) {
    out(
      result.signatureMatches
        ? `  signature: matches the payload${withSecret(result.secretIndex)}; only the time check fails`
        : `  signature: does not match the payload either (with ${secrets.length > 1 ? `any of ${secrets.map((x) => x.name).join(', ')}` : secrets[0]!.name})`,
    )
    if (result.timestamp !== undefined) {
      out(`  to verify this capture anyway: --now ${result.timestamp} (judge it as of its signed time) or --tolerance 0 (no time check)`)
    }
  }
  if (result.hint) out(`  hint: ${result.hint}${result.suggestedScheme ? `: try --scheme ${result.suggestedScheme}` : ''}`)
  out(`  payload: ${body.length} bytes, sha256 ${sha}`)
  return 1
}
