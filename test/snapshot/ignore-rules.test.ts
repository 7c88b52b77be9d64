import test, { type ExecutionContext } from 'ava'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { appendFile } from 'node:fs/promises'
import path from 'node:path'
import { createSnapshot } from '../../src/snapshot/index.js'
import { manifestPaths, openStore, tempDir, writeTree } from './helpers.js'

const exec = promisify(execFile)

// What a snapshot leaves out: the project's .gitignore files (ignore-rules.ts) and, in a git work tree, git's own view (git-view.ts).

test('.gitignore rules apply at every level: anchored, directory-only, negated, and deeper files override', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, {
    '.gitignore': '*.log\n/local.properties\nout/\n!keep.log\n',
    'keep.log': 'kept by negation',
    'debug.log': 'ignored',
    'local.properties': 'ignored at the root only',
    'sub/local.properties': 'kept: the rule is anchored',
    'sub/out/file': 'ignored: out/ matches at any level',
    'sub/out.txt': 'kept',
    'sub/.gitignore': '!debug.log\n*.tmp\n',
    'sub/debug.log': 'kept: the deeper file re-includes it',
    'sub/x.tmp': 'ignored by the deeper file',
    'x.tmp': 'kept: sub/.gitignore does not reach here',
    'lib/src/main/java/org/build/Tool.java': 'kept: a build package among sources'
  })
  const store = await openStore(t)
  const { manifest } = await createSnapshot(dir, store)
  t.deepEqual(manifestPaths(manifest), [
    '.gitignore', 'keep.log', 'lib/src/main/java/org/build/Tool.java', 'sub/.gitignore', 'sub/debug.log',
    'sub/local.properties', 'sub/out.txt', 'x.tmp'
  ])
})

test('names the ignore library cannot take (dots only) are snapshotted like any other', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { '.gitignore': '*.tmp\n', '...': 'dots', 'sub/...': 'dots', 'x.tmp': 'ignored' })
  const store = await openStore(t)
  t.deepEqual(manifestPaths((await createSnapshot(dir, store)).manifest), ['...', '.gitignore', 'sub/...'])
})

test('in a git work tree, what git tracks is kept even where the ignore rules would drop it', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, {
    '.gitignore': '*.jar\n',
    'gradlew': { exec: 'exec java -jar gradle/wrapper/gradle-wrapper.jar' },
    'gradle/wrapper/gradle-wrapper.jar': 'the wrapper',
    'tools/build/build.gradle': '// a subproject in a directory named build',
    'tools/build/classes/Out.class': 'an output nobody tracks',
    'lib/local.jar': 'ignored and untracked'
  })
  await exec('git', ['init', '-q'], { cwd: dir })
  await exec('git', ['add', '-f', '.gitignore', 'gradlew', 'gradle/wrapper/gradle-wrapper.jar', 'tools/build/build.gradle'], { cwd: dir })
  const store = await openStore(t)
  t.deepEqual(manifestPaths((await createSnapshot(dir, store)).manifest), ['.gitignore', 'gradle/wrapper/gradle-wrapper.jar', 'gradlew', 'tools/build/build.gradle'])
})

/** A repository whose build root is its subdirectory `app`, with ignore rules that only git reads. */
async function repositoryAboveTheProject (t: ExecutionContext): Promise<string> {
  const repo = await tempDir(t)
  await writeTree(repo, {
    '.gitignore': 'local.properties\nsecrets/\n*.jar\n',
    'global-excludes': '*.secret\n',
    'app/settings.gradle': 'rootProject.name = "app"\n',
    'app/src/A.java': 'class A {}\n',
    'app/.gitignore': '*.log\n',
    'app/debug.log': 'ignored by the project\'s own .gitignore',
    'app/local.properties': 'sdk.dir=/secret',
    'app/secrets/k': 'key',
    'app/keystore.jks': 'keystore',
    'app/token.secret': 'token',
    'app/gradle/wrapper/gradle-wrapper.jar': 'tracked although *.jar is ignored'
  })
  await exec('git', ['init', '-q'], { cwd: repo })
  await appendFile(path.join(repo, '.git/info/exclude'), 'keystore.jks\n')
  await exec('git', ['config', 'core.excludesFile', path.join(repo, 'global-excludes')], { cwd: repo })
  await exec('git', ['add', '-f', 'app/gradle/wrapper/gradle-wrapper.jar'], { cwd: repo })
  return repo
}

test('in a git work tree, what git ignores is left out: .gitignore files above the project, .git/info/exclude, core.excludesFile', async t => {
  const repo = await repositoryAboveTheProject(t)
  const store = await openStore(t)
  t.deepEqual(manifestPaths((await createSnapshot(path.join(repo, 'app'), store)).manifest), ['.gitignore', 'gradle/wrapper/gradle-wrapper.jar', 'settings.gradle', 'src/A.java'])
})

test('a project that git ignores as a whole is taken by its own .gitignore files, not emptied down to what git tracks in it', async t => {
  const repo = await repositoryAboveTheProject(t)
  await appendFile(path.join(repo, '.gitignore'), 'app/\n')
  const store = await openStore(t)
  // the user asked for this directory: the rule ignoring it (and so the rest of that repository's rules) is not used
  t.deepEqual(manifestPaths((await createSnapshot(path.join(repo, 'app'), store)).manifest),
    ['.gitignore', 'gradle/wrapper/gradle-wrapper.jar', 'keystore.jks', 'local.properties', 'secrets/k', 'settings.gradle', 'src/A.java', 'token.secret'])
})

test('without git, the .gitignore files of the project still apply (git\'s other rules cannot be known)', async t => {
  const repo = await repositoryAboveTheProject(t)
  const store = await openStore(t)
  const { manifest } = await createSnapshot(path.join(repo, 'app'), store, { git: path.join(repo, 'no-such-git') })
  t.false(manifestPaths(manifest).includes('debug.log'))
  t.true(manifestPaths(manifest).includes('keystore.jks'))
})
