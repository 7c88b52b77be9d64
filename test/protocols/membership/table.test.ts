import test from 'ava'
import { MemberTable } from '../../../protocols/membership/index.js'
import type { MemberRecord, MemberStatus } from '../../../protocols/membership/index.js'

const load = { capacity: 4, running: 0, queued: 0, cacheBytes: 0 }
const record = (peer: string, status: MemberStatus, incarnation = 0): MemberRecord => ({ peer, status, incarnation, load })

test('a full table makes room for a newcomer by forgetting its oldest tombstone', t => {
  const table = new MemberTable(3)
  table.apply(record('old-dead', 'dead'), 10)
  table.apply(record('new-dead', 'dead'), 20)
  table.apply(record('alive', 'alive'), 30)
  t.is(table.apply(record('newcomer', 'alive'), 40), 'new')
  t.is(table.get('old-dead'), undefined)
  t.is(table.get('new-dead')?.status, 'dead')
  t.deepEqual([table.size, table.deadCount, table.aliveCount], [3, 1, 2])
})

test('a table full of live members refuses a newcomer and counts it, leaving the others as they were', t => {
  const table = new MemberTable(2)
  table.apply(record('a', 'alive'), 0)
  table.apply(record('b', 'suspect'), 0)
  const digest = table.aliveDigest
  t.is(table.apply(record('forged', 'alive'), 1), 'full')
  t.is(table.get('forged'), undefined)
  t.is(table.refused, 1)
  t.deepEqual([table.size, table.liveCount, table.aliveDigest], [2, 2, digest])
  t.is(table.apply(record('b', 'alive', 1), 2), 'status', 'members already held still take news')
})

test('reaping forgets only tombstones older than the cut-off, and a forgotten member can return alive', t => {
  const table = new MemberTable()
  for (const [peer, since] of [['d1', 100], ['d2', 500], ['d3', 200], ['d4', 900]] as const) {
    table.apply(record(peer, 'alive'), 0)
    table.apply(record(peer, 'dead'), since)
  }
  table.apply(record('live', 'alive'), 0)
  t.is(table.reapDead(501), 3)
  t.deepEqual([...table.values()].map(m => m.peer), ['d4', 'live'])
  t.is(table.deadAt(0)?.peer, 'd4', 'the dead list stays consistent after removals')
  t.is(table.apply(record('d1', 'alive'), 1000), 'new', 'a heartbeat of a forgotten member brings it back')
  t.is(table.aliveCount, 2)
})

test('the bucket digests of a table split its alive digest, and follow every status change', t => {
  const table = new MemberTable()
  const xor = (buckets: number[]): number => buckets.reduce((a, b) => (a ^ b) >>> 0, 0)
  for (let i = 0; i < 300; i++) table.apply(record(`n${i}`, i % 7 === 0 ? 'dead' : 'alive'), 0)
  t.is(table.aliveBuckets().length, 64)
  t.is(xor(table.aliveBuckets()), table.aliveDigest)
  const before = table.aliveBuckets()
  table.apply(record('n1', 'dead'), 1)
  t.is(xor(table.aliveBuckets()), table.aliveDigest)
  t.is(table.aliveBuckets().filter((digest, bucket) => digest !== before[bucket]).length, 1, 'one death changes one bucket')
  table.apply(record('n1', 'alive', 1), 2)
  t.deepEqual(table.aliveBuckets(), before)
})
