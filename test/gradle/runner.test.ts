import test from 'ava'
import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { promisify } from 'node:util'
import { commandLine, describeGradleCommand, findGradleCommand, GradleNotFoundError, ProjectDirError, projectDirArgument, UnrunnableWrapperError } from '../../src/gradle/gradle-command.js'
import { gradleArguments, gradleEnvironment, runGradle, tmpDirOption, UnquotableTmpDirError } from '../../src/gradle/runner.js'

const execFileAsync = promisify(execFile)

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

test('without a wrapper, gradle is looked up on PATH', async t => {
  const dir = await tempDir(t)
  await mkdir(path.join(dir, 'project'))
  await executable(path.join(dir, 'bin', 'gradle'))
  const found = await findGradleCommand(path.join(dir, 'project'), `${path.join(dir, 'empty')}:${path.join(dir, 'bin')}`)
  t.deepEqual(found, { executable: path.join(dir, 'bin', 'gradle'), kind: 'path' })
})

test('a gradlew without its executable bit is still the wrapper: its #! interpreter runs it, not gradle on PATH', async t => {
  const dir = await tempDir(t)
  await executable(path.join(dir, 'bin', 'gradle'))
  const wrapper = path.join(dir, 'project', 'gradlew')
  await mkdir(path.dirname(wrapper))
  await writeFile(wrapper, '#!/usr/bin/env sh\necho "wrapper ran as $0 with $*"\n', { mode: 0o644 })
  const found = await findGradleCommand(path.dirname(wrapper), path.join(dir, 'bin'))
  t.deepEqual(found, { executable: wrapper, kind: 'wrapper', interpreter: ['/usr/bin/env', 'sh'] })
  t.deepEqual(commandLine(found, ['build']), { file: '/usr/bin/env', args: ['sh', wrapper, 'build'] })

  let out = ''
  const result = await runGradle({ projectDir: path.dirname(wrapper), args: ['build'], plainConsole: false, buildCache: false, stdout: new Writable({ write (chunk, _encoding, done) { out += String(chunk); done() } }), stderr: null })
  t.is(result.exitCode, 0)
  t.is(out, `wrapper ran as ${wrapper} with build\n`, 'the script sees its own path as $0, as gradlew needs to find its jar')

  await writeFile(wrapper, 'echo no first line\n')
  t.deepEqual((await findGradleCommand(path.dirname(wrapper), path.join(dir, 'bin'))).interpreter, ['/bin/sh'])
})

test('a gradlew that cannot be run by any interpreter is a clear error, not a silent switch to another Gradle', async t => {
  const dir = await tempDir(t)
  await executable(path.join(dir, 'bin', 'gradle'))
  const wrapper = path.join(dir, 'gradlew')
  await writeFile(wrapper, '#!/no/such/shell\n', { mode: 0o644 })
  const missing = await t.throwsAsync(findGradleCommand(dir, path.join(dir, 'bin')), { instanceOf: UnrunnableWrapperError })
  t.regex(missing?.message ?? '', /gradlew: it is not executable and its interpreter \/no\/such\/shell is missing/)
  if (process.getuid?.() === 0) return // root reads any file
  await chmod(wrapper, 0o000)
  const unreadable = await t.throwsAsync(findGradleCommand(dir, path.join(dir, 'bin')), { instanceOf: UnrunnableWrapperError })
  t.regex(unreadable?.message ?? '', /cannot be read \(EACCES\)/)
})

test('the line gmesh gradle prints says which Gradle runs and why', t => {
  t.is(describeGradleCommand({ executable: '/p/gradlew', kind: 'wrapper' }, '/p', '/p'), 'running ./gradlew')
  t.is(describeGradleCommand({ executable: '/p/gradlew', kind: 'wrapper' }, '/p/sub', '/elsewhere'), 'running /p/gradlew')
  t.is(describeGradleCommand({ executable: '/p/gradlew', kind: 'wrapper', interpreter: ['/bin/sh'] }, '/p', '/p'), 'running /bin/sh ./gradlew (./gradlew is not executable)')
  t.is(describeGradleCommand({ executable: '/usr/bin/gradle', kind: 'path' }, '/p', '/p'), 'running /usr/bin/gradle (no gradlew for the build at /p)')
})

