import test from 'ava'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { findGradleCommand, GradleNotFoundError, ProjectDirError, projectDirArgument } from '../../src/gradle/gradle-command.js'
import { gradleArguments, gradleEnvironment, runGradle, UnquotableTmpDirError } from '../../src/gradle/runner.js'

async function tempDir (t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-runner-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

async function executable (file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, '#!/bin/sh\nexit 0\n')
  await chmod(file, 0o755)
}

test('the project\'s own ./gradlew wins over gradle on PATH', async t => {
  const dir = await tempDir(t)
  await executable(path.join(dir, 'project', 'gradlew'))
  await executable(path.join(dir, 'bin', 'gradle'))
  const found = await findGradleCommand(path.join(dir, 'project'), path.join(dir, 'bin'))
  t.deepEqual(found, { executable: path.join(dir, 'project', 'gradlew'), kind: 'wrapper' })
})

test('from a subproject, the wrapper of its build is found above it, but never one past the build\'s root', async t => {
  const dir = await tempDir(t)
  await executable(path.join(dir, 'outer', 'gradlew')) // another build's wrapper, above this build
  await executable(path.join(dir, 'outer', 'build', 'gradlew'))
  await writeFile(path.join(dir, 'outer', 'build', 'settings.gradle'), "include 'lib'\n")
  await mkdir(path.join(dir, 'outer', 'build', 'lib', 'src'), { recursive: true })
  await executable(path.join(dir, 'bin', 'gradle'))
  const fromLib = await findGradleCommand(path.join(dir, 'outer', 'build', 'lib', 'src'), path.join(dir, 'bin'))
  t.deepEqual(fromLib, { executable: path.join(dir, 'outer', 'build', 'gradlew'), kind: 'wrapper' })
  await rm(path.join(dir, 'outer', 'build', 'gradlew'))
  const noWrapper = await findGradleCommand(path.join(dir, 'outer', 'build', 'lib'), path.join(dir, 'bin'))
  t.deepEqual(noWrapper, { executable: path.join(dir, 'bin', 'gradle'), kind: 'path' }, 'the build root has a settings file: the search stops there')
})

test('Gradle\'s own -p and --project-dir name the build whose wrapper runs', t => {
  t.is(projectDirArgument(['-p', 'sub', 'build'], '/work'), '/work/sub')
  t.is(projectDirArgument(['--project-dir=/abs', 'build'], '/work'), '/abs')
  t.is(projectDirArgument(['--project-dir', '../x'], '/work/a'), '/work/x')
  t.is(projectDirArgument(['build', '-p'], '/work'), undefined)
  t.is(projectDirArgument(['build'], '/work'), undefined)
})

test('without a wrapper, gradle is looked up on PATH; a non-executable gradlew is not a wrapper', async t => {
  const dir = await tempDir(t)
  await mkdir(path.join(dir, 'project'))
  await writeFile(path.join(dir, 'project', 'gradlew'), 'not executable')
  await executable(path.join(dir, 'bin', 'gradle'))
  const found = await findGradleCommand(path.join(dir, 'project'), `${path.join(dir, 'empty')}:${path.join(dir, 'bin')}`)
  t.deepEqual(found, { executable: path.join(dir, 'bin', 'gradle'), kind: 'path' })
})

test('neither wrapper nor gradle on PATH is a clear error', async t => {
  const dir = await tempDir(t)
  const err = await t.throwsAsync(findGradleCommand(dir, path.join(dir, 'nothing-here')), { instanceOf: GradleNotFoundError })
  t.regex(err?.message ?? '', /no executable \.\/gradlew.*no 'gradle' on PATH/)
})

test('a project directory that does not exist is named as such, not as a missing Gradle', async t => {
  const dir = await tempDir(t)
  const gradle = path.join(dir, 'bin', 'gradle')
  await executable(gradle)
  const missing = path.join(dir, 'no-such-project')
  const err = await t.throwsAsync(runGradle({ projectDir: missing, args: ['build'], gradleExecutable: gradle }), { instanceOf: ProjectDirError })
  t.is(err?.message, `no Gradle project at ${missing}: it does not exist`)
})

