import test from 'ava'
import { GossipBudget } from '../../../node/libp2p/gossip-budget.js'

function clockedBudget (init: { burst: number, perSecond: number, maxPeers?: number }) {
  let now = 0
  const budget = new GossipBudget({ ...init, now: () => now })
  return { budget, advance: (ms: number) => { now += ms } }
}

const takeMany = (budget: GossipBudget, peer: string, n: number): number =>
  Array.from({ length: n }, () => budget.take(peer)).filter(Boolean).length

test('an author may send its burst at once, then what the rate refills', t => {
  const { budget, advance } = clockedBudget({ burst: 10, perSecond: 5 })
  t.is(takeMany(budget, 'A', 25), 10, 'the burst, then nothing')
  advance(1000)
  t.is(takeMany(budget, 'A', 25), 5, 'one second refills five')
  advance(60_000)
  t.is(takeMany(budget, 'A', 25), 10, 'a long quiet spell refills no more than the burst')
})

test('each author has its own budget', t => {
  const { budget } = clockedBudget({ burst: 3, perSecond: 1 })
  t.is(takeMany(budget, 'flooder', 100), 3)
  t.is(takeMany(budget, 'member', 3), 3, 'another author is not held back by the flood')
})

test('the authors remembered are bounded; a forgotten one starts afresh', t => {
  const { budget } = clockedBudget({ burst: 2, perSecond: 0, maxPeers: 2 })
  t.is(takeMany(budget, 'A', 5), 2)
  budget.take('B')
  budget.take('C') // A, the longest unheard, is forgotten
  t.is(takeMany(budget, 'A', 5), 2)
})
