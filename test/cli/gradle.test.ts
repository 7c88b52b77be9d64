import test, { type ExecutionContext } from 'ava'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { main, ExitCode } from '../../src/cli/main.js'
import { INIT_SCRIPT_MARKER } from '../../src/gradle/init-script.js'
import { GMESH_BIN } from '../../src/client/node-process.js'
import { fakeWrapper, sandbox, type Sandbox } from './gradle-sandbox.js'
import { runGmesh, stopAtTeardown } from '../helpers/gmesh-node.js'

test.serial('init-gradle installs the script for the running node into the Gradle user home', async t => {
  const box = await sandbox(t)
  t.is(await main(['init-gradle', '--data', box.dataDir, '--gradle-user-home', box.gradleHome]), ExitCode.ok)
  const script = await readFile(path.join(box.gradleHome, 'init.d', 'gmesh.gradle'), 'utf8')
  t.true(script.startsWith(INIT_SCRIPT_MARKER))
  t.true(script.includes("'http://127.0.0.1:45999/cache/'"))
  t.true(script.includes('cache.push = true'))
  t.true(script.includes('gradle.startParameter.buildCacheEnabled = true'), 'an init.d script has to turn the cache on itself')
  // Running it again for a read-only setup replaces our own file.
  t.is(await main(['init-gradle', '--data', box.dataDir, '--gradle-user-home', box.gradleHome, '--read-only']), ExitCode.ok)
  t.true((await readFile(path.join(box.gradleHome, 'init.d', 'gmesh.gradle'), 'utf8')).includes('cache.push = false'))
})

test.serial('init-gradle --gradle-properties also sets org.gradle.caching=true in the Gradle user home, keeping its other lines; without it the file is left alone', async t => {
  const box = await sandbox(t)
  const properties = path.join(box.gradleHome, 'gradle.properties')
  await mkdir(box.gradleHome, { recursive: true })
  await writeFile(properties, 'org.gradle.jvmargs=-Xmx2g\norg.gradle.caching=false\n')
  t.is(await main(['init-gradle', '--data', box.dataDir, '--gradle-user-home', box.gradleHome]), ExitCode.ok)
  t.is(await readFile(properties, 'utf8'), 'org.gradle.jvmargs=-Xmx2g\norg.gradle.caching=false\n')
  const result = await runGmesh(t, ['init-gradle', '--data', box.dataDir, '--gradle-user-home', box.gradleHome, '--gradle-properties'])
  t.is(result.code, ExitCode.ok, result.stderr)
  t.true(result.stdout.includes(`set org.gradle.caching=true in ${properties} (it was false)`), result.stdout)
  t.is(await readFile(properties, 'utf8'), 'org.gradle.jvmargs=-Xmx2g\norg.gradle.caching=true\n')
  t.is(await main(['init-gradle', '--remove', '--gradle-properties', '--gradle-user-home', box.gradleHome]), ExitCode.usage)
  await readFile(path.join(box.gradleHome, 'init.d', 'gmesh.gradle'), 'utf8') // not removed
})

test.serial('init-gradle keeps a gmesh.gradle it did not write unless --force', async t => {
  const box = await sandbox(t)
  const file = path.join(box.gradleHome, 'init.d', 'gmesh.gradle')
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, '// mine\n')
  t.is(await main(['init-gradle', '--data', box.dataDir, '--gradle-user-home', box.gradleHome]), ExitCode.failed)
  t.is(await readFile(file, 'utf8'), '// mine\n')
  t.is(await main(['init-gradle', '--data', box.dataDir, '--gradle-user-home', box.gradleHome, '--force']), ExitCode.ok)
  t.true((await readFile(file, 'utf8')).startsWith(INIT_SCRIPT_MARKER))
})

test.serial('init-gradle --remove deletes the script gmesh wrote, needs no running node, and says when there is nothing to remove', async t => {
  const box = await sandbox(t)
  const file = path.join(box.gradleHome, 'init.d', 'gmesh.gradle')
  t.is(await main(['init-gradle', '--data', box.dataDir, '--gradle-user-home', box.gradleHome]), ExitCode.ok)
  const noNode = path.join(box.root, 'no-node')
  t.is(await main(['init-gradle', '--remove', '--data', noNode, '--gradle-user-home', box.gradleHome]), ExitCode.ok)
  await t.throwsAsync(readFile(file), { code: 'ENOENT' })
  t.is(await main(['init-gradle', '--remove', '--gradle-user-home', box.gradleHome]), ExitCode.ok, 'nothing to remove is no failure')
})

