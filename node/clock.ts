/**
 * The clock the node hands its protocols (protocols/): their leases, timeouts, timers and rate limits
 * are durations, so they are measured on a monotonic clock that NTP or an operator cannot step.
 * On the wall clock, a leader whose clock stepped back by Δ right after a lease acknowledgement
 * held its lease (and kept assigning units) Δ longer, alongside the next term's leader.
 *
 * What must grow across restarts or be read by people or other machines stays on the wall clock
 * (`Date.now()`): the incarnation a node starts with, record and event timestamps, log times.
 * No protocol message carries a monotonic time that its receiver compares with its own clock:
 * the one time on the wire (a lease request's `at`) comes back to its sender in the acknowledgement.
 */

/**
 * Where monotonic time starts: the wall clock when the process started (`performance.timeOrigin`), so
 * values read like epoch milliseconds near the start and stay positive and large (a protocol's zero
 * or -Infinity "never" is long before any of them), though they drift from the wall clock as it is stepped.
 */
export const MONOTONIC_ORIGIN_MS = Math.floor(performance.timeOrigin)

/**
 * Whole milliseconds on the monotonic clock (`performance.now()` from MONOTONIC_ORIGIN_MS): never goes back. Whole, as
 * Date.now's are: deadlines worked out from it go to timers and `AbortSignal.timeout`, which refuses a fraction.
 */
export function monotonicNow (): number {
  return Math.floor(MONOTONIC_ORIGIN_MS + performance.now())
}
