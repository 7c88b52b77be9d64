import test from 'ava'
import { MAX_PAYLOAD_BYTES } from '../../../protocols/jobs/index.js'
import { decodeUnitPayload, encodeUnitPayload, InvalidUnitPayloadError, type UnitPayload } from '../../../node/jobs/unit-payload.js'

const SNAPSHOT = 'ab'.repeat(32)

const unit = {
  id: 'u-money_1',
  name: ':money:test [2/3]',
  project: ':money',
  run: [':money:test'],
  exclude: [':money:javadoc'],
  testFilters: ['com.example.money.CurrencyTest', 'com.example.money.RateTest'],
  shard: { testTask: ':money:test', index: 2, count: 3, salt: 17 }
}

/** A well-formed payload object, changed by `edit`, as it would come from the wire. */
function wire (edit: (payload: UnitPayload) => void): string {
  const payload = JSON.parse(encodeUnitPayload(SNAPSHOT, unit, 60_000)) as UnitPayload
  edit(payload)
  return JSON.stringify(payload)
}

test('a unit survives encode then decode, shard and filters included', t => {
  const text = encodeUnitPayload(SNAPSHOT, unit, 60_000)
  t.true(Buffer.byteLength(text) <= MAX_PAYLOAD_BYTES)
  t.deepEqual(decodeUnitPayload(text), { v: 1, snapshot: SNAPSHOT, unit, timeoutMs: 60_000 })
})

test('a unit without a shard decodes without one, and the extra fields of a planned unit are not sent', t => {
  const { shard: _shard, ...plain } = unit
  const text = encodeUnitPayload(SNAPSHOT, { ...plain, tasks: [':money:compileJava'], dependsOn: ['other'] } as typeof plain, 1000)
  const decoded = decodeUnitPayload(text)
  t.false('shard' in decoded.unit)
  t.false(text.includes('compileJava'))
  t.deepEqual(decoded.unit, plain)
})

test('a payload that is not JSON is refused as such', t => {
  const err = t.throws(() => decodeUnitPayload('{"v":1,'), { instanceOf: InvalidUnitPayloadError })
  t.is(err?.message, 'unit payload is not JSON')
  t.is(err?.name, 'InvalidUnitPayloadError')
  t.is(InvalidUnitPayloadError.code, 'ERR_INVALID_UNIT_PAYLOAD')
})

test('a payload of another version is refused, naming the field', t => {
  const err = t.throws(() => decodeUnitPayload(wire(p => { (p as { v: number }).v = 2 })), { instanceOf: InvalidUnitPayloadError })
  t.regex(err?.message ?? '', /^unit payload is invalid at v: /)
})

test('task paths that are not Gradle paths are refused before anything runs', t => {
  const bad: Array<[string, (p: UnitPayload) => void, RegExp]> = [
    ['relative file path as project', p => { p.unit.project = '../../etc' }, /at unit\.project:/],
    ['absolute file path to run', p => { p.unit.run = ['/etc/passwd'] }, /at unit\.run\.0:/],
    ['a Gradle flag smuggled into run', p => { p.unit.run = [':app:build', '--init-script=/tmp/evil.gradle'] }, /at unit\.run\.1:/],
    ['a second argument hidden after a space', p => { p.unit.exclude = [':app:test --init-script /tmp/evil.gradle'] }, /at unit\.exclude\.0:/],
    ['a newline in a path', p => { p.unit.run = [':app:build\n-I/tmp/evil'] }, /at unit\.run\.0:/],
    ['a test filter that is a flag', p => { p.unit.testFilters = ['--init-script=/tmp/evil.gradle'] }, /at unit\.testFilters\.0:/],
    ['a shard task that is a file', p => { p.unit.shard = { testTask: 'build.gradle', index: 1, count: 2, salt: 0 } }, /at unit\.shard\.testTask:/],
    ['shard 0 of shards numbered from 1', p => { p.unit.shard = { testTask: ':money:test', index: 0, count: 2, salt: 0 } }, /at unit\.shard\.index:/],
    ['a negative salt', p => { p.unit.shard = { testTask: ':money:test', index: 1, count: 2, salt: -1 } }, /at unit\.shard\.salt:/],
    ['a unit id with a slash', p => { p.unit.id = '../escape' }, /at unit\.id:/],
    ['a snapshot that is not a SHA-256', p => { p.snapshot = '../'.repeat(22) }, /at snapshot:/]
  ]
  for (const [what, edit, where] of bad) {
    const err = t.throws(() => decodeUnitPayload(wire(edit)), { instanceOf: InvalidUnitPayloadError }, what)
    t.regex(err?.message ?? '', where, what)
  }
})

test('unknown fields, a missing run and a zero deadline are refused', t => {
  t.throws(() => decodeUnitPayload(wire(p => { Object.assign(p.unit, { script: 'rm -rf /' }) })), { instanceOf: InvalidUnitPayloadError })
  t.throws(() => decodeUnitPayload(wire(p => { p.unit.run = [] })), { instanceOf: InvalidUnitPayloadError, message: /at unit\.run:/ })
  t.throws(() => decodeUnitPayload(wire(p => { p.timeoutMs = 0 })), { instanceOf: InvalidUnitPayloadError, message: /at timeoutMs:/ })
})

test('a unit with so many test filters that it passes 4 KiB cannot be sent, and the message says to spread them over more shards', t => {
  const testFilters = Array.from({ length: 80 }, (_, i) => `com.example.money.generated.CurrencyConversionScenario${i}Test`)
  const err = t.throws(() => encodeUnitPayload(SNAPSHOT, { ...unit, testFilters }, 60_000), { instanceOf: InvalidUnitPayloadError })
  const bytes = Number(/needs (\d+) bytes/.exec(err?.message ?? '')?.[1])
  t.true(bytes > MAX_PAYLOAD_BYTES)
  t.is(err?.message, `unit ${unit.name} needs ${bytes} bytes to describe, over the ${MAX_PAYLOAD_BYTES}-byte limit: split its test filters over more shards (fewer classes in each), or name fewer tasks`)
})

test('a unit that does not check cannot be sent either, naming the unit', t => {
  t.throws(() => encodeUnitPayload(SNAPSHOT, { ...unit, run: ['build'] }, 60_000), {
    instanceOf: InvalidUnitPayloadError,
    message: /^unit :money:test \[2\/3\] cannot be sent: /
  })
  t.throws(() => encodeUnitPayload('not-a-sha', unit, 60_000), { instanceOf: InvalidUnitPayloadError })
})
