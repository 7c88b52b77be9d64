import test from 'ava'
import { Engine } from '../../../sim/engine/index.js'
import { GOSSIPSUB_PROFILE, GossipModel } from '../../../sim/gossip.js'
import { JobsHarness } from '../../../sim/jobs/harness.js'
import { FaultState, LAN_PROFILE, Links } from '../../../sim/network/index.js'

const NODE = 2

function smallMesh (seed: number): { engine: Engine, faults: FaultState, harness: JobsHarness } {
  const engine = new Engine(seed)
  const faults = new FaultState(4)
  const harness = new JobsHarness(4, {
    engine, faults, links: new Links(4, LAN_PROFILE, engine.random), gossip: new GossipModel(GOSSIPSUB_PROFILE),
    slots: [0, 1, 1, 1], msPerCost: [1, 1, 1, 1], observer: { onSend: () => {}, onCommand: () => {} }
  })
  harness.startAll()
  return { engine, faults, harness }
}

test('two overlapping pauses of one node hold it until the later one ends, and each stop and restart disturbs it', t => {
  const { engine, faults, harness } = smallMesh(1)
  const seen: Array<[number, number, number]> = []
  const look = (): void => { seen.push([engine.now, faults.paused[NODE] as number, faults.disturbedAt[NODE] as number]) }
  engine.at(1000, () => { harness.pause(NODE) })
  engine.at(1500, () => { harness.pause(NODE) })
  engine.at(3000, () => { harness.resume(NODE) })
  engine.at(3500, () => { harness.resume(NODE) })
  for (const at of [1100, 3100, 3600]) engine.at(at, look)
  engine.runUntil(4000, harness)
  t.deepEqual(seen, [[1100, 1, 1000], [3100, 1, 1000], [3600, 0, 3500]], '[time, paused, disturbed at]')
  t.is(harness.injected.pauses, 1, 'one stop of the node')
})

test('when faults end every pause ends, however many overlap', t => {
  const { engine, faults, harness } = smallMesh(2)
  engine.at(1000, () => { harness.pause(NODE) })
  engine.at(1500, () => { harness.pause(NODE) })
  engine.runUntil(2000, harness)
  harness.resumeAll()
  t.is(faults.paused[NODE], 0)
  t.is(faults.disturbedAt[NODE], 2000)
  harness.pause(NODE)
  t.is(faults.paused[NODE], 1, 'a later pause stops it again')
})