test.serial('init-gradle --remove keeps a gmesh.gradle it did not write and takes no --force', async t => {
  const box = await sandbox(t)
  const file = path.join(box.gradleHome, 'init.d', 'gmesh.gradle')
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, '// mine\n')
  t.is(await main(['init-gradle', '--remove', '--gradle-user-home', box.gradleHome]), ExitCode.failed)
  t.is(await main(['init-gradle', '--remove', '--force', '--gradle-user-home', box.gradleHome]), ExitCode.usage)
  t.is(await readFile(file, 'utf8'), '// mine\n')
})

test.serial('init-gradle with an empty --gradle-user-home, or an empty $GRADLE_USER_HOME without it, is a usage error: no script is written or removed elsewhere', async t => {
  const box = await sandbox(t)
  const home = path.join(box.root, 'home') // its ~/.gradle is the default Gradle user home
  for (const gradleHome of [box.gradleHome, path.join(home, '.gradle')]) {
    t.is(await main(['init-gradle', '--data', box.dataDir, '--gradle-user-home', gradleHome]), ExitCode.ok)
  }
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--gradle-user-home', ''], { GRADLE_USER_HOME: box.gradleHome }, /gmesh: --gradle-user-home is empty: give a directory/],
    [['--gradle-user-home', ''], { GRADLE_USER_HOME: undefined }, /gmesh: --gradle-user-home is empty: give a directory/],
    [[], { GRADLE_USER_HOME: '' }, /gmesh: \$GRADLE_USER_HOME is set but empty/]
  ]
  for (const [args, env, message] of cases) {
    for (const extra of [['--remove'], ['--force', '--read-only']]) {
      const result = await runGmesh(t, ['init-gradle', '--data', box.dataDir, ...extra, ...args], { HOME: home, ...env })
      t.is(result.code, ExitCode.usage, `${JSON.stringify({ args, env, extra })}: ${result.stderr}`)
      t.regex(result.stderr, message)
    }
  }
  for (const gradleHome of [box.gradleHome, path.join(home, '.gradle')]) {
    const script = await readFile(path.join(gradleHome, 'init.d', 'gmesh.gradle'), 'utf8')
    t.true(script.includes('cache.push = true'), `${gradleHome}: still there, neither removed nor replaced by a read-only one`)
  }
})

test.serial('init-gradle --gradle-user-home naming a file, or a path under one, says so: exit 2, no raw ENOTDIR', async t => {
  const box = await sandbox(t)
  const file = path.join(box.root, 'a-file')
  await writeFile(file, 'not a directory\n')
  const cases: Array<[string, RegExp]> = [
    [file, /gmesh: --gradle-user-home \S*a-file is a file, not a directory/],
    [path.join(file, 'sub'), /gmesh: --gradle-user-home \S*a-file\/sub: a directory above it is a file, not a directory/]
  ]
  for (const [home, message] of cases) {
    for (const extra of [[], ['--remove']]) {
      const result = await runGmesh(t, ['init-gradle', '--data', box.dataDir, '--gradle-user-home', home, ...extra])
      t.is(result.code, ExitCode.usage, `${home} ${extra.join(' ')}\n${result.stderr}`)
      t.regex(result.stderr, message)
      t.notRegex(result.stderr, /ENOTDIR|EEXIST/)
    }
  }
  t.is(await readFile(file, 'utf8'), 'not a directory\n')
})

test.serial('both commands fail with exit code 1 when no node runs at the data dir', async t => {
  const box = await sandbox(t)
  const empty = path.join(box.root, 'empty')
  t.is(await main(['init-gradle', '--data', empty, '--gradle-user-home', box.gradleHome]), ExitCode.failed)
  await fakeWrapper(box.project, 0)
  t.is(await main(['gradle', '--data', empty, '--project', box.project, '--', 'build']), ExitCode.failed)
  // A node.json whose pid is gone counts as no node.
  const stale = await sandbox(t, 2 ** 22 + 12345)
  t.is(await main(['gradle', '--data', stale.dataDir, '--project', box.project, '--', 'build']), ExitCode.failed)
})

