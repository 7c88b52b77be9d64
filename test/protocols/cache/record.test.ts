import test from 'ava'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { InvalidRecordError, VerifiedRecords, recordSigningBytes, signRecord, verifyRecord } from '../../../protocols/cache/index.js'
import type { Signer, Verifier } from '../../../protocols/cache/index.js'
import { gradleKey, recordBy, sha256Of, signerFor, verifyFake } from './helpers.js'

test('the signed bytes are six readable lines under a domain tag', t => {
  const fields = { gradleKey: gradleKey(1), sha256: sha256Of('x'), size: 42, producer: 'n1', time: 1234 }
  const text = new TextDecoder().decode(recordSigningBytes(fields))
  t.is(text, ['gmesh-cache-record/1', gradleKey(1), sha256Of('x'), '42', 'n1', '1234'].join('\n'))
})

test('a record verifies against its producer and fails once any field changes', t => {
  const record = recordBy('ci-1', 5)
  t.true(verifyRecord(record, verifyFake))
  t.false(verifyRecord({ ...record, size: record.size + 1 }, verifyFake), 'size tampered')
  t.false(verifyRecord({ ...record, sha256: sha256Of('other') }, verifyFake), 'hash swapped')
  t.false(verifyRecord({ ...record, producer: 'ci-2' }, verifyFake), 'producer claimed by someone else')
})

test('a peer cannot sign a record in another producer\'s name', t => {
  const forged = recordBy('ci-1', 5, signerFor('mallory'))
  t.false(verifyRecord(forged, verifyFake))
})

test('records with a bad key, hash, size or producer are refused before signing', t => {
  const good = { gradleKey: gradleKey(1), sha256: sha256Of('x'), size: 1, producer: 'n1', time: 1 }
  const sign = signerFor('n1')
  for (const bad of [
    { ...good, gradleKey: 'ABC' },
    { ...good, gradleKey: gradleKey(1).toUpperCase().replace(/0/g, 'F') },
    { ...good, sha256: 'f'.repeat(63) },
    { ...good, size: -1 },
    { ...good, size: 1.5 },
    { ...good, producer: 'has\nnewline' },
    { ...good, producer: '' },
    { ...good, time: -5 }
  ]) {
    t.throws(() => signRecord(bad, sign), { instanceOf: InvalidRecordError })
  }
})

test('real libp2p Ed25519 keys plug in as signer and verifier', async t => {
  const key = await generateKeyPair('Ed25519')
  const producer = peerIdFromPrivateKey(key).toString()
  const sign: Signer = bytes => key.sign(bytes) as Uint8Array
  const verify: Verifier = (peer, bytes, sig) => peerIdFromString(peer).publicKey?.verify(bytes, sig) === true
  const record = signRecord({ gradleKey: gradleKey(9), sha256: sha256Of('y'), size: 3, producer, time: 5 }, sign)
  t.is(record.signature.length, 64)
  t.true(verifyRecord(record, verify))
  t.false(verifyRecord({ ...record, time: 6 }, verify))
})

test('a record that verified once is not checked again, but any change to it is', t => {
  let calls = 0
  const counting: Verifier = (peer, bytes, sig) => { calls++; return verifyFake(peer, bytes, sig) }
  const verified = new VerifiedRecords(counting, 100)
  const record = recordBy('ci-1', 1)
  t.true(verified.check(record))
  t.true(verified.check({ ...record }), 'the same record relayed by another provider')
  t.is(calls, 1)
  t.false(verified.check({ ...record, size: 2 }), 'a changed field')
  t.false(verified.check(recordBy('ci-1', 1, signerFor('mallory'))), 'a changed signature')
  t.false(verified.check(recordBy('ci-1', 1, signerFor('mallory'))), 'failures are checked every time')
  t.is(calls, 4)
  t.is(verified.hits, 1)
  for (let n = 2; n <= 120; n++) verified.check(recordBy('ci-1', n))
  t.true(verified.size <= 100)
})
