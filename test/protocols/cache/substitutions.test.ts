import test from 'ava'
import { MAX_FORGIVEN_SUBSTITUTIONS, Substitutions } from '../../../protocols/cache/substitutions.js'

const WINDOW = 600_000
const keys = (n: number): string[] => Array.from({ length: n }, (_, i) => `k${i}`)

test('a provider that rebuilt entries is forgiven each key once, up to the cap per window', t => {
  const substitutions = new Substitutions(WINDOW)
  t.true(keys(MAX_FORGIVEN_SUBSTITUTIONS).every((key, i) => substitutions.forgive('a', key, i)), 'rebuilt since it announced them')
  t.false(substitutions.forgive('a', 'one-more', 100), 'past the cap: a forger baiting')
  t.true(substitutions.forgive('b', 'k0', 100), 'another provider has its own window')
})

test('the same key substituted twice in a window is not forgiven the second time', t => {
  const substitutions = new Substitutions(WINDOW)
  t.true(substitutions.forgive('a', 'k', 0))
  t.false(substitutions.forgive('a', 'k', 1000))
})

test('a new window forgives again', t => {
  const substitutions = new Substitutions(WINDOW)
  for (const key of keys(MAX_FORGIVEN_SUBSTITUTIONS + 1)) substitutions.forgive('a', key, 0)
  t.false(substitutions.forgive('a', 'k0', WINDOW - 1))
  t.true(substitutions.forgive('a', 'k0', WINDOW))
})
