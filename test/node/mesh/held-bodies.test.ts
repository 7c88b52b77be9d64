import test from 'ava'
import { HeldBodies } from '../../../node/mesh/held-bodies.js'

test('bodies are reserved within the budget only, and a held body keeps its reservation until dropped', t => {
  const held = new HeldBodies(10)
  t.true(held.reserve(6))
  t.false(held.reserve(5), 'past the budget: nothing reserved')
  t.is(held.reserved, 6)
  held.hold('k', new Uint8Array(6), 6)
  t.is(held.get('k')?.byteLength, 6)
  t.false(held.reserve(5), 'the held body still counts')
  t.true(held.drop('k'))
  t.false(held.drop('k'), 'dropped once')
  t.is(held.reserved, 0)
  t.true(held.reserve(10))
  held.release(10)
  t.is(held.reserved, 0, 'a reservation whose body was never held is given back')
})

test('a body held again under its key gives back the reservation of the one before; small bodies reserve nothing', t => {
  const held = new HeldBodies(10)
  t.true(held.reserve(4))
  held.hold('k', new Uint8Array(4), 4)
  held.hold('k', new Uint8Array(2), 0)
  t.is(held.reserved, 0)
  t.is(held.get('k')?.byteLength, 2)
  t.true(held.reserve(8))
  held.hold('other', new Uint8Array(8), 8)
  held.clear()
  t.is(held.reserved, 0)
  t.false(held.has('other'))
})
