import test from 'ava'
import { Pacer } from '../../src/tui/pacer.js'
import { fakeClock } from './fake-clock.js'

/** A pacer of `windowMs` (and `holdMs`) on a fake clock, and the times it told at. */
function paced (windowMs: number, holdMs?: number): { pacer: Pacer, told: number[], clock: ReturnType<typeof fakeClock> } {
  const clock = fakeClock()
  const told: number[] = []
  const pacer = new Pacer(windowMs, () => { told.push(clock.now()) }, clock, holdMs)
  return { pacer, told, clock }
}

test('a change after a quiet spell is told at once', t => {
  const { pacer, told, clock } = paced(80)
  clock.advanceTo(1000)
  pacer.changed()
  t.deepEqual(told, [1000])
  clock.advanceTo(1080)
  pacer.changed()
  t.deepEqual(told, [1000, 1080], 'a whole window after the last telling is a quiet spell too')
})

test('a burst is told twice: its first change at once, the rest together one window later', t => {
  const { pacer, told, clock } = paced(80)
  for (let i = 0; i < 50; i++) pacer.changed()
  t.deepEqual(told, [0])
  clock.advanceTo(1000)
  t.deepEqual(told, [0, 80])
})

test('a steady change every 50 ms in a window of 80 ms is told once per two changes, each within the window', t => {
  const { pacer, told, clock } = paced(80)
  const changes: number[] = []
  for (let at = 0; at <= 950; at += 50) {
    clock.advanceTo(at)
    changes.push(at)
    pacer.changed()
  }
  clock.advanceTo(2000)
  t.deepEqual(told, [0, 110, 210, 310, 410, 510, 610, 710, 810, 910, 1010], 'a change waits 60 ms for the next')
  for (const at of changes) t.true(told.some(when => when >= at && when - at <= 60), `the change at ${at} is told within 60 ms`)
})

test('a change soon after a telling waits out the window, and tellings stay a window apart', t => {
  const { pacer, told, clock } = paced(80)
  pacer.changed()
  clock.advanceTo(10)
  pacer.changed()
  clock.advanceTo(100)
  t.deepEqual(told, [0, 80], 'told when the window since the last telling ended: 70 ms after the change')
  clock.advanceTo(150)
  pacer.changed()
  clock.advanceTo(300)
  t.deepEqual(told, [0, 80, 210], 'a change 70 ms after a telling waits its 60 ms')
  const held = paced(80, 20)
  held.pacer.changed()
  held.clock.advanceTo(70)
  held.pacer.changed()
  held.clock.advanceTo(200)
  t.deepEqual(held.told, [0, 90], 'a hold of 20 ms')
})

test('flush tells at once and cancels the telling that was due; a window of 0 tells every change', t => {
  const { pacer, told, clock } = paced(80)
  pacer.changed()
  pacer.changed()
  pacer.flush()
  clock.advanceTo(1000)
  t.deepEqual(told, [0, 0])
  const unpaced = paced(0)
  for (let i = 0; i < 3; i++) unpaced.pacer.changed()
  t.is(unpaced.told.length, 3)
})
