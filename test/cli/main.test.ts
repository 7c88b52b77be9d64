import test from 'ava'
import { main, ExitCode } from '../../src/cli/main.js'

test('an unknown command is a usage error with exit code 2', async t => {
  const code = await main(['no-such-command'])
  t.is(code, ExitCode.usage)
})

test('--version exits 0', async t => {
  const code = await main(['--version'])
  t.is(code, ExitCode.ok)
})

test('values a command cannot take are usage errors before anything runs: an unknown example, a unit deadline over a day', async t => {
  t.is(await main(['demo', '--example', 'no-such-example']), ExitCode.usage)
  t.is(await main(['build', '--unit-timeout', '100000', '--', 'build']), ExitCode.usage)
  t.is(await main(['sim', '--jobs', '0']), ExitCode.usage)
})
