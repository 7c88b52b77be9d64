import type { MeshLibp2p, RpcBodyResponse } from '../../../node/libp2p/index.js'
import type { FetchBlobOptions } from '../../../node/mesh/blob-transfer.js'
import type { PullClock, ReplicaPullerInit } from '../../../node/mesh/replica-puller.js'
import { casFrameCodec } from '../../../protocols/cache/index.js'
import type { SignedRecord } from '../../../protocols/cache/index.js'

/** A clock the test steps: `every` ticks fire, in order, as `advance` passes their times. */
export class SteppedClock implements PullClock {
  private at = 0
  private readonly timers = new Set<{ next: number, ms: number, tick: () => void }>()

  now = (): number => this.at

  every = (ms: number, tick: () => void): () => void => {
    const timer = { next: this.at + ms, ms, tick }
    this.timers.add(timer)
    return () => { this.timers.delete(timer) }
  }

  advance (ms: number): void {
    const until = this.at + ms
    for (;;) {
      const due = [...this.timers].filter(t => t.next <= until).sort((a, b) => a.next - b.next)[0]
      if (due === undefined) break
      this.at = due.next
      due.next += due.ms
      due.tick()
    }
    this.at = until
  }
}

/** One pull's body, fed by the test: `send` resolves once the store took the chunk; ends by itself once `size` went. */
export class FedBody {
  sent = 0
  private readonly queue: Array<{ chunk: Uint8Array, taken: () => void }> = []
  private wake: (() => void) | undefined

  constructor (readonly size: number, private readonly signal: AbortSignal, readonly from = '') {
    signal.addEventListener('abort', () => { this.wakeUp() }, { once: true })
  }

  get done (): boolean { return this.sent >= this.size || this.signal.aborted }

  async send (bytes: number): Promise<void> {
    if (this.done) return
    const n = Math.min(bytes, this.size - this.sent)
    this.sent += n
    await new Promise<void>(resolve => {
      this.queue.push({ chunk: new Uint8Array(n), taken: resolve })
      this.wakeUp()
    })
  }

  async * read (): AsyncGenerator<Uint8Array, void, undefined> {
    let read = 0
    try {
      while (read < this.size) {
        this.signal.throwIfAborted()
        const next = this.queue.shift()
        if (next === undefined) {
          await new Promise<void>(resolve => { this.wake = resolve })
          continue
        }
        read += next.chunk.byteLength
        yield next.chunk
        next.taken()
      }
    } finally {
      for (const left of this.queue.splice(0)) left.taken()
    }
  }

  private wakeUp (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

/** Serves every pull its offered record's header and a `FedBody` (the last one of each key, in `bodies`). */
export function fedPulls (records: Map<string, SignedRecord>): { open: NonNullable<ReplicaPullerInit['open']>, bodies: Map<string, FedBody> } {
  const bodies = new Map<string, FedBody>()
  const open = async (from: string, key: string, options: FetchBlobOptions): Promise<RpcBodyResponse> => {
    const record = records.get(key) as SignedRecord
    const body = new FedBody(record.size, options.signal, from)
    bodies.set(key, body)
    return {
      header: casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size }),
      body: body.read(),
      abort: () => {}
    }
  }
  return { open, bodies }
}

/** A store that takes a body whole, as the content store does, and checks only its size. */
export const countingStore = {
  put: async (_key: string, body: AsyncIterable<Uint8Array> | Uint8Array, options: { expectedSize?: number } = {}): Promise<never> => {
    let size = 0
    for await (const chunk of body as AsyncIterable<Uint8Array>) size += chunk.byteLength
    if (size !== options.expectedSize) throw new Error(`stored ${size} bytes, not ${String(options.expectedSize)}`)
    return {} as never
  }
}

export const noLibp2p = {} as unknown as MeshLibp2p

export function fakeRecord (n: number, size: number, producer = 'pusher'): SignedRecord {
  return { gradleKey: n.toString(16).padStart(40, '0'), sha256: 'ab'.repeat(32), size, time: 1, signature: new Uint8Array(64), producer } as unknown as SignedRecord
}
