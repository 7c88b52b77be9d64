/** A max-heap of unit ids by priority (ties: smaller id first), so the leader hands out critical work first. */
export class ReadyQueue {
  private readonly ids: string[] = []
  private readonly members = new Set<string>()

  constructor (private readonly priority: (id: string) => number) {}

  get size (): number { return this.ids.length }

  has (id: string): boolean { return this.members.has(id) }

  push (id: string): void {
    if (this.members.has(id)) return
    this.members.add(id)
    this.ids.push(id)
    let i = this.ids.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  /** The most critical id, left in the queue. */
  peek (): string | undefined {
    return this.ids[0]
  }

  pop (): string | undefined {
    const ids = this.ids
    if (ids.length === 0) return undefined
    const top = ids[0] as string
    const last = ids.pop() as string
    this.members.delete(top)
    if (ids.length === 0) return top
    ids[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let best = i
      if (l < ids.length && this.before(l, best)) best = l
      if (r < ids.length && this.before(r, best)) best = r
      if (best === i) return top
      this.swap(i, best)
      i = best
    }
  }

  private before (a: number, b: number): boolean {
    const x = this.ids[a] as string
    const y = this.ids[b] as string
    const px = this.priority(x)
    const py = this.priority(y)
    return px !== py ? px > py : x < y
  }

  private swap (a: number, b: number): void {
    const tmp = this.ids[a] as string
    this.ids[a] = this.ids[b] as string
    this.ids[b] = tmp
  }
}
