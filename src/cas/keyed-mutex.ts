/** Runs async sections one at a time per key; sections on different keys run concurrently. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>()

  async run<T> (key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    let release = (): void => {}
    const tail = new Promise<void>(resolve => { release = resolve })
    this.tails.set(key, tail)
    try {
      await previous
      return await section()
    } finally {
      release()
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }
}
