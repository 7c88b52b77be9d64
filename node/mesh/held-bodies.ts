/**
 * Verified bodies of peer fetches kept in memory while the store writes them: GETs of their keys are answered from
 * here meanwhile. Bodies up to the in-memory size (IN_MEMORY_FETCH_BYTES) are kept as they always were; a bigger
 * one only within a byte budget shared by all of them, reserved before its body is read, so the memory of bodies
 * in flight stays bounded however many big fetches run. A body is kept, and its bytes reserved, until `drop`.
 */
export class HeldBodies {
  private readonly bodies = new Map<string, { bytes: Uint8Array, reserved: number }>()
  private reservedBytes = 0

  constructor (private readonly budgetBytes: number) {}

  /** Bytes of the budget reserved or held now. */
  get reserved (): number { return this.reservedBytes }

  /** Bodies held now. */
  get size (): number { return this.bodies.size }

  get (key: string): Uint8Array | undefined { return this.bodies.get(key)?.bytes }

  has (key: string): boolean { return this.bodies.has(key) }

  /** Reserves `bytes` of the budget for a body about to be read; false (nothing reserved) when they do not fit. */
  reserve (bytes: number): boolean {
    if (this.reservedBytes + bytes > this.budgetBytes) return false
    this.reservedBytes += bytes
    return true
  }

  /** Gives back a reservation whose body was never held (it failed verification, or its fetch was called off). */
  release (bytes: number): void {
    this.reservedBytes -= bytes
  }

  /** Keeps a verified body; `reserved` (0 for a small one) moves with it. A body kept before under the key is dropped. */
  hold (key: string, bytes: Uint8Array, reserved: number): void {
    this.drop(key)
    this.bodies.set(key, { bytes, reserved })
  }

  /** Lets a body go, and its reservation; false when none was kept under the key. */
  drop (key: string): boolean {
    const held = this.bodies.get(key)
    if (held === undefined) return false
    this.bodies.delete(key)
    this.reservedBytes -= held.reserved
    return true
  }

  clear (): void {
    for (const key of [...this.bodies.keys()]) this.drop(key)
  }
}
