/**
 * A tiny Prometheus text exposition (format 0.0.4) writer and the demo application's metrics.
 * Rendering is a pure function over metric families; the app keeps counters and a histogram.
 */

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface Sample {
  /** Full sample name, e.g. `http_request_duration_seconds_bucket`. */
  name: string
  labels: Readonly<Record<string, string>>
  value: number
}

export interface MetricFamily {
  name: string
  help: string
  type: MetricType
  samples: readonly Sample[]
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** HELP text escapes backslash and line feed (not quotes). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** Go-style float text: `+Inf`, `-Inf`, `NaN`, otherwise the shortest round-trip decimal. */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  return String(n)
}

function formatSample(s: Sample): string {
  const labels = Object.entries(s.labels)
  const labelText = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`
  return `${s.name}${labelText} ${formatValue(s.value)}`
}

/** Renders families as exposition text: `# HELP`, `# TYPE`, then the samples; ends with a line feed. */
export function writeExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = []
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`)
    for (const s of f.samples) lines.push(formatSample(s))
  }
  return lines.join('\n') + '\n'
}

/** The Prometheus client libraries' default latency buckets, in seconds. */
export const DURATION_BUCKETS = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])

interface HistogramSeries {
  labels: Record<string, string>
  /** Non-cumulative counts per bucket; the +Inf bucket is `count`. */
  buckets: number[]
  sum: number
  count: number
}

export interface AppMetrics {
  /** Records one served HTTP request. `path` must be a bounded route label, not the raw URL. */
  observeRequest(method: string, path: string, code: number, seconds: number): void
  webhookDelivery(result: 'accepted' | 'rejected'): void
  /** The exposition text of everything recorded so far. */
  render(): string
}

/** Metrics of the demo application: request counter, latency histogram, webhook deliveries, start time. */
export function createAppMetrics(startTime = Date.now(), knownSeries: readonly { method: string; path: string; code: number }[] = []): AppMetrics {
  const requests = new Map<string, { labels: Record<string, string>; value: number }>()
  // Known label sets start at 0 (as Prometheus client libraries recommend), so the counter exists and
  // rate() works from the first scrape, before any request was served.
  for (const { method, path, code } of knownSeries) {
    const labels = { method, path, code: String(code) }
    requests.set(JSON.stringify(labels), { labels, value: 0 })
  }
  const durations = new Map<string, HistogramSeries>()
  const webhooks = { accepted: 0, rejected: 0 }

  return {
    observeRequest(method, path, code, seconds) {
      const labels = { method, path, code: String(code) }
      const key = JSON.stringify(labels)
      const counter = requests.get(key) ?? { labels, value: 0 }
      counter.value += 1
      requests.set(key, counter)

      const hLabels = { method, path }
      const hKey = JSON.stringify(hLabels)
      let series = durations.get(hKey)
      if (!series) {
        series = { labels: hLabels, buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }
        durations.set(hKey, series)
      }
      const i = DURATION_BUCKETS.findIndex((le) => seconds <= le)
      if (i >= 0) series.buckets[i] = (series.buckets[i] ?? 0) + 1
      series.sum += seconds
      series.count += 1
    },
    webhookDelivery(result) {
      webhooks[result] += 1
    },
    render() {
      const histogramSamples: Sample[] = []
      for (const s of durations.values()) {
        let cumulative = 0
        DURATION_BUCKETS.forEach((le, i) => {
          cumulative += s.buckets[i] ?? 0
          histogramSamples.push({ name: 'http_request_duration_seconds_bucket', labels: { ...s.labels, le: formatValue(le) }, value: cumulative })
        })
        histogramSamples.push(
          { name: 'http_request_duration_seconds_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count },
          { name: 'http_request_duration_seconds_sum', labels: s.labels, value: s.sum },
          { name: 'http_request_duration_seconds_count', labels: s.labels, value: s.count },
        )
      }
      return writeExposition([
        {
          name: 'http_requests_total',
          help: 'HTTP requests served, by method, route and status code.',
          type: 'counter',
          samples: [...requests.values()].map((c) => ({ name: 'http_requests_total', labels: c.labels, value: c.value })),
        },
        {
          name: 'http_request_duration_seconds',
          help: 'Time from receiving a request to finishing its response, by method and route.',
          type: 'histogram',
          samples: histogramSamples,
        },
        {
          name: 'webhook_deliveries_total',
          help: 'Webhook deliveries to /webhook/servicedesk, by result.',
          type: 'counter',
          samples: (['accepted', 'rejected'] as const).map((r) => ({ name: 'webhook_deliveries_total', labels: { result: r }, value: webhooks[r] })),
        },
        {
          name: 'process_start_time_seconds',
          help: 'Start time of the process since unix epoch in seconds.',
          type: 'gauge',
          samples: [{ name: 'process_start_time_seconds', labels: {}, value: Math.floor(startTime / 1000) }],
        },
      ])
    },
  }
}
