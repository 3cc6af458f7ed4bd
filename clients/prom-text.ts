/**
 * A small parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, enough
 * to judge a `/metrics` endpoint: families with their type and help, samples with labels, values
 * (NaN and ±Inf included) and timestamps, histogram consistency. Pure; returns problems as data
 * with 1-based line numbers.
 *
 * Sources: prometheus/docs content/docs/instrumenting/exposition_formats.md (0.0.4) and
 * OpenObservability/OpenMetrics specification/OpenMetrics.md (1.0). Not supported: UTF-8 quoted
 * metric names (Prometheus 3 `escaping=allow-utf-8`), the protobuf format, native histograms.
 */

export type ExpositionFormat = 'prometheus' | 'openmetrics'

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'gaugehistogram'
  | 'stateset'
  | 'info'
  | 'unknown'

export interface Sample {
  /** Sample name as written, e.g. `http_requests_total`, `latency_bucket`. */
  name: string
  labels: Record<string, string>
  /** May be NaN or ±Infinity. */
  value: number
  /** Milliseconds since the epoch, when the line has a timestamp (OpenMetrics seconds are converted). */
  timestampMs?: number
  /** 1-based line number. */
  line: number
}

export interface MetricFamily {
  /** Family name: from `# TYPE`/`# HELP`, or the sample name for samples without metadata. */
  name: string
  type: MetricType
  help?: string
  unit?: string
  samples: Sample[]
}

export interface Exposition {
  format: ExpositionFormat
  families: MetricFamily[]
  sampleCount: number
}

export interface ParseProblem {
  /** 1-based line number; 0 for the document as a whole. */
  line: number
  message: string
}

export type ParseResult = { ok: true; exposition: Exposition } | { ok: false; format: ExpositionFormat; problem: ParseProblem }

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/
const TYPES_PROM = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const TYPES_OM = new Set<MetricType>(['counter', 'gauge', 'histogram', 'gaugehistogram', 'stateset', 'info', 'summary', 'unknown'])

/** Sample-name suffixes each type allows after the family name. */
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: ['', '_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['', '_count', '_sum', '_created'],
  stateset: [''],
  info: ['_info'],
  untyped: [''],
  unknown: [''],
}

/**
 * Picks the format from a Content-Type header: `application/openmetrics-text` → openmetrics;
 * `text/plain` or none → prometheus; anything else → undefined (not a text exposition).
 */
export function formatFromContentType(contentType: string | undefined): ExpositionFormat | undefined {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (media === 'application/openmetrics-text') return 'openmetrics'
  if (media === '' || media === 'text/plain') return 'prometheus'
  return undefined
}

