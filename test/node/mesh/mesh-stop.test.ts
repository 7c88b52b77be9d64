import test from 'ava'
import { stopInOrder } from '../../../node/mesh/mesh.js'

test('a part that fails to stop does not keep the parts after it running, and its failure is thrown after all stopped', async t => {
  const stopped: string[] = []
  const part = (name: string, fails = false): { stop: () => Promise<void> } => ({
    stop: async () => {
      stopped.push(name)
      if (fails) throw new Error(`${name} failed`)
    }
  })
  const err = await t.throwsAsync(stopInOrder([part('jobs', true), undefined, part('membership'), part('cache'), part('libp2p')]))
  t.is(err?.message, 'jobs failed')
  t.deepEqual(stopped, ['jobs', 'membership', 'cache', 'libp2p'], 'libp2p is stopped all the same')
})

test('several failures are thrown together, each named', async t => {
  const failing = (name: string): { stop: () => void } => ({ stop: () => { throw new Error(name) } })
  const err = await t.throwsAsync(stopInOrder([failing('jobs'), failing('cache')]), { instanceOf: AggregateError })
  t.deepEqual((err as AggregateError).errors.map((e: Error) => e.message), ['jobs', 'cache'])
})

test('parts that stop cleanly stop in the order given', async t => {
  const stopped: number[] = []
  await stopInOrder([1, 2, 3].map(n => ({ stop: () => { stopped.push(n) } })))
  t.deepEqual(stopped, [1, 2, 3])
})
