import test from 'ava'
import { Xoshiro128, shuffleInPlace } from '../../../protocols/core/index.js'

test('a seed gives the same stream, another seed a different one', t => {
  const a = new Xoshiro128(7)
  const b = new Xoshiro128(7)
  const c = new Xoshiro128(8)
  const sa = Array.from({ length: 100 }, () => a.nextU32())
  t.deepEqual(sa, Array.from({ length: 100 }, () => b.nextU32()))
  t.notDeepEqual(sa, Array.from({ length: 100 }, () => c.nextU32()))
})

test('draws stay in range and spread evenly', t => {
  const seed = 99
  const random = new Xoshiro128(seed)
  const buckets = new Array(10).fill(0)
  for (let i = 0; i < 100_000; i++) {
    const f = random.nextFloat()
    t.true(f >= 0 && f < 1)
    buckets[Math.floor(f * 10)]++
  }
  for (const count of buckets) t.true(Math.abs(count - 10_000) < 500, `seed ${seed}: bucket of ${count}`)
  for (let i = 0; i < 1000; i++) {
    const n = random.nextInt(7)
    t.true(Number.isInteger(n) && n >= 0 && n < 7)
  }
})

test('shuffle permutes without losing items', t => {
  const items = Array.from({ length: 50 }, (_, i) => i)
  const shuffled = shuffleInPlace([...items], new Xoshiro128(1))
  t.notDeepEqual(shuffled, items)
  t.deepEqual([...shuffled].sort((x, y) => x - y), items)
})