test('arguments: init script first (with the property that tells an installed script to stand aside), defaults added, the user\'s own choices respected', t => {
  t.deepEqual(
    gradleArguments({ projectDir: '.', args: ['build'], gradleUserHome: '/tmp/gh', noDaemon: true }, '/tmp/i.gradle'),
    ['-I', '/tmp/i.gradle', '-Dgmesh.initScript=1', '--gradle-user-home', '/tmp/gh', '--no-daemon', '--build-cache', '--console=plain', 'build']
  )
  t.deepEqual(
    gradleArguments({ projectDir: '.', args: ['--no-build-cache', '--console=rich', '--daemon', 'test'], noDaemon: true }),
    ['--no-build-cache', '--console=rich', '--daemon', 'test']
  )
  t.deepEqual(
    gradleArguments({ projectDir: '.', args: ['build'], buildCache: false, plainConsole: false }),
    ['build']
  )
})

test('environment: a tmpDir joins GRADLE_OPTS as java.io.tmpdir, after the options already there (the caller\'s over this process\'s)', t => {
  const base = { PATH: '/bin', GRADLE_OPTS: '-Dhttp.proxyHost=proxy' }
  t.deepEqual(gradleEnvironment({ env: { CI: '1' } }, base), { PATH: '/bin', GRADLE_OPTS: '-Dhttp.proxyHost=proxy', CI: '1' }, 'no tmpDir: left as it is')
  t.is(gradleEnvironment({ tmpDir: '/data/builds/tmp' }, base).GRADLE_OPTS, '-Dhttp.proxyHost=proxy -Djava.io.tmpdir=/data/builds/tmp')
  t.is(gradleEnvironment({ tmpDir: '/data/builds/tmp', env: { GRADLE_OPTS: '-Xmx64m' } }, base).GRADLE_OPTS, '-Xmx64m -Djava.io.tmpdir=/data/builds/tmp')
  t.is(gradleEnvironment({ tmpDir: '/data/builds/tmp' }, { PATH: '/bin' }).GRADLE_OPTS, '-Djava.io.tmpdir=/data/builds/tmp')
  // the launch scripts split GRADLE_OPTS at spaces and then honour single quotes
  t.is(gradleEnvironment({ tmpDir: '/home/me/My Data/tmp' }, {}).GRADLE_OPTS, '\'-Djava.io.tmpdir=/home/me/My Data/tmp\'')
  for (const odd of ['/data/it\'s', '/data/$HOME', '/data/a  b', '/data/*']) {
    t.throws(() => gradleEnvironment({ tmpDir: odd }, {}), { instanceOf: UnquotableTmpDirError }, odd)
  }
})

test('an abort while the init script is being written starts no Gradle at all', async t => {
  const dir = await tempDir(t)
  const gradle = path.join(dir, 'bin', 'gradle')
  await executable(gradle)
  const stop = new AbortController()
  const spawned: number[] = []
  const run = runGradle({
    projectDir: dir, args: ['build'], gradleExecutable: gradle, initScript: '// gmesh', scratchDir: dir, signal: stop.signal, onSpawn: pid => { spawned.push(pid) }
  })
  stop.abort(new Error('job cancelled')) // runGradle is now awaiting its temp dir
  await t.throwsAsync(run, { message: 'job cancelled' })
  t.deepEqual(spawned, [], 'no process to leave running')
})

test('output that nobody reads any more (EPIPE) stops the build instead of leaving Gradle running', async t => {
  const dir = await tempDir(t)
  const gradle = path.join(dir, 'bin', 'gradle')
  await mkdir(path.dirname(gradle), { recursive: true })
  await writeFile(gradle, '#!/bin/sh\necho "> Task :compileJava"\nexec sleep 60\n')
  await chmod(gradle, 0o755)
  const closedPipe = new Writable({ write (_chunk, _enc, done) { done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) } })
  closedPipe.on('error', () => {}) // as process.stdout would, once gmesh listens
  const result = await runGradle({ projectDir: dir, args: ['build'], gradleExecutable: gradle, stdout: closedPipe, stderr: null })
  t.true(result.aborted)
  t.throws(() => process.kill(result.pid!, 0), { code: 'ESRCH' }, 'Gradle is gone')
})
