import test from 'ava'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { InvalidProjectPathError, listTestClasses, projectDirectory } from '../../src/plan/test-classes.js'
import { repoPath } from '../helpers/repo-paths.js'

/** A build root whose module `moduleDir` has these test sources under `src/test/java/<pkg>/`; removed when the test ends. */
async function testSources (t: { teardown: (fn: () => Promise<void>) => void }, moduleDir: string, pkg: string, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-test-classes-'))
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  const dir = path.join(root, moduleDir, 'src', 'test', 'java', ...pkg.split('.'))
  await mkdir(dir, { recursive: true })
  for (const [name, source] of Object.entries(files)) await writeFile(path.join(dir, name), source)
  return root
}

test('test classes of a module come from src/test/java, named by package, weighed by their @Test methods; helpers without tests are left out', async t => {
  const root = await testSources(t, path.join('lib', 'core'), 'org.ex', {
    'ParserTest.java': 'class ParserTest { @Test void a() {} @Test void b() {} }',
    'TestHelpers.java': 'class TestHelpers { @Test void a() {} }',
    'AbstractBaseTest.java': 'public abstract class AbstractBaseTest { @Test void a() {} }',
    'Fixtures.java': 'class Fixtures {}',
    'DataTest.java': 'class DataTest { static int[] rows() { return new int[0]; } }',
    'LegacyTest.java': 'class LegacyTest extends TestCase { void testIt() {} }',
    'notes.txt': 'not java'
  })
  t.deepEqual(await listTestClasses(root, ':lib:core'), [
    { name: 'org.ex.LegacyTest', weight: 1 },
    { name: 'org.ex.ParserTest', weight: 2 },
    { name: 'org.ex.TestHelpers', weight: 1 }
  ])
  t.deepEqual(await listTestClasses(root, ':lib:none'), [], 'a module without tests has none')
})

test('Gradle runs every concrete class with tests, whatever its name, and one that inherits them: so do the shards', async t => {
  const root = await testSources(t, 'text', 'ex', {
    'BaseChecks.java': 'public abstract class BaseChecks { @Test public void sane() {} }',
    'InheritedTest.java': 'public class InheritedTest extends BaseChecks {}',
    'DeeperCase.java': 'public class DeeperCase extends InheritedTest {}',
    'SlugSpec.java': 'public class SlugSpec { @Test public void slug() {} }',
    'FrameworkTest.java': 'public class FrameworkTest extends org.lib.FancyRunnerBase {}',
    'Helper.java': 'public class Helper extends Object {}'
  })
  t.deepEqual((await listTestClasses(root, ':text')).map(c => c.name), [
    'ex.DeeperCase', // inherits, two levels down
    'ex.FrameworkTest', // named like a test and extends a class from elsewhere: its tests may come from there
    'ex.InheritedTest',
    'ex.SlugSpec'
  ])
})

test('project paths map to directories under the root and cannot leave it', t => {
  t.is(projectDirectory('/r', ':a:b'), path.join('/r', 'a', 'b'))
  t.is(projectDirectory('/r', ':'), '/r')
  t.throws(() => projectDirectory('/r', ':..:etc'), { instanceOf: InvalidProjectPathError })
  t.throws(() => projectDirectory('/r', 'a'), { instanceOf: InvalidProjectPathError })
})

test('examples/java-tests-io: three weighed test classes in each of its four modules', async t => {
  const root = repoPath('examples', 'java-tests-io')
  for (const module of ['journal', 'storage', 'transport', 'gateway']) {
    const classes = await listTestClasses(root, `:${module}`)
    t.is(classes.length, 3, module)
    for (const testClass of classes) t.true(testClass.weight >= 4, testClass.name)
  }
})
