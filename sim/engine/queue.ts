import type { SimEvent } from './event.js'

function before (a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}

/** Binary min-heap of events ordered by (time, seq): ties resolve in scheduling order. */
export class EventQueue {
  private readonly heap: SimEvent[] = []

  get size (): number {
    return this.heap.length
  }

  push (event: SimEvent): void {
    const heap = this.heap
    let i = heap.length
    heap.push(event)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as SimEvent
      if (!before(event, p)) break
      heap[i] = p
      i = parent
    }
    heap[i] = event
  }

  pop (): SimEvent | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (top === undefined || last === undefined || heap.length === 0) return top
    const n = heap.length
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      let child = left
      if (right < n && before(heap[right] as SimEvent, heap[left] as SimEvent)) child = right
      const c = heap[child] as SimEvent
      if (!before(c, last)) break
      heap[i] = c
      i = child
    }
    heap[i] = last
    return top
  }

  peekTime (): number {
    return this.heap.length === 0 ? Infinity : (this.heap[0] as SimEvent).time
  }
}
