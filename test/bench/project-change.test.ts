import test from 'ava'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bumpRevision, changeEveryModule, ProjectChangeError, REVISION_CONSTANT } from '../../bench/lib/project-change.js'

const LINE_SERVER = `package example.transport;

/** A class that answers lines; see {@link Handler}. */
public final class LineServer implements AutoCloseable {
    public interface Handler {
        String handle(String line);
    }
}
`

test('a class without the constant gets it as revision 1 at the top of its outer class, not in a nested type', (t) => {
  const { source, revision } = bumpRevision(LINE_SERVER)
  t.is(revision, 1)
  const declaration = source.indexOf('public final class LineServer')
  const constant = source.indexOf(`static final String ${REVISION_CONSTANT} = "1";`)
  t.true(constant > declaration)
  t.true(constant < source.indexOf('public interface Handler'))
  t.is(source.replace(`\n    static final String ${REVISION_CONSTANT} = "1";`, ''), LINE_SERVER)
})

test('a class that has the constant gets it bumped, and only the number changes', (t) => {
  const once = bumpRevision(LINE_SERVER).source
  const twice = bumpRevision(once)
  t.is(twice.revision, 2)
  t.is(twice.source, once.replace(`${REVISION_CONSTANT} = "1"`, `${REVISION_CONSTANT} = "2"`))
  t.is(bumpRevision(twice.source).revision, 3)
})

test('a source with no type declaration is an error', (t) => {
  t.throws(() => bumpRevision('package example;\n// class names in a comment only\n'), { instanceOf: ProjectChangeError })
})

async function project (root: string): Promise<void> {
  await mkdir(join(root, 'journal', 'src', 'main', 'java', 'example'), { recursive: true })
  await mkdir(join(root, 'journal', 'src', 'test', 'java', 'example'), { recursive: true })
  await mkdir(join(root, 'gateway', 'src', 'main', 'java', 'example'), { recursive: true })
  await mkdir(join(root, 'gradle'), { recursive: true })
  await writeFile(join(root, 'journal', 'src', 'main', 'java', 'example', 'Journal.java'), 'package example;\npublic final class Journal {\n}\n')
  await writeFile(join(root, 'journal', 'src', 'main', 'java', 'example', 'Checksum.java'), 'package example;\npublic final class Checksum {\n}\n')
  await writeFile(join(root, 'journal', 'src', 'test', 'java', 'example', 'AJournalTest.java'), 'package example;\nclass AJournalTest {\n}\n')
  await writeFile(join(root, 'gateway', 'src', 'main', 'java', 'example', 'Gateway.java'), 'package example;\nfinal class Gateway {\n}\n')
}

test('every module with main sources changes one main class, the same one in two copies, and a second change bumps it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gmesh-project-change-'))
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  await project(join(root, 'a'))
  await project(join(root, 'b'))
  const first = await changeEveryModule(join(root, 'a'))
  t.deepEqual(first, [
    { file: 'gateway/src/main/java/example/Gateway.java', revision: 1 },
    { file: 'journal/src/main/java/example/Checksum.java', revision: 1 }
  ])
  t.deepEqual(await changeEveryModule(join(root, 'b')), first)
  for (const { file } of first) t.is(await readFile(join(root, 'a', file), 'utf8'), await readFile(join(root, 'b', file), 'utf8'))
  t.false((await readFile(join(root, 'a', 'journal/src/test/java/example/AJournalTest.java'), 'utf8')).includes(REVISION_CONSTANT))
  t.deepEqual((await changeEveryModule(join(root, 'a'))).map(c => c.revision), [2, 2])
})

test('a directory without main Java sources is an error, not a silent no-op', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gmesh-project-change-'))
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  await mkdir(join(root, 'docs'))
  await t.throwsAsync(changeEveryModule(root), { instanceOf: ProjectChangeError })
})