/** Parses an exposition. The first problem ends parsing: OpenMetrics says a partly invalid exposition is wholly invalid. */
export function parseExposition(text: string, format: ExpositionFormat): ParseResult {
  const om = format === 'openmetrics'
  const families = new Map<string, MetricFamily>()
  const order: MetricFamily[] = []
  // OpenMetrics forbids interleaving: once another family starts, an earlier one is closed.
  const closed = new Set<MetricFamily>()
  let current: MetricFamily | undefined
  const typeSeen = new Set<MetricFamily>()
  let sampleCount = 0
  const bad = (line: number, message: string): ParseResult => ({ ok: false, format, problem: { line, message } })

  if (om && text.includes('\r')) {
    const line = text.slice(0, text.indexOf('\r')).split('\n').length
    return bad(line, 'carriage return: OpenMetrics lines end with \\n only')
  }
  const lines = text.split('\n')
  // A final newline leaves one empty string at the end; it is not a line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  let sawEof = false

  const enter = (fam: MetricFamily): string | undefined => {
    if (current === fam) return undefined
    if (om && closed.has(fam)) return `samples of "${fam.name}" are interleaved with other families`
    if (current) closed.add(current)
    current = fam
    return undefined
  }
  const declare = (name: string): MetricFamily | string => {
    let fam = families.get(name)
    if (!fam) {
      fam = { name, type: om ? 'unknown' : 'untyped', samples: [] }
      families.set(name, fam)
      order.push(fam)
    } else if (fam.samples.length > 0 && current !== fam) {
      return `metadata for "${name}" after its samples`
    }
    return enter(fam) ?? fam
  }

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    let line = lines[i]!
    if (!om && line.endsWith('\r')) line = line.slice(0, -1)
    if (sawEof) return bad(lineNo, 'content after "# EOF"')
    if (om && line === '') return bad(lineNo, 'empty line (not allowed in OpenMetrics)')
    if (!om && line.trim() === '') continue

    if (line.startsWith('#')) {
      if (om && line === '# EOF') {
        sawEof = true
        continue
      }
      const m = /^#[ \t]+(HELP|TYPE|UNIT)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line)
      if (!m || (!om && m[1] === 'UNIT')) {
        if (om) return bad(lineNo, 'OpenMetrics allows only "# TYPE", "# HELP", "# UNIT" and "# EOF" comment lines')
        continue // 0.0.4: any other comment is ignored
      }
      const [, keyword, name, rest = ''] = m
      if (!METRIC_NAME.test(name!) || METRIC_NAME.exec(name!)![0] !== name) return bad(lineNo, `invalid metric name "${name}"`)
      const fam = declare(name!)
      if (typeof fam === 'string') return bad(lineNo, fam)
      if (keyword === 'TYPE') {
        const t = rest.trim() as MetricType
        if (!(om ? TYPES_OM : TYPES_PROM).has(t)) return bad(lineNo, `unknown metric type "${rest.trim()}"`)
        if (fam.samples.length > 0) return bad(lineNo, `TYPE for "${name}" after its samples`)
        if (typeSeen.has(fam)) return bad(lineNo, `second TYPE line for "${name}"`)
        typeSeen.add(fam)
        fam.type = t
      } else if (keyword === 'HELP') {
        if (fam.help !== undefined) return bad(lineNo, `second HELP line for "${name}"`)
        const help = unescapeHelp(rest, om)
        if (help === undefined) return bad(lineNo, 'invalid escape in HELP text')
        fam.help = help
      } else {
        fam.unit = rest.trim()
      }
      continue
    }

    const parsed = parseSampleLine(line, om)
    if (typeof parsed === 'string') return bad(lineNo, parsed)
    const sample: Sample = { ...parsed, line: lineNo }
    const fam = familyFor(sample.name, families, current, om)
    let target: MetricFamily
    if (fam) target = fam
    else {
      // No metadata: the sample is its own untyped (0.0.4) / unknown (OpenMetrics) family.
      target = { name: sample.name, type: om ? 'unknown' : 'untyped', samples: [] }
      families.set(sample.name, target)
      order.push(target)
    }
    const err = enter(target)
    if (err) return bad(lineNo, err)
    if (om && target.type === 'counter' && sample.name === target.name) {
      return bad(lineNo, `counter sample "${sample.name}" must end in _total`)
    }
    target.samples.push(sample)
    sampleCount++
  }

  if (om && !sawEof) return bad(lines.length, 'missing "# EOF" at the end of an OpenMetrics exposition')
  for (const fam of order) {
    const problem = checkFamily(fam)
    if (problem) return bad(problem.line, problem.message)
  }
  return { ok: true, exposition: { format, families: order, sampleCount } }
}

function familyFor(sampleName: string, families: Map<string, MetricFamily>, current: MetricFamily | undefined, om: boolean): MetricFamily | undefined {
  const fits = (fam: MetricFamily) => SUFFIXES[fam.type].some((s) => fam.name + s === sampleName)
  // The family being written wins (e.g. a gauge "x" and a counter family "x_total" elsewhere).
  if (current && fits(current)) return current
  const exact = families.get(sampleName)
  if (exact && fits(exact)) return exact
  for (const suffix of ['_total', '_created', '_bucket', '_count', '_sum', '_gcount', '_gsum', '_info']) {
    if (!sampleName.endsWith(suffix)) continue
    const fam = families.get(sampleName.slice(0, -suffix.length))
    if (fam && fits(fam)) return fam
  }
  // 0.0.4: a sample whose name equals an untyped/other family without matching suffix still joins it.
  if (!om && exact) return exact
  return undefined
}

/** Histogram buckets must include le="+Inf", be cumulative, and +Inf must equal _count. */
function checkFamily(fam: MetricFamily): ParseProblem | undefined {
  if (fam.type !== 'histogram' && fam.type !== 'gaugehistogram') {
    if (fam.type === 'summary') {
      for (const s of fam.samples) {
        if (s.name === fam.name && s.labels.quantile === undefined) return { line: s.line, message: `summary sample "${s.name}" has no quantile label` }
      }
    }
    return undefined
  }
  const countSuffix = fam.type === 'histogram' ? '_count' : '_gcount'
  const groups = new Map<string, { buckets: Sample[]; count?: Sample }>()
  for (const s of fam.samples) {
    const { le, ...rest } = s.labels
    const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)))
    const g = groups.get(key) ?? { buckets: [] }
    groups.set(key, g)
    if (s.name === fam.name + '_bucket') {
      if (le === undefined) return { line: s.line, message: `histogram bucket "${s.name}" has no le label` }
      if (Number.isNaN(parseFloatStrict(le))) return { line: s.line, message: `histogram bucket le="${le}" is not a number` }
      g.buckets.push(s)
    } else if (s.name === fam.name + countSuffix) g.count = s
  }
  for (const g of groups.values()) {
    if (g.buckets.length === 0) continue
    const inf = g.buckets.find((b) => parseFloatStrict(b.labels.le!) === Infinity)
    if (!inf) return { line: g.buckets[0]!.line, message: `histogram "${fam.name}" has no le="+Inf" bucket` }
    const sorted = [...g.buckets].sort((a, b) => parseFloatStrict(a.labels.le!) - parseFloatStrict(b.labels.le!))
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.value < sorted[i - 1]!.value) return { line: sorted[i]!.line, message: `histogram "${fam.name}" buckets are not cumulative (le="${sorted[i]!.labels.le}")` }
    }
    if (g.count && g.count.value !== inf.value && !(Number.isNaN(g.count.value) && Number.isNaN(inf.value))) {
      return { line: g.count.line, message: `histogram "${fam.name}" ${countSuffix} (${g.count.value}) differs from its le="+Inf" bucket (${inf.value})` }
    }
  }
  return undefined
}

