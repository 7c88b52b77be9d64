import test from 'ava'
import { ExpiringKeys } from '../../../protocols/cache/index.js'

test('a key is held until its deadline, a later hold replaces it, and extend keeps the later of the two', t => {
  const keys = new ExpiringKeys<string>()
  keys.hold('a', 100)
  t.true(keys.has('a', 99))
  t.false(keys.has('a', 100), 'not at its deadline')
  t.is(keys.size, 0, 'the expired key was dropped on the way')
  keys.hold('b', 100)
  keys.hold('b', 50)
  t.false(keys.has('b', 60), 'the later hold replaced the deadline')
  keys.extend('c', 100)
  keys.extend('c', 50)
  t.true(keys.has('c', 60), 'extend keeps the later deadline')
})

test('past maxKeys the oldest go down to 90% in one pass; with trimToMax only the oldest one goes', t => {
  const batch = new ExpiringKeys<number>(10)
  for (let n = 0; n < 11; n++) batch.hold(n, 1000)
  t.is(batch.size, 9)
  t.deepEqual([0, 1, 8, 10].map(n => batch.has(n, 0)), [false, false, true, true])

  const exact = new ExpiringKeys<string>(3, { trimToMax: true })
  for (const key of ['a', 'b', 'c', 'd']) exact.hold(key, 1000)
  t.is(exact.size, 3)
  t.false(exact.has('a', 0), 'the oldest went')
  exact.hold('b', 1000) // held again: now the newest
  exact.hold('e', 1000)
  t.deepEqual(['b', 'c', 'd', 'e'].map(key => exact.has(key, 0)), [true, false, true, true])
})
