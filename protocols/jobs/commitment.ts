import { WireWriter } from '../core/index.js'
import { HASH_BYTES, writeUnit } from './messages.js'
import type { JobCommitment, UnitSpec, UnitTicket } from './messages.js'

/**
 * SHA-256, injected by the driver (node: `crypto.hash('sha256', data, 'buffer')`): protocols do no IO and import no
 * runtime module, and the simulator runs the same code. It must be synchronous and return 32 bytes.
 */
export type Sha256 = (data: Uint8Array) => Uint8Array

const LEAF = 0x00
const NODE = 0x01
/** Version of the leaf format, hashed into every leaf: 2, the jobs wire version that brought commitments. */
const LEAF_FORMAT = 2

/**
 * A unit's Merkle leaf: SHA-256 of 0x00, the leaf format version (2), then the unit as a grant encodes it (id, cost,
 * payload, dependencies; strings length-prefixed), so no two different units share a leaf.
 */
export function unitLeaf (sha256: Sha256, unit: UnitSpec): Uint8Array {
  const w = new WireWriter(LEAF, LEAF_FORMAT, 64 + unit.payload.length)
  writeUnit(w, unit)
  return sha256(w.finish(Number.MAX_SAFE_INTEGER))
}

function parent (sha256: Sha256, left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 2 * HASH_BYTES)
  input[0] = NODE
  input.set(left, 1)
  input.set(right, 1 + HASH_BYTES)
  return sha256(input)
}

/**
 * The Merkle tree over a job's units in submission order, as Certificate Transparency builds it (RFC 9162 2.1.1:
 * leaves hashed with a 0x00 prefix, inner nodes with 0x01; a node without a right sibling moves up a level as it is).
 * The submitter announces the root; a leader, granted the units, builds the same tree and hands each unit out with
 * its proof, about log2(n) hashes; a worker checks the proof against the root it heard from the submitter.
 */
export class UnitTree {
  /** levels[0]: the leaves; the last level: the root alone. */
  private readonly levels: Uint8Array[][]

  constructor (sha256: Sha256, units: readonly UnitSpec[]) {
    if (units.length === 0) throw new RangeError('a Merkle tree needs at least one unit')
    let level = units.map(u => unitLeaf(sha256, u))
    this.levels = [level]
    while (level.length > 1) {
      const next: Uint8Array[] = []
      for (let i = 0; i + 1 < level.length; i += 2) next.push(parent(sha256, level[i] as Uint8Array, level[i + 1] as Uint8Array))
      if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array)
      this.levels.push(next)
      level = next
    }
  }

  get size (): number { return (this.levels[0] as Uint8Array[]).length }
  get root (): Uint8Array { return (this.levels[this.levels.length - 1] as Uint8Array[])[0] as Uint8Array }
  get commitment (): JobCommitment { return { units: this.size, root: this.root } }

  /** The inclusion proof of the unit at `index`: its siblings' hashes, bottom up (RFC 9162 2.1.3.1). */
  proof (index: number): Uint8Array[] {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) throw new RangeError(`no unit ${index} in a tree of ${this.size}`)
    const path: Uint8Array[] = []
    let i = index
    for (let depth = 0; depth < this.levels.length - 1; depth++) {
      const level = this.levels[depth] as Uint8Array[]
      const sibling = i % 2 === 1 ? i - 1 : i + 1
      if (sibling < level.length) path.push(level[sibling] as Uint8Array)
      i = Math.floor(i / 2)
    }
    return path
  }
}

/** The commitment of a job's units (`submitJob`): the root of their `UnitTree`. */
export function commitTo (sha256: Sha256, units: readonly UnitSpec[]): JobCommitment {
  return new UnitTree(sha256, units).commitment
}

export function sameCommitment (a: JobCommitment, b: JobCommitment): boolean {
  return a.units === b.units && equalBytes(a.root, b.root)
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Whether `unit`, at `index` with inclusion proof `proof`, is one of the units `commitment` commits to, exactly
 * (RFC 9162 2.1.3.2): a changed id, dependency, cost or payload, another position, or a unit of another job fails.
 */
export function verifyUnit (sha256: Sha256, commitment: JobCommitment, unit: UnitSpec, index: number, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(index) || index < 0 || index >= commitment.units) return false
  let fn = index
  let sn = commitment.units - 1
  let r = unitLeaf(sha256, unit)
  for (const p of proof) {
    if (sn === 0 || p.length !== HASH_BYTES) return false
    if (fn % 2 === 1 || fn === sn) {
      r = parent(sha256, p, r)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2)
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      r = parent(sha256, r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && equalBytes(r, commitment.root)
}

/** `verifyUnit` for a ticket: the unit it names, as it describes it. */
export function verifyTicket (sha256: Sha256, commitment: JobCommitment, t: UnitTicket): boolean {
  return verifyUnit(sha256, commitment, { id: t.unitId, dependsOn: t.dependsOn, cost: t.cost, payload: t.payload }, t.index, t.proof)
}
