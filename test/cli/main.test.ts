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
