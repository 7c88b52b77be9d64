import test from 'ava'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { main, ExitCode } from '../../src/cli/main.js'
import { VERSION } from '../../src/version.js'
import { repoPath } from '../helpers/repo-paths.js'

const execFileAsync = promisify(execFile)

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

test('gmesh build in a directory without a Gradle project is a usage error, before any node is asked to snapshot it', async t => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-not-gradle-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  // no node runs in --data: the project is refused before gmesh connects to one
  t.is(await main(['build', '--project', dir, '--data', path.join(dir, 'no-node'), '--', 'build']), ExitCode.usage)
})

test('the gmesh launcher runs on the checkout\'s Node 24 from anywhere, through a symbolic link, whatever node is on PATH', async t => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-launcher-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  await symlink(repoPath('bin', 'gmesh'), path.join(dir, 'gmesh'))
  // a PATH whose only node is an old one that bin/gmesh.js would refuse
  await writeFile(path.join(dir, 'node'), '#!/bin/sh\necho "v20.0.0"\nexit 3\n', { mode: 0o755 })
  const { stdout } = await execFileAsync(path.join(dir, 'gmesh'), ['--version'], { cwd: dir, env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` } })
  t.is(stdout.trim(), VERSION)
})

test('package-lock.json\'s root entry names the same gmesh launcher as package.json', async t => {
  const manifest = JSON.parse(await readFile(repoPath('package.json'), 'utf8')) as { bin: Record<string, string> }
  const lock = JSON.parse(await readFile(repoPath('package-lock.json'), 'utf8')) as { packages: Record<string, { bin?: Record<string, string> }> }
  t.is(manifest.bin.gmesh, 'bin/gmesh', 'the shell launcher that picks the checkout\'s Node 24')
  t.deepEqual(lock.packages['']?.bin, manifest.bin)
})
