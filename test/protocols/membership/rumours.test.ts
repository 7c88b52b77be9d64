import test from 'ava'
import { Xoshiro128 } from '../../../protocols/core/index.js'
import { Membership } from '../../../protocols/membership/index.js'
import { MAX_VOUCHED_PINGS } from '../../../protocols/membership/anti-entropy.js'
import { Driven, gossip, record } from './fixtures.js'
import type { Sent } from './fixtures.js'

const HONEST = ['b', 'c', 'd']
const made = Array.from({ length: 20 }, (_, i) => `made-up-${i}`)

/**
 * Runs `a` until `until`, its honest members heartbeating every 2 s and acking its probes at once; returns what
 * it sent and published.
 */
function run (a: Driven, until: number): { sent: Sent[], published: string[] } {
  const sent: Sent[] = []
  const published: string[] = []
  for (let step = 1, at = a.now + 500; at <= until; step++, at += 500) {
    a.advance(at)
    if (step % 4 === 0) for (const peer of HONEST) a.receive(peer, gossip(record(peer, 'alive')), at)
    for (const s of a.takeSent()) {
      sent.push(s)
      if (s.message.type === 'ping' && HONEST.includes(s.to)) a.receive(s.to, { type: 'ack', seq: s.message.seq, subject: s.to, incarnation: 0, load: record(s.to, 'alive').load }, at)
    }
    published.push(...a.takePublished().map(r => `${r.peer}:${r.status}`))
  }
  return { sent, published }
}

test('members made up in one gossip message are let go unannounced: no suspicion or death published, one direct probe each at most', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  for (const peer of HONEST) a.receive(peer, gossip(record(peer, 'alive')), 1)
  a.receive('b', gossip(...made.map(peer => record(peer, 'alive'))), 10)
  t.is(a.m.view.liveCount, HONEST.length + made.length, 'taken as rumours')
  const { sent, published } = run(a, 300_000)
  t.deepEqual(published.filter(r => r.startsWith('made-up')), [], 'nothing about them is published')
  for (const peer of made) t.true(sent.filter(s => s.to === peer).length <= 1, `${peer}: at most one probe, no verdict ping nor reconnect probe`)
  t.deepEqual(sent.filter(s => s.message.type === 'ping-req' && s.message.target.startsWith('made-up')), [], 'and nobody is asked to probe them')
  t.deepEqual(made.filter(peer => a.m.view.isLive(peer)), [], 'they are held live no more')
  t.deepEqual(published.filter(r => !r.endsWith(':alive')), [], 'and the honest members are not suspected')
  // nor do they come back from a member that still holds them: the rumour would go round again
  a.receive('c', { type: 'welcome', part: 0, parts: 1, members: made.map(peer => record(peer, 'alive')) }, a.now + 1)
  t.deepEqual(made.filter(peer => a.m.view.isLive(peer)), [])
  const pinged = a.takeSent().filter(s => s.to.startsWith('made-up'))
  t.true(pinged.length <= MAX_VOUCHED_PINGS, 'they cost at most MAX_VOUCHED_PINGS pings per welcome part')
  t.true(pinged.every(s => s.message.type === 'ping' && s.message.about === undefined), 'with no verdict to refute: it is a\'s word alone')
})

test('a real member let go as a rumour (its probe was lost) is pinged when a pull shows it alive, and its answer brings it back', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  for (const peer of HONEST) a.receive(peer, gossip(record(peer, 'alive')), 1)
  a.receive('b', gossip(record('z', 'alive', 7)), 10)
  const { published } = run(a, 60_000)
  t.deepEqual([a.m.view.get('z')?.status, a.m.view.get('z')?.dropped], ['dead', true], 'z never answered: let go')
  a.receive('c', { type: 'welcome', part: 0, parts: 1, members: [record('c', 'alive'), record('z', 'alive', 7)] }, a.now + 1)
  const ping = a.takeSent().find(s => s.to === 'z')
  t.true(ping?.message.type === 'ping' && ping.message.about === undefined)
  const seq = ping?.message.type === 'ping' ? ping.message.seq : -1
  a.receive('z', { type: 'ack', seq, subject: 'z', incarnation: 7, load: record('z', 'alive').load }, a.now + 10)
  t.deepEqual([a.m.view.get('z')?.status, a.m.view.get('z')?.incarnation, a.m.view.get('z')?.confirmed], ['alive', 7, true])
  t.deepEqual([...published, ...a.takePublished().map(r => r.peer)].filter(r => r.startsWith('z')), [], 'nothing about z was ever published')
})

test('a rumour heard from directly is a member like any other: suspected and declared dead when it goes silent', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  for (const peer of HONEST) a.receive(peer, gossip(record(peer, 'alive')), 1)
  a.receive('b', gossip(record('z', 'alive')), 10)
  a.receive('z', gossip(record('z', 'alive')), 20)
  const { published } = run(a, 120_000)
  t.deepEqual(published.filter(r => r.startsWith('z:')), ['z:suspect', 'z:dead'])
})

test('the sweep suspects the members gone silent in one publication', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  const silent = ['b', 'c', 'd', 'e', 'f']
  for (const peer of silent) a.receive(peer, gossip(record(peer, 'alive')), 1)
  a.takePublishedMessages()
  a.fire('sweep', 60_000)
  const messages = a.takePublishedMessages()
  t.is(messages.length, 1)
  t.deepEqual(messages.flatMap(m => m.type === 'gossip' ? m.updates.map(r => `${r.peer}:${r.status}`) : []), silent.map(peer => `${peer}:suspect`))
})

test('records about names the node does not take for peer ids are refused', t => {
  const a = new Driven(new Membership({ self: 'peer-a', seeds: [], random: new Xoshiro128(1), isPeerId: peer => peer.startsWith('peer-') })).start(0)
  a.receive('peer-b', gossip(record('peer-b', 'alive'), record('peer-x', 'alive'), record('made-up', 'alive'), record('junk', 'dead')), 10)
  t.deepEqual([...a.m.view.members()].map(m => m.peer), ['peer-b', 'peer-x'])
  t.is(a.m.incredible, 2)
})
