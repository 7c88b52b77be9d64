/** Kinds of events on the simulator's queue. */
export const EventKind = {
  /** A direct message arrives at `node` from `from`. */
  deliver: 0,
  /** A protocol timer of `node` fires (`key`, `token` guards against replaced timers). */
  timer: 1,
  /** A wave of gossip reaches the nodes in `list`. */
  gossipWave: 2,
  /** A scheduled action (fault injection, invariant check, phase change). */
  action: 3
} as const

export type EventKindValue = typeof EventKind[keyof typeof EventKind]

/**
 * One monomorphic event shape for every kind (keeps the hot loop's property accesses fast).
 * Fields a kind does not use stay at their defaults.
 */
export class SimEvent {
  time = 0
  seq = 0
  kind: EventKindValue = EventKind.action
  node = -1
  from = -1
  token = 0
  /** Set once a slow node's processing delay has been applied to this event. */
  deferred = false
  /** Hash of `bytes` computed once (gossip waves) or 0. */
  hash = 0
  key: string | undefined = undefined
  bytes: Uint8Array | undefined = undefined
  list: number[] | undefined = undefined
  action: (() => void) | undefined = undefined
}
