import test from 'ava'
import { KeyedLanes } from '../../../node/mesh/keyed-lanes.js'

/** Lanes whose items run until the test settles them; `started` lists what ran, in order. */
function lanes (maxRunning: number, maxWaiting: number): { lanes: KeyedLanes<string>, started: string[], settle: (item: string) => Promise<void> } {
  const started: string[] = []
  const pending = new Map<string, () => void>()
  const lanes = new KeyedLanes<string>({
    run: async (key, item) => {
      started.push(`${key}:${item}`)
      await new Promise<void>(resolve => { pending.set(item, resolve) })
    },
    maxRunning,
    maxWaiting,
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
