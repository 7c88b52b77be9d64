import test from 'ava'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createSnapshot, GitFailedError, NotAGradleBuildError } from '../../src/snapshot/index.js'
import { manifestPaths, openStore, tempDir, writeTree } from './helpers.js'

const exec = promisify(execFile)

// What git says about the project, and what a snapshot does when git says something else than a listing (git-view.ts, git-run.ts).

/** A git repository at `dir` with a committer of its own (no global configuration needed). */
async function gitInit (dir: string): Promise<void> {
  await exec('git', ['init', '-q'], { cwd: dir })
  await exec('git', ['config', 'user.name', 'gmesh test'], { cwd: dir })
  await exec('git', ['config', 'user.email', 'test@gmesh.invalid'], { cwd: dir })
}

test('a project that a repository around it ignores is snapshotted by its own .gitignore files, with a warning', async t => {
  // a repository at the home directory whose .gitignore lists the project
  const home = await tempDir(t)
  await writeTree(home, {
    '.gitignore': 'projects/foo/\n',
    'projects/foo/settings.gradle': 'rootProject.name = "foo"\n',
    'projects/foo/src/A.java': 'class A {}\n',
    'projects/foo/.gitignore': '*.log\n',
    'projects/foo/debug.log': 'ignored by the project\'s own .gitignore'
  })
  await gitInit(home)
  const store = await openStore(t)
  const warnings: string[] = []
  const { manifest } = await createSnapshot(path.join(home, 'projects/foo'), store, { requireGradleRoot: true, warn: message => warnings.push(message) })
  t.deepEqual(manifestPaths(manifest), ['.gitignore', 'settings.gradle', 'src/A.java'])
  t.is(warnings.length, 1)
  t.regex(warnings[0]!, /ignores that directory itself: its \.gitignore files from .*projects\/foo down are used/)
})

test('a snapshot that takes no settings file or build script at its root is refused, naming those that are ignored', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { 'src/A.java': 'class A {}\n' })
  const store = await openStore(t)
  const none = await t.throwsAsync(createSnapshot(dir, store, { requireGradleRoot: true }), { instanceOf: NotAGradleBuildError })
  t.regex(none.message, /has no settings\.gradle\(\.kts\) or build\.gradle\(\.kts\) at its root: snapshot the root directory of a Gradle build$/)
  await writeTree(dir, { '.gitignore': 'settings.gradle.kts\n', 'settings.gradle.kts': 'rootProject.name = "x"\n' })
  const ignored = await t.throwsAsync(createSnapshot(dir, store, { requireGradleRoot: true }), { instanceOf: NotAGradleBuildError })
  t.regex(ignored.message, /settings\.gradle\.kts is ignored \(\.gitignore or git's exclude rules\); track or un-ignore it$/)
  t.is(store.stats().entries, 0, 'nothing is stored for a refused snapshot')
  await writeTree(dir, { 'build.gradle.kts': 'plugins { java }\n' })
  t.like((await createSnapshot(dir, store, { requireGradleRoot: true })).stats, { files: 3 })
})

test('git failing on the repository (a corrupt index) fails the snapshot with git\'s message instead of dropping tracked files', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { '.gitignore': '*.jar\n', 'settings.gradle': '', 'gradle/wrapper/gradle-wrapper.jar': 'the wrapper' })
  await gitInit(dir)
  await exec('git', ['add', '-f', '.'], { cwd: dir })
  await writeFile(path.join(dir, '.git/index'), 'not an index')
  const store = await openStore(t)
  const err = await t.throwsAsync(createSnapshot(dir, store), { instanceOf: GitFailedError })
  t.regex(err.message, /^cannot snapshot ".*": `git ls-files -z [^`]*` failed \(fatal: .*index file/)
  t.regex(err.message, /would drop tracked files that \.gitignore rules match/)
})

test('git refusing a repository of another user says how to let the node\'s user read it', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { 'settings.gradle': '', 'git': { exec: '#!/bin/sh\nprintf "fatal: detected dubious ownership in repository at \'%s\'\\n" "$PWD" >&2\nexit 128\n' } })
  const store = await openStore(t)
  const err = await t.throwsAsync(createSnapshot(dir, store, { git: path.join(dir, 'git') }), { instanceOf: GitFailedError })
  t.true(err.message.includes(`run \`git config --global --add safe.directory ${dir}\` as the node's user`), err.message)
})

test('without git the .gitignore files still apply, and the snapshot warns that git\'s other rules were not read', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { '.gitignore': '*.log\n', 'settings.gradle': '', 'debug.log': 'x' })
  const store = await openStore(t)
  const warnings: string[] = []
  const { manifest } = await createSnapshot(dir, store, { git: path.join(dir, 'no-such-git'), warn: message => warnings.push(message) })
  t.deepEqual(manifestPaths(manifest), ['.gitignore', 'settings.gradle'])
  t.is(warnings.length, 1)
  t.regex(warnings[0]!, /no-such-git" was not found/)
})

