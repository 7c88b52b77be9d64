import test from 'ava'
import { BoundedMap } from '../../../protocols/jobs/bounded.js'
import { JobsMesh } from './mesh.js'

test('a bounded map forgets its oldest entries past its cap', t => {
  const map = new BoundedMap<string, number>(3)
  for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) map.set(k, i)
  t.false(map.has('a'))
  t.deepEqual([...map.values()], [1, 2, 3])
  map.set('b', 9) // a key already there keeps its place: it is still the oldest
  map.set('e', 4)
  t.deepEqual([...map.values()], [2, 3, 4])
  t.is(map.size, 3)
})

test('a submitter remembers the outcome of its last 1,024 jobs, not every job it ever ran', t => {
  const mesh = new JobsMesh()
  const s = mesh.add('s', { slots: 0 })
  for (let i = 0; i < 1100; i++) {
    mesh.input('s', p => { p.submitJob({ jobId: `j${i}`, units: [{ id: 'u', dependsOn: [], cost: 1, payload: '' }] }, mesh.now) })
    mesh.input('s', p => { p.cancelJob(`j${i}`, mesh.now) })
  }
  t.is(s.submitter.outcomeOf('j0'), undefined)
  t.is(s.submitter.outcomeOf('j1099'), false)
})
