import test from 'ava'
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import { patchPnetCipher } from '../../../node/libp2p/pnet-cipher-fix.js'

type Cipher = { update: (input: Uint8Array) => Uint8Array }
const xsalsa20 = createRequire(import.meta.resolve('@libp2p/pnet'))('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => Cipher
const key = new Uint8Array(randomBytes(32))
const nonce = new Uint8Array(randomBytes(24))

function inPieces (cipher: Cipher, data: Uint8Array, sizes: number[]): Uint8Array {
  const out = new Uint8Array(data.byteLength)
  let offset = 0
  for (let i = 0; offset < data.byteLength; i++) {
    const end = Math.min(data.byteLength, offset + sizes[i % sizes.length])
    out.set(cipher.update(data.subarray(offset, end)), offset)
    offset = end
  }
  return out
}

test.serial('the patched cipher gives the same keystream however the input is cut', t => {
  t.true(patchPnetCipher())
  t.true(patchPnetCipher(), 'patching twice is harmless')
  const plain = new Uint8Array(randomBytes(3 * 1024 * 1024 + 5))
  const sealed = xsalsa20(nonce, key).update(plain)
  t.false(Buffer.from(sealed).equals(Buffer.from(plain)))
  const opened = inPieces(xsalsa20(nonce, key), sealed, [1, 63, 64, 65, 1000, 700_000, 12])
  t.true(Buffer.from(opened).equals(Buffer.from(plain)))
})

test.serial('ciphers keep working after one of them saw a huge update (the pnet crash)', t => {
  t.true(patchPnetCipher())
  const inbound = xsalsa20(nonce, key)
  const outbound = xsalsa20(nonce, key)
  inbound.update(new Uint8Array(4 * 1024 * 1024))
  const small = new Uint8Array(12)
  // unpatched, the shared wasm memory grows on every update and this throws within ~500 rounds
  t.notThrows(() => { for (let i = 0; i < 5000; i++) { inbound.update(small); outbound.update(small) } })
})