/** `name{labels} value [timestamp]` (+ OpenMetrics exemplar, ignored). Returns an error message on failure. */
function parseSampleLine(line: string, om: boolean): Omit<Sample, 'line'> | string {
  const nm = METRIC_NAME.exec(line)
  if (!nm) return `expected a metric name, a comment or an empty line, got "${truncate(line)}"`
  const name = nm[0]
  let pos = name.length
  const labels: Record<string, string> = {}
  if (line[pos] === '{') {
    pos++
    for (;;) {
      while (!om && (line[pos] === ' ' || line[pos] === '\t')) pos++
      if (line[pos] === '}') {
        pos++
        break
      }
      const ln = LABEL_NAME.exec(line.slice(pos))
      if (!ln) return `expected a label name at column ${pos + 1}`
      const labelName = ln[0]
      pos += labelName.length
      while (!om && (line[pos] === ' ' || line[pos] === '\t')) pos++
      if (line[pos] !== '=') return `expected "=" after label "${labelName}"`
      pos++
      while (!om && (line[pos] === ' ' || line[pos] === '\t')) pos++
      if (line[pos] !== '"') return `expected a quoted value for label "${labelName}"`
      pos++
      let value = ''
      for (;;) {
        const c = line[pos]
        if (c === undefined) return `unterminated value for label "${labelName}"`
        pos++
        if (c === '"') break
        if (c === '\\') {
          const e = line[pos]
          pos++
          if (e === 'n') value += '\n'
          else if (e === '\\' || e === '"') value += e
          else return `invalid escape "\\${e ?? ''}" in value of label "${labelName}"`
        } else value += c
      }
      if (Object.hasOwn(labels, labelName)) return `duplicate label "${labelName}"`
      labels[labelName] = value
      while (!om && (line[pos] === ' ' || line[pos] === '\t')) pos++
      if (line[pos] === ',') {
        pos++
        continue
      }
      if (line[pos] === '}') {
        pos++
        break
      }
      return `expected "," or "}" after the value of label "${labelName}"`
    }
  }
  let rest = line.slice(pos)
  if (om) {
    const ex = rest.indexOf(' # ')
    if (ex >= 0) rest = rest.slice(0, ex) // exemplar
    if (!rest.startsWith(' ')) return `expected one space before the value of "${name}"`
    rest = rest.slice(1)
  } else {
    if (!/^[ \t]/.test(rest)) return `expected whitespace before the value of "${name}"`
    rest = rest.trim()
  }
  const fields = om ? rest.split(' ') : rest.split(/[ \t]+/)
  if (fields.length < 1 || fields.length > 2 || fields[0] === '') return `expected "value [timestamp]" after "${name}", got "${truncate(rest)}"`
  const value = parseFloatStrict(fields[0]!)
  if (Number.isNaN(value) && !/^[+-]?nan$/i.test(fields[0]!)) return `invalid sample value "${fields[0]}"`
  const sample: Omit<Sample, 'line'> = { name, labels, value }
  if (fields.length === 2) {
    const ts = fields[1]!
    if (om) {
      const s = parseFloatStrict(ts)
      if (!Number.isFinite(s)) return `invalid timestamp "${ts}" (OpenMetrics: seconds)`
      sample.timestampMs = s * 1000
    } else {
      if (!/^-?\d+$/.test(ts)) return `invalid timestamp "${ts}" (expected integer milliseconds)`
      sample.timestampMs = Number(ts)
    }
  }
  return sample
}

/** Go `strconv.ParseFloat`-like: decimal floats, NaN, ±Inf (case-insensitive). NaN for anything else. */
export function parseFloatStrict(s: string): number {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity
  if (/^[+-]?nan$/i.test(s)) return NaN
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s)
  return NaN
}

function unescapeHelp(text: string, om: boolean): string | undefined {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c !== '\\') {
      out += c
      continue
    }
    const e = text[++i]
    if (e === 'n') out += '\n'
    else if (e === '\\') out += '\\'
    else if (e === '"' && om) out += '"'
    else if (om) return undefined
    else out += '\\' + (e ?? '') // 0.0.4: other backslashes are literal
  }
  return out
}

function truncate(s: string, n = 60): string {
  return s.length > n ? s.slice(0, n) + '…' : s
}
