import test from 'ava'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { recordSigningBytes, signRecord, verifyRecord, type CacheRecordFields } from '../../../protocols/cache/index.js'
import { ed25519Signer, ed25519Verifier } from '../../../node/mesh/signing.js'

async function producer (): Promise<{ id: string, sign: ReturnType<typeof ed25519Signer>, key: Awaited<ReturnType<typeof generateKeyPair>> }> {
  const key = await generateKeyPair('Ed25519')
  return { id: peerIdFromPrivateKey(key).toString(), sign: ed25519Signer(key), key }
}

function fields (producerId: string): CacheRecordFields {
  return { gradleKey: 'ab'.repeat(20), sha256: 'cd'.repeat(32), size: 1234, producer: producerId, time: 1_700_000_000_000 }
}

test('a record signed with the node key verifies against its peer ID, and libp2p agrees', async t => {
  const p = await producer()
  const record = signRecord(fields(p.id), p.sign)
  t.true(verifyRecord(record, ed25519Verifier()))
  t.true(await p.key.publicKey.verify(recordSigningBytes(record), record.signature), 'a plain Ed25519 signature, checkable by any libp2p implementation')
})

test('a changed field, another signer or a producer that is no Ed25519 peer ID fails verification without throwing', async t => {
  const p = await producer()
  const other = await producer()
  const verify = ed25519Verifier()
  const record = signRecord(fields(p.id), p.sign)
  t.false(verifyRecord({ ...record, size: record.size + 1 }, verify), 'size changed')
  t.false(verifyRecord({ ...record, sha256: 'ef'.repeat(32) }, verify), 'sha256 changed')
  t.false(verifyRecord({ ...record, signature: signRecord(fields(p.id), other.sign).signature }, verify), 'signed by another key')
  t.false(verifyRecord({ ...record, producer: other.id }, verify), 'claimed by another producer')
  t.false(verifyRecord({ ...record, producer: 'n42' }, verify), 'a simulator-style id has no key')
  t.true(verifyRecord(record, verify), 'the genuine record still verifies after the failures (cached keys stay right)')
})

test('the verifier keeps at most its cache size of keys and still verifies every producer', async t => {
  const verify = ed25519Verifier(2)
  const producers = await Promise.all([producer(), producer(), producer()])
  const records = producers.map(p => signRecord(fields(p.id), p.sign))
  for (let round = 0; round < 2; round++) {
    for (const record of records) t.true(verifyRecord(record, verify))
  }
})

test('a node key that is not Ed25519 cannot sign cache records', async t => {
  const key = await generateKeyPair('secp256k1')
  t.throws(() => ed25519Signer(key), { message: /Ed25519/ })
})
