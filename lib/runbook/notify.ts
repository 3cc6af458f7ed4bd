import { errorMessage } from '../errors.ts'
import type { Redactor } from '../redact.ts'

/**
 * Slack-compatible incoming-webhook notifications (`{"text": ...}` POSTed as JSON; Mattermost and
 * Rocket.Chat accept the same). A failed notification is a warning for the caller, never an error.
 * Node's own fetch does the POST: the engine (lib/) does not import the protocol clients (clients/).
 */

export type NotifyEvent = 'start' | 'success' | 'failure' | 'rollback' | 'interrupted'

export interface NotifyOptions {
  /** Incoming webhook URL (a secret: it is registered for redaction by the caller). */
  url: string
  /** ms for the whole POST (connect, send, response headers). Default 10000. */
  timeout?: number
  signal?: AbortSignal
  redactor: Redactor
}

export const NOTIFY_DEFAULTS = Object.freeze({ timeout: 10_000 })

const ICON: Record<NotifyEvent, string> = { start: ':rocket:', success: ':white_check_mark:', failure: ':x:', rollback: ':leftwards_arrow_with_hook:', interrupted: ':warning:' }

/** The message body for an event (pure). */
export function notificationBody(event: NotifyEvent, text: string): { text: string } {
  return { text: `${ICON[event]} ${text}` }
}

/** Posts; resolves to undefined on success or to a warning line (redacted) on any failure. */
export async function notify(event: NotifyEvent, text: string, opts: NotifyOptions): Promise<string | undefined> {
  const timeout = opts.timeout ?? NOTIFY_DEFAULTS.timeout
  const signal = AbortSignal.any([AbortSignal.timeout(timeout), ...(opts.signal ? [opts.signal] : [])])
  try {
    const res = await fetch(opts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notificationBody(event, opts.redactor.redact(text))),
      // A redirect would re-send the message elsewhere: a webhook that redirects did not accept it.
      redirect: 'manual',
      signal,
    })
    await res.body?.cancel().catch(() => undefined)
    if (res.status >= 200 && res.status < 300) return undefined
    return `notification (${event}) not accepted: HTTP ${res.status}`
  } catch (err) {
    const why = (err as Error)?.name === 'TimeoutError' ? `no answer within ${timeout} ms` : errorMessage((err as { cause?: unknown })?.cause ?? err)
    return opts.redactor.redact(`notification (${event}) failed: ${why}`)
  }
}
