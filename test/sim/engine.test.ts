import test from 'ava'
import { Xoshiro128 } from '../../protocols/core/index.js'
import { Engine, EventKind, EventQueue, SimEvent, TimeTravelError, TraceHash } from '../../sim/engine/index.js'
import { DhtModel, KAD_PROFILE } from '../../sim/dht.js'
import { GOSSIPSUB_PROFILE, GossipModel } from '../../sim/gossip.js'
import { FaultState } from '../../sim/network/index.js'

test('the queue pops by time, then by scheduling order', t => {
  const seed = 3
  const random = new Xoshiro128(seed)
  const queue = new EventQueue()
  const pushed: Array<[number, number]> = []
  for (let seq = 0; seq < 2000; seq++) {
    const event = new SimEvent()
    event.time = random.nextInt(50)
    event.seq = seq
    queue.push(event)
    pushed.push([event.time, seq])
  }
  pushed.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const popped: Array<[number, number]> = []
  for (let e = queue.pop(); e !== undefined; e = queue.pop()) popped.push([e.time, e.seq])
  t.deepEqual(popped, pushed, `seed ${seed}`)
})

test('the engine runs actions in virtual time and refuses to go back in time', t => {
  const engine = new Engine(1)
  const seen: number[] = []
  engine.at(30, () => { seen.push(engine.now) })
  engine.at(10, () => { seen.push(engine.now); engine.at(20, () => { seen.push(engine.now) }) })
  engine.runUntil(25, { handle: () => {} })
  t.deepEqual(seen, [10, 20])
  t.is(engine.now, 25)
  t.throws(() => engine.event(5, EventKind.timer), { instanceOf: TimeTravelError })
  engine.runUntil(100, { handle: () => {} })
  t.deepEqual(seen, [10, 20, 30])
})

test('gossip reaches a mesh in a number of hops that grows with log N, losing loss^paths', t => {
  const model = new GossipModel(GOSSIPSUB_PROFILE)
  const random = new Xoshiro128(9)
  const meanHops = (n: number): number => {
    let sum = 0
    for (let i = 0; i < 5000; i++) sum += model.hops(n, random)
    return sum / 5000
  }
  const small = meanHops(50)
  const large = meanHops(5000)
  t.true(large > small + 2, `hops at 50 nodes ${small}, at 5000 nodes ${large}`)
  t.true(large < 6, `hops at 5000 nodes ${large}`)
  t.is(model.missProbability(0.1), 0.1 ** GOSSIPSUB_PROFILE.paths)
  const waves = model.waves([1, 2, 3, 4, 5, 6, 7, 8], 1000, random)
  t.deepEqual(waves.flatMap(w => w.recipients).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8])
})

test('DHT lookups take more hops in bigger meshes and find what was provided', t => {
  const dht = new DhtModel(KAD_PROFILE)
  const random = new Xoshiro128(4)
  dht.provide('k', 3)
  dht.provide('k', 8)
  dht.provide('k', 3)
  const small = dht.lookup('k', 16, random, () => 2)
  const large = dht.lookup('k', 100_000, random, () => 2)
  t.deepEqual(small.providers, [3, 8])
  t.true(large.hops > small.hops, `${small.hops} hops at 16 nodes, ${large.hops} at 100k`)
  t.is(large.latencyMs, large.hops * 2)
  dht.forget(3)
  t.deepEqual(dht.lookup('k', 16, random, () => 1).providers, [8])
})

test('partitions cut links by group, symmetric or one way, until healed', t => {
  const faults = new FaultState(4)
  faults.partition([0, 0, 1, 1], false, 100)
  t.true(faults.reachable(0, 1))
  t.false(faults.reachable(0, 2))
  t.true(faults.reachable(2, 0), 'asymmetric: the higher group still reaches the lower')
  faults.partition([0, 1, 0, 1], true, 200)
  t.false(faults.reachable(1, 0))
  t.false(faults.reachable(0, 1))
  t.is(faults.connectedSince(0, 2), 200)
  faults.heal(300)
  t.true(faults.reachable(1, 0) && !faults.partitioned)
  t.is(faults.partitions, 2)
})

test('a pair is connected since the last partition that cut it apart, not since any partition', t => {
  const faults = new FaultState(3)
  faults.partition([0, 0, 1], true, 100)
  t.is(faults.connectedSince(0, 2), Number.POSITIVE_INFINITY, 'cut apart now')
  faults.heal(150)
  faults.partition([0, 0, 1], false, 400)
  faults.partition([1, 0, 0], true, 500)
  faults.heal(600)
  t.is(faults.connectedSince(0, 1), 600, 'cut apart by the last layout')
  t.is(faults.connectedSince(1, 2), 500, 'cut apart one way by the layout before')
  faults.partition([0, 0, 1], true, 700)
  t.is(faults.connectedSince(0, 1), 600, 'a partition of another node does not reset it')
  faults.disturbedAt[1] = 650
  t.is(faults.connectedSince(0, 1), 650, 'a pause or restart does')
  for (let k = 0; k < 100; k++) faults.partition([0, 0, 1 + k % 2], true, 1000 + k)
  t.is(faults.connectedSince(0, 1), 1035, 'past the layouts kept, since the newest one forgotten')
})

test('the trace hash tells apart events less than a millisecond apart', t => {
  const at = (time: number): string => {
    const trace = new TraceHash()
    trace.event(time, 0, 1, 2, 3)
    return trace.digest()
  }
  t.not(at(1000.01), at(1000.99))
  t.is(at(1000.25), at(1000.25))
})
