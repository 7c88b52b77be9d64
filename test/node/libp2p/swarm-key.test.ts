import test from 'ava'
import type { ExecutionContext } from 'ava'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main, ExitCode } from '../../../src/cli/main.js'
import {
  encodeSwarmKey, generateSwarmKey, parseSwarmKey, readSwarmKeyFile, SwarmKeyExistsError, SwarmKeyFormatError,
  writeSwarmKeyFile
} from '../../../node/libp2p/swarm-key.js'

async function tempDir (t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-swarm-key-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

test('a written key file is PSK v1 with mode 0600 and reads back to the same key', async t => {
  const file = join(await tempDir(t), 'swarm.key')
  const key = await writeSwarmKeyFile(file)
  const text = await readFile(file, 'utf8')
  t.regex(text, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
  t.is((await stat(file)).mode & 0o777, 0o600)
  t.deepEqual(await readSwarmKeyFile(file), key)
})

test('an existing file is never overwritten', async t => {
  const file = join(await tempDir(t), 'swarm.key')
  await writeFile(file, 'precious')
  await t.throwsAsync(writeSwarmKeyFile(file), { instanceOf: SwarmKeyExistsError, message: /already exists/ })
  t.is(await readFile(file, 'utf8'), 'precious')
})

test('malformed keys are refused with a clear error', t => {
  const good = new TextDecoder().decode(encodeSwarmKey(generateSwarmKey()))
  const [header, codec, hex] = good.trim().split('\n')
  const cases: Array<[string, RegExp]> = [
    ['', /expected 3 lines/],
    [`${header}\n${codec}`, /expected 3 lines/],
    [`/key/swarm/psk/2.0.0/\n${codec}\n${hex}`, /first line/],
    [`${header}\n/base64/\n${hex}`, /unsupported encoding "\/base64\/"/],
    [`${header}\n${codec}\n${hex.slice(2)}`, /exactly 64 hex digits/],
    [`${header}\n${codec}\n${hex.slice(1)}z`, /exactly 64 hex digits/],
    [`${good}extra line\n`, /expected 3 lines/]
  ]
  for (const [text, message] of cases) {
    t.throws(() => parseSwarmKey(text, 'test.key'), { instanceOf: SwarmKeyFormatError, message }, JSON.stringify(text))
  }
  t.is(parseSwarmKey(good.replaceAll('\n', '\r\n')).byteLength, 32)
})

test('a missing or huge key file is a SwarmKeyFormatError naming the file', async t => {
  const dir = await tempDir(t)
  await t.throwsAsync(readSwarmKeyFile(join(dir, 'absent.key')), { instanceOf: SwarmKeyFormatError, message: /absent\.key \(ENOENT\)/ })
  await writeFile(join(dir, 'big.key'), new Uint8Array(10_000))
  await t.throwsAsync(readSwarmKeyFile(join(dir, 'big.key')), { instanceOf: SwarmKeyFormatError, message: /too large/ })
})

test('gmesh keygen writes a key, then refuses to overwrite it with exit code 1', async t => {
  const file = join(await tempDir(t), 'mesh.key')
  t.is(await main(['keygen', file]), ExitCode.ok)
  const first = await readFile(file)
  t.is((await readSwarmKeyFile(file)).byteLength, 32)
  t.is(await main(['keygen', file]), ExitCode.failed)
  t.deepEqual(await readFile(file), first)
  t.is(await main(['keygen']), ExitCode.usage)
})

test('gmesh keygen into a directory that does not exist yet (~/.gmesh before the first gmesh up) creates it', async t => {
  const file = join(await tempDir(t), 'home', '.gmesh', 'swarm.key')
  t.is(await main(['keygen', file]), ExitCode.ok)
  t.is((await readSwarmKeyFile(file)).byteLength, 32)
})
