import test from 'ava'
import {
  renderInitScript, normalizeCacheUrl, groovyString, InvalidCacheUrlError, INIT_SCRIPT_MARKER
} from '../../src/gradle/init-script.js'

test('the script configures HttpBuildCache at the node URL after settings are evaluated', t => {
  const script = renderInitScript({ cacheUrl: 'http://127.0.0.1:5071/cache/' })
  t.true(script.startsWith(`${INIT_SCRIPT_MARKER}\n`))
  t.regex(script, /gradle\.settingsEvaluated \{ settings ->\n[^]*\n\s+settings\.buildCache \{\n\s+remote\(HttpBuildCache\) \{ cache ->/)
  t.true(script.includes("def gmeshCacheUrl = 'http://127.0.0.1:5071/cache/'"))
  t.true(script.includes('cache.url = gmeshCacheUrl'))
  t.true(script.includes('cache.push = true'))
  t.regex(script, /if \(!gradle\.startParameter\.buildCacheEnabled\) \{\n\s+gradle\.startParameter\.buildCacheEnabled = true\n\}/)
})

test('credentials a build set for its own remote cache are cleared before the node\'s URL is used', t => {
  for (const installed of [true, false]) {
    const script = renderInitScript({ cacheUrl: 'http://127.0.0.1:5071/cache/', installed })
    t.regex(script, /cache\.url = gmeshCacheUrl\n\s+.*\n\s+cache\.credentials\.username = null\n\s+cache\.credentials\.password = null\n/)
  }
})

test('the installed script stands aside for a remote the build configured; a script gmesh passes replaces it and says so', t => {
  const installed = renderInitScript({ cacheUrl: 'http://127.0.0.1:5071/cache/', installed: true })
  t.regex(installed, /if \(ownRemote != null\) \{\n[^]*logger\.lifecycle\('gmesh: this build configures its own remote build cache[^]*\n\s+return\n/)
  const passed = renderInitScript({ cacheUrl: 'http://127.0.0.1:5071/cache/' })
  t.notRegex(passed, /\n\s+return\n/)
  t.regex(passed, /logger\.lifecycle\('gmesh: this build uses the gmesh node\\'s cache at ' \+ gmeshCacheUrl \+ ' instead of its own remote build cache/)
})

test('properties newer Gradle added are set only where the object has them', t => {
  const script = renderInitScript({ cacheUrl: 'http://127.0.0.1:5071/cache/', expectContinue: true })
  t.regex(script, /if \(cache\.hasProperty\('allowInsecureProtocol'\)\) \{\n\s+cache\.allowInsecureProtocol = true\n/)
  t.regex(script, /if \(cache\.hasProperty\('useExpectContinue'\)\) \{\n\s+cache\.useExpectContinue = true\n/)
  t.notRegex(script, /GradleVersion|gradleVersion/)
})

test('https needs no insecure-protocol exception; read-only and no self-enabling are honoured', t => {
  const script = renderInitScript({ cacheUrl: 'https://cache.example/cache/', push: false, enableBuildCache: false })
  t.true(script.includes('cache.allowInsecureProtocol = false'))
  t.true(script.includes('cache.push = false'))
  t.true(script.includes('cache.useExpectContinue = false'))
  t.false(script.includes('buildCacheEnabled'))
})

test('a missing trailing slash is added, because Gradle appends the key to the URL as given', t => {
  t.is(normalizeCacheUrl('http://127.0.0.1:41234/cache'), 'http://127.0.0.1:41234/cache/')
  t.is(normalizeCacheUrl('http://127.0.0.1:41234/cache/'), 'http://127.0.0.1:41234/cache/')
  t.true(renderInitScript({ cacheUrl: 'http://127.0.0.1:9/cache' }).includes("'http://127.0.0.1:9/cache/'"))
})

test('URLs Gradle cannot use are refused with a clear error', t => {
  for (const bad of ['not a url', 'ftp://127.0.0.1/cache/', 'http://u:p@127.0.0.1/cache/', 'http://127.0.0.1/cache/?x=1', 'http://127.0.0.1/cache/?', 'http://127.0.0.1/cache/#']) {
    const err = t.throws(() => renderInitScript({ cacheUrl: bad }), { instanceOf: InvalidCacheUrlError })
    t.true(err?.message.includes(bad), `message names the URL: ${err?.message ?? ''}`)
  }
})

test('Groovy string literals escape quotes, backslashes and newlines', t => {
  t.is(groovyString("it's"), "'it\\'s'")
  t.is(groovyString('a\\b'), "'a\\\\b'")
  t.is(groovyString('a\nb'), "'a\\nb'")
  t.is(groovyString('${x}'), "'${x}'")
})
