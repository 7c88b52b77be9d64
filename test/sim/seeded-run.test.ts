import test from 'ava'
import { SeededRunError, withSeed } from '../../sim/seeded-run.js'

test('a run that throws is rethrown naming its seed, the replay command and the first error', t => {
  const boom = new RangeError('index 9 out of range')
  const err = t.throws(() => withSeed(41, 'gmesh sim --scenario swarm --nodes 200 --seed 41 --duration 180', () => { throw boom }), { instanceOf: SeededRunError })
  t.is(err?.message, 'run with seed 41 threw RangeError: index 9 out of range; replay: gmesh sim --scenario swarm --nodes 200 --seed 41 --duration 180')
  t.is(err?.seed, 41)
  t.is(err?.cause, boom)
})

test('a run no command line replays says to repeat the call with its seed', t => {
  const err = t.throws(() => withSeed(7, undefined, () => { throw new Error('broken variant') }), { instanceOf: SeededRunError })
  t.is(err?.message, 'run with seed 7 threw Error: broken variant; replay: the same call with the same seed')
})

test('a run that returns is left alone', t => {
  t.is(withSeed(7, undefined, () => 3), 3)
})
