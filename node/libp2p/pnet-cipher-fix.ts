import { createRequire } from 'node:module'

/**
 * Works around a crash of `@libp2p/pnet` <= 3.0.27 (js-libp2p PR #3585, not released yet):
 * pnet encrypts with the `xsalsa20` package, whose ciphers share one WebAssembly memory but
 * each keep their own view of it. One update larger than the memory (~600 KiB, e.g. a TCP
 * read that coalesced several frames) grows the memory, which detaches every other cipher's
 * view; each of them then "grows" again on its next update, so the memory grows on every
 * update until `WebAssembly.Memory.grow(): Maximum memory size exceeded` is thrown from a
 * socket event handler and the whole process dies. A 10 MiB transfer over a keyed mesh is
 * enough to trigger it.
 *
 * The fix wraps `XSalsa20.prototype.update` so that (1) input is fed in 64 KiB pieces, which
 * never outgrow the initial memory (the keystream is the same: the cipher carries its block
 * position across calls), and (2) a cipher whose view was detached by a growth elsewhere
 * gets a fresh view first. It patches only the exact shape of xsalsa20 1.x it knows.
 */

const PIECE_BYTES = 64 * 1024
const PATCHED = Symbol.for('gmesh.xsalsa20.patched')

interface WasmXor { _memory?: Uint8Array }
interface Cipher { _xor?: WasmXor | null }
type Update = (this: Cipher, input: Uint8Array, output?: Uint8Array) => Uint8Array
interface XSalsa20Module { prototype: { update: Update, [PATCHED]?: boolean } }

/** Applies the workaround once per process; returns false if xsalsa20 has an unknown shape. */
export function patchPnetCipher (): boolean {
  const module = loadXSalsa20()
  if (module == null) return false
  const proto = module.prototype
  if (proto[PATCHED] === true) return true
  const original = proto.update
  let current: ArrayBuffer | undefined
  proto.update = function (this: Cipher, input: Uint8Array, output?: Uint8Array): Uint8Array {
    const out = output ?? new Uint8Array(input.byteLength)
    for (let offset = 0; offset < input.byteLength; offset += PIECE_BYTES) {
      refreshView(this._xor, current)
      const end = Math.min(offset + PIECE_BYTES, input.byteLength)
      original.call(this, input.subarray(offset, end), out.subarray(offset, end))
      const view = this._xor?._memory
      if (view != null && !isDetached(view.buffer)) current = view.buffer as ArrayBuffer
    }
    return out
  }
  proto[PATCHED] = true
  return true
}

function refreshView (xor: WasmXor | null | undefined, current: ArrayBuffer | undefined): void {
  const view = xor?._memory
  if (xor == null || view == null || current == null || !isDetached(view.buffer)) return
  xor._memory = new Uint8Array(current)
}

function isDetached (buffer: ArrayBufferLike): boolean {
  return (buffer as ArrayBuffer).detached
}

function loadXSalsa20 (): XSalsa20Module | undefined {
  try {
    // resolved the way @libp2p/pnet resolves it
    const require = createRequire(import.meta.resolve('@libp2p/pnet'))
    const module: unknown = require('xsalsa20')
    if (typeof module !== 'function' || typeof (module as Partial<XSalsa20Module>).prototype?.update !== 'function') return undefined
    return module as unknown as XSalsa20Module
  } catch {
    return undefined
  }
}
