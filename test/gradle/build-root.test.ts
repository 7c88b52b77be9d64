import test, { type ExecutionContext } from 'ava'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { locateGradleProject, ProjectDirError } from '../../src/gradle/build-root.js'

async function tempDir (t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-build-root-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

test('from a subproject, the build root is the first directory above with a settings file, as Gradle finds it', async t => {
  const dir = await tempDir(t)
  await writeFile(path.join(dir, 'settings.gradle'), "include 'outer'\n") // another build, above this one
  const root = path.join(dir, 'shop')
  await mkdir(path.join(root, 'money', 'src'), { recursive: true })
  await writeFile(path.join(root, 'settings.gradle.kts'), 'include("money")\n')
  t.deepEqual(await locateGradleProject(path.join(root, 'money')), { projectDir: path.join(root, 'money'), buildRoot: root })
  t.is((await locateGradleProject(path.join(root, 'money', 'src'))).buildRoot, root)
  t.is((await locateGradleProject(root)).buildRoot, root)
})

test('without a settings file, a directory with a build file (or under one) is a build of its own', async t => {
  const dir = await tempDir(t)
  await mkdir(path.join(dir, 'lib', 'src'), { recursive: true })
  await writeFile(path.join(dir, 'lib', 'build.gradle.kts'), 'plugins { java }\n')
  t.deepEqual(await locateGradleProject(path.join(dir, 'lib')), { projectDir: path.join(dir, 'lib'), buildRoot: path.join(dir, 'lib') })
  t.deepEqual(await locateGradleProject(path.join(dir, 'lib', 'src')), { projectDir: path.join(dir, 'lib', 'src'), buildRoot: path.join(dir, 'lib', 'src') })
})

test('a directory with no settings or build file in it or above it is no Gradle project; nor is a missing one', async t => {
  const dir = await tempDir(t)
  await mkdir(path.join(dir, 'notes'))
  await t.throwsAsync(locateGradleProject(path.join(dir, 'notes')), { instanceOf: ProjectDirError, message: `no Gradle project at ${path.join(dir, 'notes')}: no settings.gradle(.kts) or build.gradle(.kts) in it or in a directory above it` })
  await t.throwsAsync(locateGradleProject(path.join(dir, 'gone')), { instanceOf: ProjectDirError, message: /it does not exist/ })
})
