import test from 'ava'
import { DhtModel, KAD_PROFILE } from '../../../sim/dht.js'
import { Engine } from '../../../sim/engine/index.js'
import { FaultState, LAN_PROFILE, Links } from '../../../sim/network/index.js'
import { simPeerId } from '../../../sim/peers.js'
import { SimDht } from '../../../sim/cache/sim-dht.js'
import type { CacheSimNode } from '../../../sim/cache/harness.js'

const SIZE = 100

function setup (seed: number): { engine: Engine, faults: FaultState, dht: SimDht, answers: Array<{ node: number, key: string, providers: readonly string[], at: number }> } {
  const engine = new Engine(seed)
  const links = new Links(SIZE, LAN_PROFILE, engine.random)
  const faults = new FaultState(SIZE)
  const answers: Array<{ node: number, key: string, providers: readonly string[], at: number }> = []
  const dht = new SimDht({
    engine, links, faults, size: SIZE,
    node: i => ({ peer: simPeerId(i) }) as unknown as CacheSimNode,
    deliverProviders: (node, key, providers) => { answers.push({ node, key, providers, at: engine.now }) }
  }, new DhtModel(KAD_PROFILE))
  return { engine, faults, dht, answers }
}

test('a lookup answers with the providers of the key, after its modelled hops of round trips', t => {
  const seed = 11
  const { engine, dht, answers } = setup(seed)
  dht.provide(3, 'k')
  dht.provide(7, 'k')
  dht.provide(9, 'other')
  dht.findProviders(7, 'k')
  engine.runUntil(10_000, { handle: () => {} })
  t.is(answers.length, 1, `seed ${seed}`)
  t.deepEqual(answers[0]?.providers, [simPeerId(3)], 'never the asking node itself')
  t.true((answers[0]?.at ?? 0) > 0, 'a lookup takes network time')
})

test('a node that crashed before its lookup came back hears nothing', t => {
  const seed = 12
  const { engine, faults, dht, answers } = setup(seed)
  dht.provide(3, 'k')
  dht.findProviders(5, 'k')
  faults.up[5] = 0
  engine.runUntil(10_000, { handle: () => {} })
  t.deepEqual(answers, [], `seed ${seed}`)
})

test('a partition hides providers on the other side, and a record provided during it stays on its side until provided again', t => {
  const seed = 13
  const { engine, faults, dht, answers } = setup(seed)
  const groups = Array.from({ length: SIZE }, (_, i) => i < SIZE / 2 ? 0 : 1)
  dht.provide(3, 'before') // side 0, before the split
  faults.partition(groups, true, 0)
  dht.provide(4, 'during') // side 0, during the split
  dht.findProviders(80, 'before')
  dht.findProviders(81, 'during')
  dht.findProviders(10, 'during')
  engine.runUntil(10_000, { handle: () => {} })
  faults.heal(engine.now)
  dht.findProviders(82, 'before')
  dht.findProviders(83, 'during')
  engine.runUntil(20_000, { handle: () => {} })
  dht.provide(4, 'during') // the provider's next provide, with the network whole
  dht.findProviders(84, 'during')
  engine.runUntil(30_000, { handle: () => {} })
  const heard = Object.fromEntries(answers.map(a => [`${a.node} ${a.key}`, a.providers]))
  t.deepEqual(heard, {
    '80 before': [], '81 during': [], '10 during': [simPeerId(4)],
    '82 before': [simPeerId(3)], '83 during': [], '84 during': [simPeerId(4)]
  }, `seed ${seed}`)
})
