/**
 * Deadlines, not timeouts, cross layers: the runner gives every attempt a deadline (epoch ms) with
 * its signal, and each client caps its own phases (connect, handshake, headers, query, watch)
 * against the time left, so a hang is reported with the phase that hung rather than as the
 * runner's bare "timed out".
 */

/** Time left before `deadline` in ms (never below 0); Infinity without a deadline. */
export function timeLeft(deadline: number | undefined, now = Date.now()): number {
  return deadline === undefined ? Infinity : Math.max(0, deadline - now)
}

/**
 * `phaseMs` capped to the time left before the deadline, less a margin so that the phase's own
 * timeout (which names the phase) fires before the runner's (which cannot). At least 1 ms.
 */
export function capToDeadline(phaseMs: number, deadline: number | undefined, marginMs = 100): number {
  const left = timeLeft(deadline)
  if (left === Infinity) return phaseMs
  return Math.max(1, Math.min(phaseMs, left - marginMs))
}
