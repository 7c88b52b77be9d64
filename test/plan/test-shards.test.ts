import test from 'ava'
import { shardOfClass, splitIntoShards, topLevelClass } from '../../src/plan/test-shards.js'

const CLASSES = [
  { name: 'p.A', weight: 5 }, { name: 'p.B', weight: 4 }, { name: 'p.C', weight: 3 }, { name: 'p.D', weight: 3 }, { name: 'p.E', weight: 1 }
]

test('shards get similar weights, each class exactly once, never an empty shard', t => {
  const { salt, groups } = splitIntoShards(CLASSES, 2)
  t.is(groups.length, 2)
  t.deepEqual(groups.flat().sort(), CLASSES.map(c => c.name))
  const weights = groups.map(group => group.reduce((sum, name) => sum + (CLASSES.find(c => c.name === name)?.weight ?? 0), 0))
  t.deepEqual([...weights].sort(), [8, 8], 'as even as 16 splits')
  for (const [index, group] of groups.entries()) for (const name of group) t.is(shardOfClass(name, salt, 2), index, 'where the hash puts it')
  t.is(splitIntoShards(CLASSES.slice(0, 2), 5).groups.length, 2, 'no more shards than classes')
  t.true(splitIntoShards(CLASSES.slice(0, 2), 5).groups.every(group => group.length === 1))
  t.deepEqual(splitIntoShards(CLASSES, 1).groups, [CLASSES.map(c => c.name)])
  t.deepEqual(splitIntoShards([], 3).groups, [])
  t.throws(() => splitIntoShards(CLASSES, 0), { instanceOf: RangeError })
})

test('a class the planner never saw still has a shard: the hash of its name, nested classes with their outer class', t => {
  for (const count of [2, 3, 7]) {
    const shard = shardOfClass('p.UnseenParameterizedTest', 3, count)
    t.true(shard >= 0 && shard < count)
    t.is(shardOfClass('p.UnseenParameterizedTest$Nested', 3, count), shard)
    t.is(shardOfClass('p.UnseenParameterizedTest', 3, count), shard, 'the same every time')
  }
  t.is(topLevelClass('p.Outer$Inner$Deeper'), 'p.Outer')
})

test('two hundred classes of mixed weight split into four shards within a tenth of the even share', t => {
  const many = Array.from({ length: 200 }, (_, i) => ({ name: `com.example.generated.Scenario${i}Test`, weight: 1 + (i % 7) }))
  const total = many.reduce((sum, c) => sum + c.weight, 0)
  const started = performance.now()
  const { groups } = splitIntoShards(many, 4)
  t.log(`split in ${(performance.now() - started).toFixed(0)} ms`)
  const heaviest = Math.max(...groups.map(group => group.reduce((sum, name) => sum + (many.find(c => c.name === name)?.weight ?? 0), 0)))
  t.true(heaviest <= Math.ceil(total / 4 * 1.1), `heaviest ${heaviest} of ${total}`)
})
