import test from 'ava'
import { KeyedLanes } from '../../../node/mesh/keyed-lanes.js'

/** Lanes whose items run until the test settles them; `started` lists what ran, in order. */
function lanes (maxRunning: number, maxWaiting: number, maxKeys = 100): { lanes: KeyedLanes<string>, started: string[], settle: (item: string) => Promise<void> } {
  const started: string[] = []
  const pending = new Map<string, () => void>()
  const lanes = new KeyedLanes<string>({
    run: async (key, item) => {
      started.push(`${key}:${item}`)
      await new Promise<void>(resolve => { pending.set(item, resolve) })
    },
    maxRunning,
    maxWaiting,
    maxKeys,
    signal: new AbortController().signal
  })
  const settle = async (item: string): Promise<void> => {
    pending.get(item)?.()
    await new Promise(resolve => setImmediate(resolve))
  }
  return { lanes, started, settle }
}

test('a key runs at most maxRunning items at once, the next as one settles; other keys are not held up', async t => {
  const { lanes: l, started, settle } = lanes(2, 10)
  for (const item of ['a1', 'a2', 'a3']) l.add('a', item)
  l.add('b', 'b1')
  t.deepEqual(started, ['a:a1', 'a:a2', 'b:b1'])
  await settle('a1')
  t.deepEqual(started, ['a:a1', 'a:a2', 'b:b1', 'a:a3'])
})

test('past maxWaiting an item is refused; drain takes what waits and leaves what runs', async t => {
  const { lanes: l, started, settle } = lanes(1, 1)
  t.true(l.add('a', 'a1'))
  t.true(l.add('a', 'a2'))
  t.false(l.add('a', 'a3'), 'one runs, one waits: the lane is full')
  t.deepEqual(l.drain('a'), ['a2'])
  await settle('a1')
  t.deepEqual(started, ['a:a1'], 'nothing drained runs')
  t.deepEqual(l.drain('a'), [], 'the empty lane is gone')
})

test('past maxKeys lanes an item of a new key is refused and counted; a lane that empties makes room', async t => {
  const { lanes: l, started, settle } = lanes(1, 10, 2)
  t.true(l.add('a', 'a1'))
  t.true(l.add('b', 'b1'))
  t.true(l.add('a', 'a2'), 'a key that has a lane takes more items')
  t.false(l.add('c', 'c1'), 'a third key is refused')
  t.is(l.refusedKeys, 1)
  t.is(l.size, 2)
  await settle('b1')
  t.true(l.add('c', 'c2'), "b's lane emptied: c gets one")
  t.deepEqual(started, ['a:a1', 'b:b1', 'c:c2'])
})

test('thousands of items to made-up keys start at most maxKeys lanes', t => {
  const { lanes: l, started } = lanes(4, 1024, 64)
  let refused = 0
  for (let i = 0; i < 8000; i++) if (!l.add(`peer${i}`, `x${i}`)) refused++
  t.is(started.length, 64)
  t.is(refused, 8000 - 64)
  t.is(l.refusedKeys, 8000 - 64)
})