test('neither wrapper nor gradle on PATH is a clear error', async t => {
  const dir = await tempDir(t)
  const err = await t.throwsAsync(findGradleCommand(dir, path.join(dir, 'nothing-here')), { instanceOf: GradleNotFoundError })
  t.regex(err?.message ?? '', /no \.\/gradlew.*no 'gradle' on PATH/)
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

test('environment: a tmpDir joins GRADLE_OPTS as java.io.tmpdir, single-quoted, after the options already there (the caller\'s over this process\'s)', t => {
  const base = { PATH: '/bin', GRADLE_OPTS: '-Dhttp.proxyHost=proxy' }
  t.deepEqual(gradleEnvironment({ env: { CI: '1' } }, base), { PATH: '/bin', GRADLE_OPTS: '-Dhttp.proxyHost=proxy', CI: '1' }, 'no tmpDir: left as it is')
  t.is(gradleEnvironment({ tmpDir: '/data/builds/tmp' }, base).GRADLE_OPTS, '-Dhttp.proxyHost=proxy \'-Djava.io.tmpdir=/data/builds/tmp\'')
  t.is(gradleEnvironment({ tmpDir: '/data/builds/tmp', env: { GRADLE_OPTS: '-Xmx64m' } }, base).GRADLE_OPTS, '-Xmx64m \'-Djava.io.tmpdir=/data/builds/tmp\'')
  t.is(gradleEnvironment({ tmpDir: '/data/builds/tmp' }, { PATH: '/bin' }).GRADLE_OPTS, '\'-Djava.io.tmpdir=/data/builds/tmp\'')
  t.is(gradleEnvironment({ tmpDir: '/home/jörg/My Data/tmp' }, {}).GRADLE_OPTS, '\'-Djava.io.tmpdir=/home/jörg/My Data/tmp\'')
  t.is(gradleEnvironment({ tmpDir: '/home/o\'brien/tmp' }, {}).GRADLE_OPTS, '\'-Djava.io.tmpdir=/home/o\'\\\'\'brien/tmp\'', 'a quote ends the quoted part, comes escaped, and a new one starts')
})

test('environment: a tmpDir the launch scripts would change (blanks other than single spaces, glob characters) is refused', t => {
  for (const odd of ['/data/a  b', '/data/a\tb', '/data/a\nb', '/data/*', '/data/x?', '/data/[ab]']) {
    t.throws(() => gradleEnvironment({ tmpDir: odd }, {}), { instanceOf: UnquotableTmpDirError }, JSON.stringify(odd))
  }
  t.is(tmpDirOption('/home/~me/#1 (old)/$HOME'), '\'-Djava.io.tmpdir=/home/~me/#1 (old)/$HOME\'')
})

/** The script `gradle` on PATH runs (Debian's /usr/share/gradle/bin/gradle), which evals GRADLE_OPTS unquoted. */
async function installedGradleScript (): Promise<string> {
  const { stdout } = await execFileAsync('sh', ['-c', 'command -v gradle'])
  return await realpath(stdout.trim())
}

/** A JAVA_HOME whose java prints its arguments one per line. */
async function echoingJavaHome (dir: string): Promise<string> {
  const java = path.join(dir, 'jdk', 'bin', 'java')
  await mkdir(path.dirname(java), { recursive: true })
  await writeFile(java, '#!/bin/sh\nfor arg in "$@"; do printf \'%s\\n\' "$arg"; done\n')
  await chmod(java, 0o755)
  return path.join(dir, 'jdk')
}

test('the installed gradle script hands the JVM the tmpDir as one argument: ASCII, non-ASCII, with a quote, with a space', async t => {
  const dir = await tempDir(t)
  const script = await installedGradleScript()
  const javaHome = await echoingJavaHome(dir)
  for (const tmpDir of ['/data/builds/tmp', '/home/jörg/.gmesh/builds/tmp', '/home/o\'brien/.gmesh/builds/tmp', '/home/me/My Data/builds/tmp']) {
    const env = gradleEnvironment({ tmpDir, env: { JAVA_HOME: javaHome, GRADLE_OPTS: '-Xmx64m' } }, { PATH: process.env.PATH })
    const { stdout } = await execFileAsync(script, ['--version'], { cwd: dir, env })
    const args = stdout.split('\n')
    t.deepEqual(args.filter(arg => arg.includes('tmpdir')), [`-Djava.io.tmpdir=${tmpDir}`], tmpDir)
    t.true(args.includes('-Xmx64m'), 'the options already in GRADLE_OPTS stay as they were')
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
