import test from 'ava'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { renderInitScript } from '../../src/gradle/init-script.js'
import { installedScriptFor, installInitScript, installedScriptPath } from '../../src/gradle/install-init-script.js'

async function gradleHome (t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-installed-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

test('the installed script is read back with the cache URL it points at, and whether that is the given node\'s', async t => {
  const home = await gradleHome(t)
  t.is(await installedScriptFor(home, 'http://127.0.0.1:5071/cache/'), undefined, 'none installed')
  const odd = "http://127.0.0.1:5071/it's/cache/"
  await installInitScript(home, renderInitScript({ cacheUrl: odd, installed: true }))
  t.deepEqual(await installedScriptFor(home, odd), { file: installedScriptPath(home), cacheUrl: odd, current: true, readOnly: false })
  t.deepEqual(await installedScriptFor(home, 'http://127.0.0.1:40000/cache'), { file: installedScriptPath(home), cacheUrl: odd, current: false, readOnly: false })
})

test('a script installed with --read-only is read back as such', async t => {
  const home = await gradleHome(t)
  const url = 'http://127.0.0.1:5071/cache/'
  await installInitScript(home, renderInitScript({ cacheUrl: url, installed: true, push: false }))
  t.deepEqual(await installedScriptFor(home, url), { file: installedScriptPath(home), cacheUrl: url, current: true, readOnly: true })
})

test('a gmesh.gradle gmesh did not write is not taken for its script', async t => {
  const home = await gradleHome(t)
  await mkdir(path.join(home, 'init.d'))
  await writeFile(installedScriptPath(home), "def gmeshCacheUrl = 'http://127.0.0.1:1/cache/'\n")
  t.is(await installedScriptFor(home, 'http://127.0.0.1:5071/cache/'), undefined)
})
