import test from 'ava'
import type { CacheInfo, NodeInfo } from '../../src/client/api-types.js'
import { TuiStore, type Snapshot } from '../../src/tui/store.js'
import { fakeJob, fakePeers } from './fake-api.js'
import { fakeClock } from './fake-clock.js'

const node: NodeInfo = { peerId: 'self', multiaddrs: [], httpUrl: 'http://127.0.0.1:1', cacheUrl: 'http://127.0.0.1:1/cache/', pid: 1, version: '0', startedAt: '', dataDir: '/d', uptimeMs: 1, rssBytes: 1 }
const cache: CacheInfo = { store: { entries: 0, bytes: 0, maxBytes: 1, hits: 0, misses: 0 }, http: { gets: 0, hits: 0, misses: 0, puts: 0, stored: 0 } }

/** A fresh snapshot as a poll would parse it: new objects every time. */
function poll (peerCount: number): Snapshot {
  const peers = fakePeers(peerCount)
  return structuredClone({ node, peers, jobs: [fakeJob('j', 10, peers.slice(0, 2).map(p => p.peerId))], cache })
}

test('a poll that brings the same peers and jobs keeps them as they were, so their views are not redrawn', t => {
  const store = new TuiStore({ batchMs: 0 })
  let notified = 0
  store.subscribe(() => { notified++ })
  store.applySnapshot(poll(200))
  const { peers, jobs } = store.snapshot
  store.applySnapshot(poll(200))
  t.is(store.snapshot.peers, peers)
  t.is(store.snapshot.jobs, jobs)
  t.is(notified, 2, 'listeners still hear of the poll (the cache history grew)')
  store.applySnapshot(poll(201))
  t.not(store.snapshot.peers, peers, 'a changed peer list replaces the old one')
  t.is(store.snapshot.peers.length, 201)
})

test('events streaming in every 50 ms are drawn once per two events, each within 60 ms', t => {
  // A window opened at each drawing drew every 80 ms here (13 times in this second, not 11), waits from 0 to 80 ms.
  const clock = fakeClock()
  const store = new TuiStore({ batchMs: 80, clock })
  const drawn: Array<{ at: number, events: number }> = []
  store.subscribe(() => { drawn.push({ at: clock.now(), events: store.snapshot.events.length }) })
  for (let id = 1; id <= 20; id++) {
    clock.advanceTo((id - 1) * 50)
    store.applyEvent({ id, time: 0, type: 'cache-gc', evicted: id, freedBytes: 0 })
  }
  clock.advanceTo(2000)
  t.deepEqual(drawn.map(d => d.at), [0, 110, 210, 310, 410, 510, 610, 710, 810, 910, 1010])
  t.deepEqual(drawn.map(d => d.events), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 20])
})