test.serial('gradle runs the project\'s wrapper with the init script and exits with Gradle\'s code', async t => {
  const box = await sandbox(t)
  await fakeWrapper(box.project, 3)
  try {
    const code = await main(['gradle', '--data', box.dataDir, '--project', box.project, '--', '--no-daemon', 'build'])
    t.is(code, 3)
  } finally {
    process.exitCode = undefined
  }
  const args = (await readFile(path.join(box.project, 'args.txt'), 'utf8')).trim().split('\n')
  t.is(args[0], '-I')
  t.deepEqual(args.slice(2), ['-Dgmesh.initScript=1', '--build-cache', '--console=plain', '--no-daemon', 'build'])
  const script = await readFile(path.join(box.project, 'init-script.txt'), 'utf8')
  t.true(script.includes("'http://127.0.0.1:45999/cache/'"))
  t.false(script.includes('buildCacheEnabled'), 'for one build --build-cache enables the cache, so --no-build-cache still wins')
})

test.serial('gradle leaves the user\'s --no-build-cache alone', async t => {
  const box = await sandbox(t)
  await fakeWrapper(box.project, 0)
  t.is(await main(['gradle', '--data', box.dataDir, '--project', box.project, '--', '--no-build-cache', 'build']), ExitCode.ok)
  const args = (await readFile(path.join(box.project, 'args.txt'), 'utf8')).trim().split('\n')
  t.false(args.includes('--build-cache'))
  t.true(args.includes('--no-build-cache'))
})

