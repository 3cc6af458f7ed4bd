import { errorMessage } from './errors.ts'
import { httpRequest } from '../clients/http.ts'
import type { Redactor } from './redact.ts'

/**
 * Slack-compatible incoming-webhook notifications (`{"text": ...}` POSTed as JSON; Mattermost and
 * Rocket.Chat accept the same). A failed notification is a warning for the caller, never an error.
 */

export type NotifyEvent = 'start' | 'success' | 'failure' | 'rollback' | 'interrupted'

export interface NotifyOptions {
  /** Incoming webhook URL (a secret: it is registered for redaction by the caller). */
  url: string
  /** ms to connect. Default 5000. */
  connectTimeout?: number
  /** ms until the response headers. Default 5000. */
  headersTimeout?: number
  signal?: AbortSignal
  redactor: Redactor
}

const ICON: Record<NotifyEvent, string> = { start: ':rocket:', success: ':white_check_mark:', failure: ':x:', rollback: ':leftwards_arrow_with_hook:', interrupted: ':warning:' }

/** The message body for an event (pure). */
export function notificationBody(event: NotifyEvent, text: string): { text: string } {
  return { text: `${ICON[event]} ${text}` }
}

/** Posts; resolves to undefined on success or to a warning line (redacted) on any failure. */
export async function notify(event: NotifyEvent, text: string, opts: NotifyOptions): Promise<string | undefined> {
  try {
    const res = await httpRequest({
      url: opts.url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notificationBody(event, opts.redactor.redact(text))),
      connectTimeout: opts.connectTimeout ?? 5000,
      headersTimeout: opts.headersTimeout ?? 5000,
      bodyTimeout: 5000,
      maxBodyBytes: 4096,
      signal: opts.signal,
    })
    if (res.status >= 200 && res.status < 300) return undefined
    return `notification (${event}) not accepted: HTTP ${res.status}`
  } catch (err) {
    return opts.redactor.redact(`notification (${event}) failed: ${errorMessage(err)}`)
  }
}
