import test from 'ava'
import { homedir } from 'node:os'
import path from 'node:path'
import { chooseDir } from '../../src/config/dir-choice.js'
import { resolveDataDir } from '../../src/config/data-dir.js'
import { resolveGradleUserHome } from '../../src/gradle/install-init-script.js'
import { UsageError } from '../../src/cli/errors.js'

const choice = (option: string | undefined, env: NodeJS.ProcessEnv): string =>
  chooseDir({ option, flag: '--dir', envName: 'SOME_HOME', env, fallback: () => '/default' })

test('the flag wins, then the variable, then the default; relative paths are made absolute', t => {
  t.is(choice('/a', { SOME_HOME: '/b' }), '/a')
  t.is(choice(undefined, { SOME_HOME: '/b' }), '/b')
  t.is(choice(undefined, {}), '/default')
  t.is(choice('rel', {}), path.resolve('rel'))
})

test('a flag given empty or blank is a usage error naming the flag, whatever the variable says', t => {
  for (const option of ['', '  ', '\t']) {
    for (const env of [{}, { SOME_HOME: '/b' }, { SOME_HOME: '' }]) {
      const err = t.throws(() => choice(option, env), { instanceOf: UsageError }, JSON.stringify({ option, env }))
      t.regex(err?.message ?? '', /^--dir is empty: give a directory/)
    }
  }
})

test('a variable set but empty is a usage error when the flag is absent, and not looked at when it is given', t => {
  for (const value of ['', ' ']) {
    const err = t.throws(() => choice(undefined, { SOME_HOME: value }), { instanceOf: UsageError })
    t.regex(err?.message ?? '', /^\$SOME_HOME is set but empty: .*or give --dir DIR/)
    t.is(choice('/a', { SOME_HOME: value }), '/a')
  }
})

test('--data and $GMESH_HOME, --gradle-user-home and $GRADLE_USER_HOME: empty is refused, never the home directory\'s default', t => {
  t.is(resolveDataDir(undefined, {}), path.join(homedir(), '.gmesh'))
  t.is(resolveGradleUserHome(undefined, {}), path.join(homedir(), '.gradle'))
  t.throws(() => resolveDataDir('', { GMESH_HOME: '/tmp/b' }), { instanceOf: UsageError, message: /^--data is empty/ })
  t.throws(() => resolveDataDir(undefined, { GMESH_HOME: '' }), { instanceOf: UsageError, message: /^\$GMESH_HOME is set but empty/ })
  t.throws(() => resolveGradleUserHome('', { GRADLE_USER_HOME: '/tmp/g' }), { instanceOf: UsageError, message: /^--gradle-user-home is empty/ })
  t.throws(() => resolveGradleUserHome(undefined, { GRADLE_USER_HOME: '' }), { instanceOf: UsageError, message: /^\$GRADLE_USER_HOME is set but empty/ })
})
