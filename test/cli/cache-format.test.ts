import test from 'ava'
import { describeResult, describeStats } from '../../src/cli/cache-format.js'

const store = { entries: 23, bytes: 1536, hits: 279, misses: 12, evictions: 2, puts: 40, quarantined: 0, quarantinePruned: 0, maxBytes: 1024 * 1024 }

test('cache stats tells the store\'s reads from Gradle\'s GETs, under labels, in one column', t => {
  t.is(describeStats(store, { hits: 14, misses: 9 }), [
    'entries      23 (1.5 KiB of 1.0 MiB)',
    'Gradle GETs  14 hits, 9 misses (hit rate 61%; what gmesh status shows)',
    'store reads  279 hits, 12 misses (Gradle GETs, peers served, snapshots)',
    'stored       40 puts, 2 evictions',
    'quarantined  0 blobs failed verification, 0 older ones deleted',
    'counters     since the node started',
    ''
  ].join('\n'))
})

test('cache stats without a running node has no Gradle GETs and says where its counters start', t => {
  const text = describeStats({ ...store, hits: 0, misses: 0 }, undefined)
  t.notRegex(text, /Gradle GETs {2}/)
  t.regex(text, /^store reads {2}0 hits, 0 misses/m)
  t.regex(text, /^counters {5}no node runs: counted since this command opened the store$/m)
  t.notRegex(text, /\b[a-z]+[A-Z][a-z]+/, 'no camelCase field names')
})

test('cache gc and verify label their fields in one column', t => {
  t.is(describeResult({ evicted: 4, freedBytes: 409600 }), 'evicted entries  4\nfreed            400.0 KiB\n')
  t.is(describeResult({ checked: 6, quarantined: 0 }), 'checked blobs      6\nquarantined blobs  0\n')
})