test('in a submodule, its tracked files are kept and its own .gitignore files apply, not the superproject\'s', async t => {
  const lib = await tempDir(t)
  await writeTree(lib, { '.gitignore': 'out/\n', 'libs/tool.jar': 'tracked in the submodule', 'generated/Gen.java': 'class Gen {}\n' })
  await gitInit(lib)
  await exec('git', ['add', '.gitignore', 'libs/tool.jar'], { cwd: lib })
  await exec('git', ['commit', '-q', '-m', 'lib'], { cwd: lib })
  const dir = await tempDir(t)
  await writeTree(dir, { '.gitignore': '*.jar\ngenerated/\n', 'settings.gradle': 'include "lib"\n' })
  await gitInit(dir)
  await exec('git', ['-c', 'protocol.file.allow=always', 'submodule', '-q', 'add', lib, 'lib'], { cwd: dir })
  await writeTree(dir, {
    'lib/generated/Gen.java': 'untracked, ignored only by the superproject\'s rule',
    'lib/out/x.class': 'ignored by the submodule\'s own rule',
    'generated/Top.java': 'ignored by the superproject'
  })
  const store = await openStore(t)
  const { manifest } = await createSnapshot(dir, store)
  t.deepEqual(manifestPaths(manifest), ['.gitignore', '.gitmodules', 'lib/.gitignore', 'lib/generated/Gen.java', 'lib/libs/tool.jar', 'settings.gradle'])
})

test('a project inside a bare repository\'s directory (no work tree) is snapshotted by its own .gitignore files, as outside git', async t => {
  const dir = await tempDir(t)
  await exec('git', ['init', '-q', '--bare', 'mirror.git'], { cwd: dir })
  const project = path.join(dir, 'mirror.git', 'proj')
  await writeTree(project, { 'settings.gradle': 'rootProject.name = "proj"\n', '.gitignore': '*.log\n', 'debug.log': 'ignored', 'src/A.java': 'class A {}\n' })
  const store = await openStore(t)
  const { manifest } = await createSnapshot(project, store, { requireGradleRoot: true })
  t.deepEqual(manifestPaths(manifest), ['.gitignore', 'settings.gradle', 'src/A.java'])
})

/** What git itself says of every file in the work tree at `dir`: `?? path` untracked, `!! path` ignored, sorted. */
async function gitVerdict (dir: string): Promise<string[]> {
  const { stdout } = await exec('git', ['status', '--porcelain', '--ignored', '--untracked-files=all'], { cwd: dir })
  return stdout.split('\n').filter(line => line !== '').sort()
}

test('in a work tree, .gitignore rules match case-sensitively as git\'s do: files git lists as untracked are snapshotted', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, {
    '.gitignore': 'core\n*.LOG\n',
    'settings.gradle': 'include "Core"\n',
    'Core/src/main/java/c/C.java': 'class C {}\n',
    'changes.log': 'not matched by *.LOG',
    'core/x.txt': 'ignored',
    'debug.LOG': 'ignored'
  })
  await gitInit(dir)
  t.deepEqual(await gitVerdict(dir), [
    '!! core/x.txt', '!! debug.LOG', '?? .gitignore', '?? Core/src/main/java/c/C.java', '?? changes.log', '?? settings.gradle'
  ], 'git\'s own verdict')
  const store = await openStore(t)
  const { manifest } = await createSnapshot(dir, store)
  t.deepEqual(manifestPaths(manifest), ['.gitignore', 'Core/src/main/java/c/C.java', 'changes.log', 'settings.gradle'])
})

test('outside git, .gitignore rules match case-sensitively too', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { '.gitignore': 'core\n*.LOG\n', 'settings.gradle': '', 'Core/C.java': 'class C {}\n', 'changes.log': 'kept', 'core/x': 'ignored', 'debug.LOG': 'ignored' })
  const store = await openStore(t)
  const { manifest } = await createSnapshot(dir, store, { git: path.join(dir, 'no-such-git') })
  t.deepEqual(manifestPaths(manifest), ['.gitignore', 'Core/C.java', 'changes.log', 'settings.gradle'])
})

test('in a work tree git\'s verdict alone decides what is ignored: a directory a deeper .gitignore re-includes is taken whole, as git keeps it', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, {
    '.gitignore': 'gen/\n',
    'settings.gradle': 'include "sub"\n',
    'sub/.gitignore': '!gen/\n',
    'sub/gen/G.java': 'class G {}\n',
    'gen/Top.java': 'ignored'
  })
  await gitInit(dir)
  const verdict = await gitVerdict(dir)
  t.true(verdict.includes('?? sub/gen/G.java'), verdict.join('\n'))
  const store = await openStore(t)
  const { manifest } = await createSnapshot(dir, store)
  t.deepEqual(manifestPaths(manifest), ['.gitignore', 'settings.gradle', 'sub/.gitignore', 'sub/gen/G.java'])
})

test('in a repository nested in the work tree (no submodule), which git does not look into, its .gitignore files apply', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { '.gitignore': '*.tmp\n', 'settings.gradle': 'include "inner"\n', 'x.tmp': 'ignored by git' })
  await gitInit(dir)
  await writeTree(dir, { 'inner/.gitignore': '*.log\n', 'inner/a.log': 'ignored by its own rule', 'inner/b.tmp': 'ignored by the outer rule', 'inner/B.java': 'class B {}\n' })
  await gitInit(path.join(dir, 'inner'))
  const store = await openStore(t)
  const { manifest } = await createSnapshot(dir, store)
  t.deepEqual(manifestPaths(manifest), ['.gitignore', 'inner/.gitignore', 'inner/B.java', 'settings.gradle'])
})
