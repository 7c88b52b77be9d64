import test from 'ava'
import { Engine, EventKind } from '../../sim/engine/index.js'
import type { SimEvent } from '../../sim/engine/index.js'
import { FaultState } from '../../sim/network/index.js'
import { TimerBook, readyUnderFaults } from '../../sim/node-events.js'
import type { NodeTimers } from '../../sim/node-events.js'

/** Runs the engine to `until` and returns the keys of the timers a node actually heard. */
function heard (engine: Engine, book: TimerBook, timers: NodeTimers, until: number): string[] {
  const keys: string[] = []
  engine.runUntil(until, { handle: (event: SimEvent) => { const key = book.take(timers, event); if (key !== undefined) keys.push(`${key}@${engine.now}`) } })
  return keys
}

test('a timer set again or cancelled fires only as last set, and never twice', t => {
  const engine = new Engine(1)
  const book = new TimerBook(engine)
  const timers: NodeTimers = new Map()
  book.set(timers, 0, 'probe', 100)
  book.set(timers, 0, 'probe', 300)
  book.set(timers, 0, 'sweep', 200)
  timers.delete('sweep')
  book.set(timers, 0, 'late', -5)
  t.deepEqual(heard(engine, book, timers, 1000), ['late@0', 'probe@300'])
  t.is(timers.size, 0)
})

test('a down node handles nothing, a paused one keeps events for later, a slow one handles each once, late', t => {
  const engine = new Engine(2)
  const faults = new FaultState(3)
  const pending: SimEvent[] = []
  const at = (node: number): SimEvent => { const e = engine.event(10, EventKind.deliver); e.node = node; return e }
  faults.up[0] = 0
  t.false(readyUnderFaults(at(0), faults, engine, pending))
  faults.paused[1] = 1
  const kept = at(1)
  t.false(readyUnderFaults(kept, faults, engine, pending))
  t.deepEqual(pending, [kept])
  faults.slowMs[2] = 40
  const slow = at(2)
  t.false(readyUnderFaults(slow, faults, engine, pending), 'first pass: requeued')
  t.is(engine.queue.peekTime(), 50)
  t.true(readyUnderFaults(slow, faults, engine, pending), 'second pass: handled')
})
