import test from 'ava'
import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { enableCachingProperty, findProperty } from '../../src/gradle/gradle-properties.js'

async function gradleHome (t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-properties-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

test('without a gradle.properties, one is made with the property alone', async t => {
  const home = path.join(await gradleHome(t), 'new-home')
  t.like(await enableCachingProperty(home), { changed: true })
  t.is(await readFile(path.join(home, 'gradle.properties'), 'utf8'), 'org.gradle.caching=true\n')
})

test('the property is added at the end, every other line kept as it was, a missing final newline included', async t => {
  const home = await gradleHome(t)
  const file = path.join(home, 'gradle.properties')
  const before = '# mine\norg.gradle.jvmargs=-Xmx2g \\\n  -Dorg.gradle.caching=false\nsystemProp.http.proxyHost=proxy'
  await writeFile(file, before)
  await chmod(file, 0o600)
  t.like(await enableCachingProperty(home), { changed: true })
  t.is(await readFile(file, 'utf8'), before + '\norg.gradle.caching=true\n', 'a continuation line is not taken for the property')
  t.is((await stat(file)).mode & 0o777, 0o600, 'its mode kept (it may hold credentials)')
  t.like(await enableCachingProperty(home), { changed: false }, 'a second run changes nothing')
  t.is(await readFile(file, 'utf8'), before + '\norg.gradle.caching=true\n')
})

test('a line that turns caching off is replaced in place and reported; one that turns it on is left alone', async t => {
  const home = await gradleHome(t)
  const file = path.join(home, 'gradle.properties')
  await writeFile(file, 'a=1\norg.gradle.caching = false\nb=2\n')
  t.deepEqual(await enableCachingProperty(home), { file, changed: true, previous: 'false' })
  t.is(await readFile(file, 'utf8'), 'a=1\norg.gradle.caching=true\nb=2\n')
  await writeFile(file, 'org.gradle.caching: TRUE\n')
  t.deepEqual(await enableCachingProperty(home), { file, changed: false })
  t.is(await readFile(file, 'utf8'), 'org.gradle.caching: TRUE\n')
})

test('a .properties line is read as Java reads it: comments, separators, the last line wins', t => {
  t.deepEqual(findProperty(['#org.gradle.caching=true', '! org.gradle.caching=true'], 'org.gradle.caching'), undefined)
  t.deepEqual(findProperty(['org.gradle.caching true'], 'org.gradle.caching'), { index: 0, value: 'true' })
  t.deepEqual(findProperty(['org.gradle.caching=false', 'org.gradle.caching=true'], 'org.gradle.caching'), { index: 1, value: 'true' })
  t.deepEqual(findProperty(['x=\\\\', 'org.gradle.caching=false'], 'org.gradle.caching'), { index: 1, value: 'false' }, 'an even number of backslashes continues nothing')
  t.deepEqual(findProperty(['org.gradle.cachingX=true'], 'org.gradle.caching'), undefined)
})
