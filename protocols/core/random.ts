/**
 * Injected randomness. Protocols draw every random choice from a `Random` handed to them, so the
 * simulator can replay a run bit for bit from one seed.
 */
export interface Random {
  /** Uniform unsigned 32-bit integer. */
  nextU32: () => number
  /** Uniform float in [0, 1). */
  nextFloat: () => number
  /** Uniform integer in [0, bound), bound >= 1. */
  nextInt: (bound: number) => number
}

/**
 * xoshiro128** (Blackman & Vigna): 128 bits of state, period 2^128-1, fast on 32-bit integer maths.
 * State is seeded through splitmix32 so any 32-bit seed gives a well-mixed, non-zero state.
 */
export class Xoshiro128 implements Random {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  constructor (seed: number) {
    let x = seed >>> 0
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.s0 = next()
    this.s1 = next()
    this.s2 = next()
    this.s3 = next()
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1
  }

  nextU32 (): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0
    const t = this.s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    return result
  }

  nextFloat (): number {
    return this.nextU32() / 4294967296
  }

  nextInt (bound: number): number {
    if (bound <= 1) return 0
    return Math.floor(this.nextFloat() * bound)
  }

  /** A new independent generator derived from this one (for per-node streams). */
  fork (): Xoshiro128 {
    return new Xoshiro128(this.nextU32() ^ 0x5bd1e995)
  }
}

function rotl (x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** Fisher–Yates shuffle in place, drawing from `random`. */
export function shuffleInPlace<T> (items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1)
    const tmp = items[i] as T
    items[i] = items[j] as T
    items[j] = tmp
  }
  return items
}
