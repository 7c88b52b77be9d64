import test from 'ava'
import type { JobsMessage, ResultClaim, UnitTicket } from '../../../protocols/jobs/index.js'
import { quietConfig as config } from './farm.js'
import { JobsMesh, simpleJob } from './mesh.js'

/** The test mesh's stand-in for a signature: a summary `<unit>@<worker>` is that worker's word for that unit. */
const vouched = (claim: ResultClaim): string | undefined => {
  const match = /^([^@]+)@([^@#]+)$/.exec(claim.summary)
  return match?.[1] === claim.unitId ? match[2] : undefined
}

/**
 * s submits 40 units of 200 ms; w1 (leads) and w2 bid and run them. `liar`, a peer with no build slots (it never bid:
 * the submitter takes no result in its name), steals w2's queue, reports the stolen units `held` to the leader every
 * 100 ms and sends the leader a result it signed itself for each: it ran none of them.
 */
function stealingLiar (): { mesh: JobsMesh, stolen: UnitTicket[] } {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, resultAuthor: vouched }, config)
  mesh.add('w1', { slots: 2, msPerCost: 1, resultAuthor: vouched }, config)
  mesh.add('w2', { slots: 2, msPerCost: 1, resultAuthor: vouched }, config)
  const stolen: UnitTicket[] = []
  mesh.drop = (_from, to, m: JobsMessage) => {
    if (to === 'liar' && m.type === 'stolen') stolen.push(...m.tickets)
    return false
  }
  mesh.input('s', p => { p.submitJob(simpleJob('j', 40, 200), mesh.now) })
  mesh.runUntil(400) // granted to w1 (equal bids: the smaller peer id), the units handed out, w2's queue full
  mesh.forge('liar', 'w2', { type: 'steal', want: 64 })
  mesh.runUntil(mesh.now + 5)
  for (let at = mesh.now; at < 3000; at += 100) {
    mesh.runUntil(at)
    for (const { jobId, unitId, leader, term } of stolen) {
      mesh.forge('liar', leader, { type: 'held', jobId, term, units: stolen.map(x => x.unitId) })
      mesh.forge('liar', leader, { type: 'result', jobId, unitId, ok: true, summary: `${unitId}@liar` })
    }
  }
  return { mesh, stolen }
}

test('a leader hears no report or result from a peer that never bid: a slot-less thief gets no honest leader deposed', t => {
  const { mesh, stolen } = stealingLiar()
  t.true(stolen.length > 0, 'w2 gave the liar tickets')
  t.deepEqual(mesh.commandsOf('forgedResult'), [], 'the leader passed on nothing the submitter refuses')
  mesh.runUntil(20_000)
  t.deepEqual(mesh.commandsOf('granted').map(c => (c.command as { leader: string }).leader), ['w1'], 'w1 leads throughout')
  const completed = mesh.commandsOf('jobCompleted').map(c => [...(c.command as { results: ReadonlyMap<string, string> }).results.values()])
  t.is(completed.length, 1)
  t.deepEqual(completed[0]?.filter(summary => !/@w[12]$/.test(summary)), [], 'every result is a bidder\'s own')
  const ranStolen = mesh.commandsOf('runUnit').filter(c => stolen.some(x => x.unitId === (c.command as { unitId: string }).unitId))
  t.true(ranStolen.length >= stolen.length, 'each stolen unit was handed out again and run by a bidder')
})
