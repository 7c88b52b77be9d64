import test from 'ava'
import { HotBlobs } from '../../src/cas/hot-blobs.js'

const bytes = (n: number, fill = 1): Buffer => Buffer.alloc(n, fill)

test('a kept blob is served while its file keeps the stamp it was read with', t => {
  const hot = new HotBlobs(1024)
  hot.set('a', 'stamp-1', bytes(100))
  t.deepEqual(hot.get('a', 'stamp-1'), bytes(100))
  t.is(hot.get('b', 'stamp-1'), undefined, 'never kept')
})

test('a blob whose file changed is dropped and its bytes no longer count', t => {
  const hot = new HotBlobs(1024)
  hot.set('a', 'stamp-1', bytes(100))
  t.is(hot.get('a', 'stamp-2'), undefined)
  t.is(hot.get('a', 'stamp-1'), undefined, 'dropped, not kept for the old stamp')
  t.is(hot.bytes, 0)
  t.is(hot.count, 0)
})

test('past the budget the least recently used blobs go first', t => {
  const hot = new HotBlobs(300)
  hot.set('a', 's', bytes(100, 1))
  hot.set('b', 's', bytes(100, 2))
  hot.set('c', 's', bytes(100, 3))
  t.truthy(hot.get('a', 's'), 'a is now the most recently used')
  hot.set('d', 's', bytes(100, 4))
  t.is(hot.get('b', 's'), undefined)
  t.deepEqual([hot.get('a', 's'), hot.get('c', 's'), hot.get('d', 's')].map(b => b?.[0]), [1, 3, 4])
  t.is(hot.bytes, 300)
})

test('a blob bigger than the whole budget is not kept, and a zero budget keeps nothing', t => {
  const small = new HotBlobs(50)
  small.set('a', 's', bytes(100))
  t.is(small.get('a', 's'), undefined)
  const none = new HotBlobs(0)
  none.set('a', 's', bytes(1))
  t.is(none.count, 0)
})

test('keeping a blob again replaces its old copy and forget drops it', t => {
  const hot = new HotBlobs(1024)
  hot.set('a', 's1', bytes(100))
  hot.set('a', 's2', bytes(200))
  t.is(hot.bytes, 200)
  hot.forget('a')
  t.is(hot.bytes, 0)
  t.is(hot.get('a', 's2'), undefined)
})
