import test from 'ava'
import { InvalidJobError, bottomLevels, jobBounds, topologicalOrder } from '../../../protocols/jobs/index.js'

const unit = (id: string, dependsOn: string[] = [], cost = 1): { id: string, dependsOn: string[], cost: number, payload: string } => ({ id, dependsOn, cost, payload: '' })

test('units come out dependencies first', t => {
  const order = topologicalOrder([unit('c', ['a', 'b']), unit('b', ['a']), unit('a')]).map(u => u.id)
  t.deepEqual(order, ['a', 'b', 'c'])
})

test('cycles, unknown dependencies, duplicates, bad costs and empty jobs are refused by name', t => {
  t.throws(() => topologicalOrder([unit('a', ['b']), unit('b', ['a'])]), { instanceOf: InvalidJobError, message: /cycle/ })
  t.throws(() => topologicalOrder([unit('a', ['zz'])]), { instanceOf: InvalidJobError, message: /unknown unit zz/ })
  t.throws(() => topologicalOrder([unit('a'), unit('a')]), { instanceOf: InvalidJobError, message: /twice/ })
  t.throws(() => topologicalOrder([unit('a', [], -1)]), { instanceOf: InvalidJobError, message: /cost/ })
  t.throws(() => topologicalOrder([]), { instanceOf: InvalidJobError })
})

test('bottom levels are the longest remaining path; bounds are total work and critical path', t => {
  const units = [unit('a', [], 2), unit('b', ['a'], 5), unit('c', ['a'], 1), unit('d', ['b', 'c'], 3)]
  const levels = bottomLevels(topologicalOrder(units))
  t.deepEqual(Object.fromEntries(levels), { a: 10, b: 8, c: 4, d: 3 })
  t.deepEqual(jobBounds(units), { totalCost: 11, criticalPath: 10 })
})

test('a payload is measured in UTF-8 bytes against the 4 KiB wire limit, not in characters against a quarter of it', t => {
  const withPayload = (payload: string): Array<{ id: string, dependsOn: string[], cost: number, payload: string }> => [{ ...unit('a'), payload }]
  t.is(topologicalOrder(withPayload('x'.repeat(4096))).length, 1)
  t.throws(() => topologicalOrder(withPayload('x'.repeat(4097))), { instanceOf: InvalidJobError, message: /4097 bytes, over the limit of 4096/ })
  t.throws(() => topologicalOrder(withPayload('é'.repeat(2049))), { instanceOf: InvalidJobError, message: /4098 bytes/ })
})