/** `gmesh gradle -- build` (or `args`) in `project` as a separate process, with `bin` first on PATH; its exit code and stderr. */
async function gmeshGradleIn (t: ExecutionContext, box: Sandbox, bin: string, args = ['--', 'build']): Promise<{ code: number | null, stderr: string }> {
  const gmesh = spawn(process.execPath, [GMESH_BIN, 'gradle', '--data', box.dataDir, ...args], { cwd: box.project, env: { ...process.env, TMPDIR: box.root, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` }, stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  stopAtTeardown(t, gmesh)
  let stderr = ''
  gmesh.stderr.on('data', chunk => { stderr += String(chunk) })
  const [code] = await once(gmesh, 'exit') as [number | null]
  return { code, stderr }
}

/** A `gradle` on PATH that only notes it ran. */
async function systemGradle (bin: string): Promise<string> {
  await mkdir(bin, { recursive: true })
  await writeFile(path.join(bin, 'gradle'), '#!/bin/sh\ntouch system-gradle-ran\n', { mode: 0o755 })
  return path.join(bin, 'gradle')
}

test.serial('gradle runs a gradlew that lost its executable bit with its interpreter, not the gradle on PATH, and says so', async t => {
  const box = await sandbox(t)
  await systemGradle(path.join(box.root, 'bin'))
  await fakeWrapper(box.project, 0)
  await chmod(path.join(box.project, 'gradlew'), 0o644)
  const { code, stderr } = await gmeshGradleIn(t, box, path.join(box.root, 'bin'))
  t.is(code, 0, stderr)
  t.true(stderr.startsWith('gmesh: running /bin/sh ./gradlew (./gradlew is not executable)\n'), stderr)
  t.deepEqual((await readFile(path.join(box.project, 'args.txt'), 'utf8')).trim().split('\n').slice(-2), ['--console=plain', 'build'])
  await t.throwsAsync(readFile(path.join(box.project, 'system-gradle-ran')), { code: 'ENOENT' })
})

test.serial('gradle without a wrapper names the gradle on PATH it runs and why', async t => {
  const box = await sandbox(t)
  const gradle = await systemGradle(path.join(box.root, 'bin'))
  await mkdir(box.project)
  await writeFile(path.join(box.project, 'settings.gradle'), '')
  const { code, stderr } = await gmeshGradleIn(t, box, path.join(box.root, 'bin'))
  t.is(code, 0, stderr)
  t.true(stderr.startsWith(`gmesh: running ${gradle} (no gradlew for the build at ${box.project})\n`), stderr)
  await readFile(path.join(box.project, 'system-gradle-ran'))
})

test.serial('gradle refuses a missing project dir before it names a Gradle to run, with exit code 2', async t => {
  const box = await sandbox(t)
  await systemGradle(path.join(box.root, 'bin'))
  await mkdir(box.project)
  const missing = path.join(box.root, 'nonexistent')
  const { code, stderr } = await gmeshGradleIn(t, box, path.join(box.root, 'bin'), ['--project', missing, '--', 'build'])
  t.is(code, ExitCode.usage, stderr)
  t.is(stderr, `gmesh: no Gradle project at ${missing}: it does not exist; run gmesh gradle in a Gradle project's directory or give --project DIR\n`)
})

test.serial('gradle refuses a directory with no settings or build file in it or above it, and runs no Gradle there', async t => {
  const box = await sandbox(t)
  await systemGradle(path.join(box.root, 'bin'))
  await mkdir(box.project)
  const { code, stderr } = await gmeshGradleIn(t, box, path.join(box.root, 'bin'))
  t.is(code, ExitCode.usage, stderr)
  t.regex(stderr, /^gmesh: no Gradle project at .*: no settings\.gradle\(\.kts\) or build\.gradle\(\.kts\) in it or in a directory above it; run gmesh gradle in/)
  t.false(stderr.includes('running'), stderr)
  await t.throwsAsync(readFile(path.join(box.project, 'system-gradle-ran')), { code: 'ENOENT' })
  // gradle init makes a build where there is none: that one runs
  const init = await gmeshGradleIn(t, box, path.join(box.root, 'bin'), ['--', 'init'])
  t.is(init.code, 0, init.stderr)
  await readFile(path.join(box.project, 'system-gradle-ran'))
  await rm(path.join(box.project, 'system-gradle-ran'))
  // so do Gradle's daemon commands, which need no build either
  const stop = await gmeshGradleIn(t, box, path.join(box.root, 'bin'), ['--', '--stop'])
  t.is(stop.code, 0, stop.stderr)
  await readFile(path.join(box.project, 'system-gradle-ran'))
})

test.serial('gradle says the hits of an --offline build came from Gradle\'s local cache, not the node', async t => {
  const box = await sandbox(t)
  await fakeWrapper(box.project, 0)
  const online = await gmeshGradleIn(t, box, path.join(box.root, 'bin'))
  t.true(online.stderr.endsWith('gmesh: 1 actionable tasks: 1 from cache, 0 up-to-date, 0 executed (cache http://127.0.0.1:45999/cache/)\n'), online.stderr)
  const offline = await gmeshGradleIn(t, box, path.join(box.root, 'bin'), ['--', '--offline', 'build'])
  t.is(offline.code, 0, offline.stderr)
  t.true(offline.stderr.startsWith('gmesh: warning: Gradle does not use a remote build cache with --offline'), offline.stderr)
  t.true(offline.stderr.endsWith('gmesh: 1 actionable tasks: 1 from cache, 0 up-to-date, 0 executed ' +
    '(from Gradle\'s local cache: with --offline the node at http://127.0.0.1:45999/cache/ was not used)\n'), offline.stderr)
})

test.serial('gradle removes its init script when the build ends, and keeps the private script dir', async t => {
  const box = await sandbox(t)
  await fakeWrapper(box.project, 3)
  const { code, stderr } = await gmeshGradleIn(t, box, path.join(box.root, 'bin'))
  t.is(code, 3, stderr)
  const script = (await readFile(path.join(box.project, 'init-script-path.txt'), 'utf8')).trim()
  t.is(path.dirname(script), path.join(box.root, `gmesh-init-${process.getuid!()}`))
  t.true((await readFile(path.join(box.project, 'init-script.txt'), 'utf8')).includes("'http://127.0.0.1:45999/cache/'"), 'Gradle had it')
  await t.throwsAsync(readFile(script), { code: 'ENOENT' })
  t.deepEqual(await readdir(path.dirname(script)), [])
})

test.serial('gradle hands its stdin to Gradle, for a run task or a prompt that reads it', async t => {
  const box = await sandbox(t)
  await mkdir(box.project)
  await writeFile(path.join(box.project, 'build.gradle'), '')
  await writeFile(path.join(box.project, 'gradlew'), '#!/bin/sh\nread line\necho "gradle read: $line"\n', { mode: 0o755 })
  const gmesh = spawn(process.execPath, [GMESH_BIN, 'gradle', '--data', box.dataDir, '--project', box.project, '--', 'run'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  stopAtTeardown(t, gmesh)
  let stdout = ''
  gmesh.stdout.on('data', chunk => { stdout += String(chunk) })
  gmesh.stdin.end('an answer\n')
  const [code] = await once(gmesh, 'close') as [number | null]
  t.is(code, 0)
  t.is(stdout, 'gradle read: an answer\n')
})

test.serial('gradle without arguments is a usage error', async t => {
  const box = await sandbox(t)
  t.is(await main(['gradle', '--data', box.dataDir]), ExitCode.usage)
})
