import type { Effect } from './effects.js'
import type { Millis, PeerId, TimerKey, Verdict } from './types.js'

/**
 * A sans-IO protocol: a pure state machine driven by its inputs, each given `now`.
 *
 * Contract with the driver:
 * 1. Subscribe to every topic in `topics` and accept inbound streams for every id in `protocolIds`
 *    before calling `start`.
 * 2. Call `start(now)` once, then feed inputs: `onMessage` for every inbound frame or gossip
 *    message (`via` is the topic or the stream protocol id it arrived on), `onTimer` when a timer
 *    set through a `setTimer` effect fires. Local commands are protocol-specific methods.
 * 3. After every input (and every local command) call `drainEffects()` and carry the effects out
 *    in order. Effects are never retried by the driver; protocols tolerate loss themselves.
 * 4. `stop(now)` ends the instance; pending timers are dropped by the driver.
 *
 * Inputs never throw on bad bytes: malformed input yields the verdict `reject`.
 */
export interface SansIoProtocol {
  /** Topics this protocol publishes to and must receive (e.g. `gmesh/v1/membership`). */
  readonly topics: readonly string[]
  /** Direct stream protocol ids this protocol sends on and must receive (e.g. `/gmesh/membership/1.0.0`). */
  readonly protocolIds: readonly string[]

  start: (now: Millis) => void
  stop: (now: Millis) => void
  /**
   * `sent`: for a gossip message, its author's sequence number, covered by the author's signature and strictly
   * increasing per author (gossipsub's seqno: the author's clock in nanoseconds, then one up per message): what
   * orders an author's messages after gossipsub's seen-cache has let go of a replayed one. Undefined on a stream
   * frame, and where the driver has none (the simulator).
   */
  onMessage: (from: PeerId, via: string, bytes: Uint8Array, now: Millis, sent?: bigint) => Verdict
  onTimer: (key: TimerKey, now: Millis) => void
  drainEffects: () => Effect[]
}
