import { createHash } from 'node:crypto'

/**
 * Text helpers shared by the report renderers: cleaning strings for XML and Markdown, and the
 * number and time formats the report files use.
 */

// The pattern of chalk's ansi-regex (v6): CSI sequences with their parameters, and OSC strings (hyperlinks,
// titles) ended by BEL or ST. Anything left over (a lone ESC) is a control character and goes with them below.
const ANSI = new RegExp(
  [
    '[\\u001B\\u009B][[\\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\\d\\/#&.:=?%@~_]+)*|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/#&.:=?%@~_]*)*)?(?:\\u0007|\\u001B\\u005C|\\u009C))',
    '(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PR-TZcf-nq-uy=><~]))',
  ].join('|'),
  'g',
)

// Everything XML 1.0 forbids (C0 controls except tab/LF/CR, U+FFFE/U+FFFF, lone surrogates), plus DEL and C1 controls,
// which are legal XML but only ever appear in reports as terminal garbage.
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/** Removes ANSI escape sequences (colours, cursor movement, hyperlinks). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '')
}

/** Removes ANSI codes and every character XML 1.0 cannot carry; keeps tab, LF and CR. */
export function cleanText(text: string): string {
  return stripAnsi(text).replace(INVALID_XML, '')
}

/** `cleanText`, then line breaks and tabs become single spaces: for attribute values and table cells. */
export function oneLine(text: string): string {
  return cleanText(text).replace(/\r\n|[\r\n\t]/g, ' ')
}

/** Milliseconds → seconds as a plain decimal with 3 places (`1.234`), never an exponent; bad input → `0.000`. */
export function seconds(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0.000'
  return (Math.round(ms) / 1000).toFixed(3)
}

/** ISO-8601 without zone and fraction (`2026-11-21T23:30:00`), in UTC; undefined for an unparsable input. */
export function isoNoZone(iso: string): string | undefined {
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return undefined
  return new Date(t).toISOString().slice(0, 19)
}

/** Human duration for Markdown: `850 ms`, `12.35 s`, `3 min 5.0 s`, `1 h 2 min`. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000)
    return `${m} min ${((ms - m * 60_000) / 1000).toFixed(1)} s`
  }
  const h = Math.floor(ms / 3_600_000)
  return `${h} h ${Math.round((ms - h * 3_600_000) / 60_000)} min`
}

/** Hex SHA-256 of a string's UTF-8 bytes (or of raw bytes). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** A value as one line of text: strings as they are, everything else as compact JSON. */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === undefined) return 'undefined'
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Cuts `text` to at most `max` characters, saying so. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  return `${text.slice(0, max)}… (${text.length - max} more characters in report.json)`
}
