import test from 'ava'
import { isLoopbackHost, parseHostPort, parseSize, parsePositiveInt } from '../../src/config/parse.js'
import { resolveDataDir } from '../../src/config/data-dir.js'
import { UsageError } from '../../src/cli/errors.js'

test('sizes take binary units in any case', t => {
  t.is(parseSize('5GiB'), 5 * 1024 ** 3)
  t.is(parseSize('500m'), 500 * 1024 ** 2)
  t.is(parseSize('1.5k'), 1536)
  t.is(parseSize('4096'), 4096)
})

test('a size that is not one is a usage error naming the input', t => {
  for (const bad of ['', 'lots', '5 parsecs', '-3', '0']) {
    const err = t.throws(() => parseSize(bad, '--cache-max'), { instanceOf: UsageError })
    t.true(err?.message.includes('--cache-max'), bad)
  }
})

test('a size too large to count in bytes is called too large, not "not positive"', t => {
  for (const big of ['99999999TiB', '1' + '0'.repeat(20)]) {
    const err = t.throws(() => parseSize(big, '--cache-max'), { instanceOf: UsageError })
    t.regex(err?.message ?? '', /too large/, big)
    t.notRegex(err?.message ?? '', /positive/, big)
  }
})

test('host and port, with port 0 for any free port and brackets for IPv6', t => {
  t.deepEqual(parseHostPort('127.0.0.1:5071'), { host: '127.0.0.1', port: 5071 })
  t.deepEqual(parseHostPort('127.0.0.1:0'), { host: '127.0.0.1', port: 0 })
  t.deepEqual(parseHostPort('[::1]:8080'), { host: '::1', port: 8080 })
  for (const bad of ['5071', '127.0.0.1', '127.0.0.1:99999', 'a b:1', '[]:80', ':', ':99999']) {
    t.throws(() => parseHostPort(bad), { instanceOf: UsageError }, bad)
  }
})

test('without a host, as in the README\'s --http :0, the address is 127.0.0.1', t => {
  t.deepEqual(parseHostPort(':0'), { host: '127.0.0.1', port: 0 })
  t.deepEqual(parseHostPort(' :5071 '), { host: '127.0.0.1', port: 5071 })
})

test('slots must be a positive whole number', t => {
  t.is(parsePositiveInt('4', '--slots'), 4)
  for (const bad of ['0', '-1', '2.5', 'x']) t.throws(() => parsePositiveInt(bad, '--slots'), { instanceOf: UsageError })
})

test('the data dir comes from --data, then GMESH_HOME, then ~/.gmesh', t => {
  t.is(resolveDataDir('/tmp/a', { GMESH_HOME: '/tmp/b' }), '/tmp/a')
  t.is(resolveDataDir(undefined, { GMESH_HOME: '/tmp/b' }), '/tmp/b')
  t.true(resolveDataDir(undefined, {}).endsWith('/.gmesh'))
})

test('loopback hosts are 127.0.0.0/8, ::1 and localhost; every other address, the wildcards among them, is reachable by other hosts', t => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', 'localhost', 'LOCALHOST']) t.true(isLoopbackHost(host), host)
  for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', '128.0.0.1', 'build-box', '127.0.0.1.example.com']) t.false(isLoopbackHost(host), host)
})
