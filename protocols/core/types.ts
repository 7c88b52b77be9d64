/**
 * Basic vocabulary shared by every sans-IO protocol.
 *
 * A protocol never reads a clock, never starts a timer, never touches the network or the disk.
 * The driver (node/ on libp2p, sim/ in the simulator) gives it `now` with every input and carries
 * out the effects it emits.
 */

/** A peer's identity as a string (libp2p: `peerId.toString()`, the simulator: `n42`). */
export type PeerId = string

/** Milliseconds on the driver's clock (wall clock on a node, virtual clock in the simulator). */
export type Millis = number

/** Names a timer inside one protocol instance; setting a key again replaces the earlier timer. */
export type TimerKey = string

/** The clock a driver exposes: monotonic milliseconds. */
export interface Clock {
  now: () => Millis
}

/**
 * What a protocol answers about an inbound message, so a gossipsub adapter can map it onto its
 * topic validator (accept: forward, ignore: drop quietly, reject: drop and penalise the sender).
 */
export type Verdict = 'accept' | 'ignore' | 'reject'
