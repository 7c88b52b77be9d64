import test from 'ava'
import type { JobsMessage, UnitTicket } from '../../../protocols/jobs/index.js'
import { MAX_ASKS_PER_SENDER } from '../../../protocols/jobs/asks.js'
import { farm, quietConfig } from './farm.js'
import { liveView } from './mesh.js'
import type { JobsMesh } from './mesh.js'

/** A made-up peer id of the canonical Ed25519 shape (52 chars), different for each i. */
const fakeId = (i: number): string => `12D3KooW${i.toString(36).padStart(44, 'A')}`

const ticket = (jobId: string, submitter: string, leader: string): UnitTicket =>
  ({ jobId, unitId: 'u', submitter, leader, term: 1, dependsOn: [], cost: 1, payload: '', index: 0, proof: [] })

/** The farm plus w3, which runs anyone's builds (the default trust: any member), with membership's view if `withView`. */
function farmWithW3 (withView: boolean): JobsMesh {
  const mesh = farm()
  mesh.add('w3', { slots: 2, msPerCost: 1, ...(withView ? { view: liveView(mesh, 'w3') } : {}) }, quietConfig)
  mesh.runUntil(50)
  return mesh
}

const bidsOf = (mesh: JobsMesh, from: string, since: number): Array<{ to: string }> =>
  mesh.sent.slice(since).filter(s => s.from === from && s.message.type === 'bid')

test('one assign of tickets of thousands of jobs is rejected, and makes the worker ask nobody', t => {
  const mesh = farmWithW3(false)
  const message: JobsMessage = { type: 'assign', tickets: Array.from({ length: 8000 }, (_, i) => ticket(`j${i}`, fakeId(i), 'x')) }
  const before = mesh.sent.length
  mesh.forge('x', 'w3', message)
  mesh.runUntil(60)
  t.deepEqual(mesh.verdicts.filter(v => v.from === 'x').map(v => v.verdict), ['reject'])
  t.deepEqual(bidsOf(mesh, 'w3', before), [])
})

test('tickets naming submitters that are no live member make a worker with a membership view ask none of them', t => {
  const mesh = farmWithW3(true)
  const before = mesh.sent.length
  for (let i = 0; i < 100; i++) mesh.forge('x', 'w3', { type: 'assign', tickets: [ticket(`j${i}`, fakeId(i), 'x')] })
  mesh.runUntil(60)
  t.deepEqual(bidsOf(mesh, 'w3', before), [])
  t.true(mesh.verdicts.filter(v => v.from === 'x').every(v => v.verdict === 'accept'), 'skipped, as a ticket of an unknown job is')
})

test('one sender\'s tickets make a worker ask a live submitter at most MAX_ASKS_PER_SENDER times per announceRetryMs', t => {
  const mesh = farmWithW3(true)
  const retryMs = mesh.node('w3').config.announceRetryMs
  const before = mesh.sent.length
  for (let i = 0; i < 20; i++) mesh.forge('x', 'w3', { type: 'assign', tickets: [ticket(`k${i}`, 's', 'x')] })
  mesh.forge('y', 'w3', { type: 'assign', tickets: [ticket('y0', 's', 'y')] })
  mesh.runUntil(60)
  const first = bidsOf(mesh, 'w3', before)
  t.is(first.length, MAX_ASKS_PER_SENDER + 1, "x's first asks, and y's own")
  t.true(first.every(b => b.to === 's'))
  t.is(mesh.node('w3').worker.asks.refused, 20 - MAX_ASKS_PER_SENDER)
  const later = mesh.sent.length
  mesh.runUntil(60 + retryMs)
  for (let i = 20; i < 40; i++) mesh.forge('x', 'w3', { type: 'assign', tickets: [ticket(`k${i}`, 's', 'x')] })
  mesh.runUntil(61 + retryMs)
  t.is(bidsOf(mesh, 'w3', later).length, MAX_ASKS_PER_SENDER, 'a new window, as many again')
})

test('announces gossiped by keys that are no live member get no bid and leave the book as it was; a member\'s gets one', t => {
  const mesh = farmWithW3(true)
  const before = mesh.sent.length
  const root = new Uint8Array(32)
  for (let i = 0; i < 100; i++) mesh.forge(fakeId(i), 'w3', { type: 'announce', jobId: `a${i}`, units: 1, root }, true)
  mesh.forge('s', 'w3', { type: 'announce', jobId: 'real', units: 1, root }, true)
  mesh.runUntil(60)
  t.deepEqual(bidsOf(mesh, 'w3', before).map(b => b.to), ['s'])
  t.is(mesh.node('w3').book.size, 1)
})
