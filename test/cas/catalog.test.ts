import test from 'ava'
import { Catalog } from '../../src/cas/catalog.js'

/** A small deterministic generator (mulberry32), so a failing sequence replays from its seed. */
function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

test('the pinned bytes kept as pins and entries come and go match a count from scratch, so the eviction target needs no walk of the pins', t => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const random = seeded(seed)
    const catalog = new Catalog()
    const shas = Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(64, '0'))
    const sizes = new Map(shas.map((sha, i) => [sha, 100 * (i + 1)]))
    const pins = new Map<string, number>()
    for (let step = 0; step < 2000; step++) {
      const sha = shas[Math.floor(random() * shas.length)]!
      const key = `k${Math.floor(random() * 20)}`
      const op = Math.floor(random() * 4)
      if (op === 0) catalog.set({ key, sha256: sha, size: sizes.get(sha)!, lastAccess: step })
      else if (op === 1) catalog.delete(key)
      else if (op === 2) {
        catalog.pin(sha)
        pins.set(sha, (pins.get(sha) ?? 0) + 1)
      } else if ((pins.get(sha) ?? 0) > 0) {
        catalog.unpin(sha)
        pins.set(sha, pins.get(sha)! - 1)
      }
      const fromScratch = shas.filter(s => (pins.get(s) ?? 0) > 0 && catalog.hasBlob(s)).reduce((sum, s) => sum + sizes.get(s)!, 0)
      if (catalog.pinnedBytes !== fromScratch) {
        t.fail(`seed ${seed}, step ${step}: kept ${catalog.pinnedBytes} pinned bytes, counted ${fromScratch}`)
        return
      }
    }
    t.is(catalog.evictionTarget(1000), 1000 + Math.max(0, catalog.pinnedBytes - 500), `seed ${seed}`)
  }
})
