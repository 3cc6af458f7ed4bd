/**
 * A minimal DER reader: just enough ASN.1 to read the parts of an X.509 certificate that
 * node:crypto does not expose (extensions with their critical flags, key identifiers, key usage
 * bits, path length, the signature algorithm). Strict where it matters: lengths must fit, and
 * anything malformed throws a `DerError`, which the certificate parser turns into "invalid".
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DerError'
  }
}

/** Tag classes. */
export const UNIVERSAL = 0
export const CONTEXT = 2

/** Universal tag numbers used by certificates. */
export const TAG = Object.freeze({
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE_STRING: 19,
  T61_STRING: 20,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  VISIBLE_STRING: 26,
  UNIVERSAL_STRING: 28,
  BMP_STRING: 30,
})

/** One TLV element. `bytes` is the whole element (header included), `value` its contents. */
export interface DerNode {
  cls: number
  constructed: boolean
  tag: number
  bytes: Buffer
  value: Buffer
}

/** Reads the element starting at `offset`. */
export function readNode(buf: Buffer, offset = 0): DerNode {
  let p = offset
  if (p >= buf.length) throw new DerError('truncated: no tag')
  const first = buf[p++]!
  const cls = first >> 6
  const constructed = (first & 0x20) !== 0
  let tag = first & 0x1f
  if (tag === 0x1f) {
    tag = 0
    for (;;) {
      if (p >= buf.length) throw new DerError('truncated tag')
      const b = buf[p++]!
      tag = tag * 128 + (b & 0x7f)
      if ((b & 0x80) === 0) break
    }
  }
  if (p >= buf.length) throw new DerError('truncated: no length')
  let length = buf[p++]!
  if (length & 0x80) {
    const n = length & 0x7f
    if (n === 0 || n > 4) throw new DerError('unsupported length encoding')
    length = 0
    for (let i = 0; i < n; i++) {
      if (p >= buf.length) throw new DerError('truncated length')
      length = length * 256 + buf[p++]!
    }
  }
  if (p + length > buf.length) throw new DerError('element longer than its container')
  return { cls, constructed, tag, bytes: buf.subarray(offset, p + length), value: buf.subarray(p, p + length) }
}

/** The elements inside a constructed element, in order. */
export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = []
  let p = 0
  while (p < node.value.length) {
    const child = readNode(node.value, p)
    out.push(child)
    p += child.bytes.length
  }
  return out
}

/** Asserts a universal tag (and returns the node for chaining). */
export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node || node.cls !== UNIVERSAL || node.tag !== tag) throw new DerError(`${what}: unexpected element`)
  return node
}

export function isContext(node: DerNode | undefined, tag: number): boolean {
  return node !== undefined && node.cls === CONTEXT && node.tag === tag
}

/** Dotted OBJECT IDENTIFIER text. */
export function oidText(node: DerNode): string {
  const v = node.value
  if (v.length === 0) throw new DerError('empty OID')
  const parts: number[] = []
  let n = 0
  for (let i = 0; i < v.length; i++) {
    n = n * 128 + (v[i]! & 0x7f)
    if ((v[i]! & 0x80) === 0) {
      if (parts.length === 0) {
        const first = n < 80 ? Math.floor(n / 40) : 2
        parts.push(first, n - first * 40)
      } else {
        parts.push(n)
      }
      n = 0
    }
  }
  return parts.join('.')
}

/** INTEGER contents as lower-case hex, without redundant leading zero bytes; negative numbers keep their sign byte. */
export function integerHex(node: DerNode): string {
  let v = node.value
  while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1)
  return v.toString('hex')
}

/** Whether an INTEGER is negative (two's complement sign bit). */
export function integerIsNegative(node: DerNode): boolean {
  return node.value.length > 0 && (node.value[0]! & 0x80) !== 0
}

/** Small non-negative INTEGER as a number (path lengths); Infinity when it does not fit. */
export function integerValue(node: DerNode): number {
  let n = 0
  for (const b of node.value) n = n * 256 + b
  return Number.isSafeInteger(n) ? n : Infinity
}

export function booleanValue(node: DerNode): boolean {
  return node.value.length > 0 && node.value[0] !== 0
}

/** UTCTime / GeneralizedTime in the RFC 5280 forms (`YYMMDDHHMMSSZ`, `YYYYMMDDHHMMSSZ`). */
export function timeValue(node: DerNode): Date {
  const s = node.value.toString('latin1')
  const m = node.tag === TAG.UTC_TIME ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s)
  if (!m) throw new DerError(`unsupported time ${JSON.stringify(s)}`)
  let year = Number(m[1])
  if (node.tag === TAG.UTC_TIME) year += year < 50 ? 2000 : 1900
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
}

/** A string-like element as text (UTF-8 for UTF8String, UCS-2/4 for BMP/Universal, Latin-1 otherwise). */
export function stringValue(node: DerNode): string {
  switch (node.tag) {
    case TAG.UTF8_STRING:
      return node.value.toString('utf8')
    case TAG.BMP_STRING: {
      let out = ''
      for (let i = 0; i + 1 < node.value.length; i += 2) out += String.fromCharCode(node.value.readUInt16BE(i))
      return out
    }
    case TAG.UNIVERSAL_STRING: {
      let out = ''
      for (let i = 0; i + 3 < node.value.length; i += 4) out += String.fromCodePoint(node.value.readUInt32BE(i))
      return out
    }
    default:
      return node.value.toString('latin1')
  }
}

/** String types whose names OpenSSL compares case- and space-insensitively. */
export const STRING_TAGS: ReadonlySet<number> = new Set([
  TAG.UTF8_STRING,
  TAG.PRINTABLE_STRING,
  TAG.T61_STRING,
  TAG.IA5_STRING,
  TAG.VISIBLE_STRING,
  TAG.UNIVERSAL_STRING,
  TAG.BMP_STRING,
])
