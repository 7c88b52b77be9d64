import test from 'ava'
import { EventBus, firstIdFromClock, type NodeEvent } from '../../../node/events/index.js'
import { TuiStore } from '../../../src/tui/store.js'

test('events get increasing ids and times; since() replays from the ring, which keeps only the newest', t => {
  let now = 1000
  const bus = new EventBus({ capacity: 3, now: () => now++ })
  const seen: number[] = []
  const off = bus.subscribe(e => { seen.push(e.id) })
  for (let i = 0; i < 5; i++) bus.emit({ type: 'peer-up', peer: `p${i}` })
  off()
  bus.emit({ type: 'peer-down', peer: 'p0' })
  t.deepEqual(seen, [1, 2, 3, 4, 5])
  t.is(bus.lastId, 6)
  t.deepEqual(bus.since(0).map(e => [e.id, e.time]), [[4, 1003], [5, 1004], [6, 1005]])
  t.deepEqual(bus.since(5).map(e => e.id), [6])
  t.deepEqual(bus.since(6), [])
  t.deepEqual(bus.recent(2).map(e => e.id), [5, 6])
})

test('a subscriber that throws does not stop the others or the emitter', t => {
  const bus = new EventBus()
  const got: NodeEvent[] = []
  bus.subscribe(() => { throw new Error('broken view') })
  bus.subscribe(e => { got.push(e) })
  t.notThrows(() => bus.emit({ type: 'cache-gc', evicted: 1, freedBytes: 10 }))
  t.is(got.length, 1)
})

test('the TUI store draws the first event of a burst at once and the rest once at the window end; keeps a bounded log; follows peers', async t => {
  const store = new TuiStore({ batchMs: 5, maxEvents: 3 })
  let draws = 0
  let drawn!: () => void
  const second = new Promise<void>(resolve => { drawn = resolve })
  const seen: number[] = []
  store.subscribe(() => { draws++; seen.push(store.snapshot.events.length); if (draws === 2) drawn() })
  const bus = new EventBus()
  bus.subscribe(e => { store.applyEvent(e) })
  for (let i = 0; i < 5; i++) bus.emit({ type: 'peer-up', peer: `p${i}` })
  bus.emit({ type: 'peer-down', peer: 'p1' })
  t.is(draws, 1)
  await second
  t.deepEqual(seen, [1, 3])
  t.deepEqual(store.snapshot.events.map(e => e.id), [4, 5, 6])
  t.deepEqual(store.snapshot.peers.map(p => p.peerId), ['p0', 'p2', 'p3', 'p4'])
})

test('a client of this run, or one asking from the start (after=0), is not told of a restart', async t => {
  const bus = new EventBus({ firstId: firstIdFromClock(1_000_000) })
  for (let i = 0; i < 3; i++) bus.emit({ type: 'peer-up', peer: `p${i}` })
  t.deepEqual(bus.replay(bus.firstId - 1), { events: bus.since(0), missed: 0, restarted: false })
  t.like(bus.replay(0), { missed: 0, restarted: false })
  t.is(bus.replay(0).events.length, 3)
})
