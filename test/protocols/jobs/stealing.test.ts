import test from 'ava'
import { farm } from './farm.js'

test('a victim with nothing to give answers a steal at once with no tickets, so the thief can ask another', t => {
  const mesh = farm()
  mesh.forge('thief', 'w1', { type: 'steal', want: 4 })
  mesh.runUntil(10)
  const answers = mesh.sent.filter(s => s.from === 'w1' && s.to === 'thief').map(s => s.message)
  t.deepEqual(answers, [{ type: 'stolen', tickets: [] }])
})
