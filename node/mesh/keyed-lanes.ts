/**
 * Work queued by key (a peer, a peer and a protocol) and run a few items at a time per key: the next item of a key
 * starts once one of its running items settles. A key's lane is forgotten once nothing of it waits or runs.
 */
export interface KeyedLanesInit<T> {
  /** Runs one item; must not reject (an item's failure is the runner's to handle). */
  run: (key: string, item: T) => Promise<void>
  /** Items of one key running at once. */
  maxRunning: number
  /** Items of one key waiting; `add` refuses more. */
  maxWaiting: number
  /**
   * Keys with a lane at once (items waiting or running); `add` refuses an item of a new key past it. Peers choose
   * keys (a made-up peer id each): without a cap, one message could make a lane, a dial and a DHT lookup per key.
   */
  maxKeys: number
  /** Once aborted, nothing more starts. */
  signal: AbortSignal
}

interface Lane<T> { running: number, readonly waiting: T[] }

export class KeyedLanes<T> {
  private readonly lanes = new Map<string, Lane<T>>()
  /** Items refused because their key would have been one lane past `maxKeys`. */
  refusedKeys = 0

  constructor (private readonly init: KeyedLanesInit<T>) {}

  /**
   * Queues `item` under `key` and starts what may start; false (`item` not queued) when `key` has too many waiting,
   * or `key` has no lane and `maxKeys` others have one.
   */
  add (key: string, item: T): boolean {
    let lane = this.lanes.get(key)
    if (lane === undefined) {
      if (this.lanes.size >= this.init.maxKeys) {
        this.refusedKeys++
        return false
      }
      lane = { running: 0, waiting: [] }
      this.lanes.set(key, lane)
    }
    if (lane.waiting.length >= this.init.maxWaiting) return false
    lane.waiting.push(item)
    this.pump(key, lane)
    return true
  }

  /** Keys with a lane now. */
  get size (): number { return this.lanes.size }

  /** Takes the items still waiting under `key`; those running go on. */
  drain (key: string): T[] {
    const lane = this.lanes.get(key)
    if (lane === undefined) return []
    const dropped = lane.waiting.splice(0)
    if (lane.running === 0) this.lanes.delete(key)
    return dropped
  }

  private pump (key: string, lane: Lane<T>): void {
    while (lane.running < this.init.maxRunning && !this.init.signal.aborted) {
      const item = lane.waiting.shift()
      if (item === undefined) break
      lane.running++
      void this.init.run(key, item).finally(() => {
        lane.running--
        this.pump(key, lane)
      })
    }
    if (lane.running === 0 && lane.waiting.length === 0 && this.lanes.get(key) === lane) this.lanes.delete(key)
  }
}
