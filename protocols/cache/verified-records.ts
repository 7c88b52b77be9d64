import { trimOldest } from './negative-cache.js'
import { verifyRecord } from './record.js'
import type { SignedRecord, Verifier } from './record.js'

/**
 * Remembers records whose signature already verified, so the same record arriving again (from a
 * replica, a node that fetched it, a refresh, an index page) costs a Map lookup instead of a
 * signature check (Ed25519 through libp2p measured ~150–650 µs here). The memo key is every signed
 * field plus the signature, so a changed field or signature is checked afresh. Failures are not
 * remembered (an attacker could otherwise evict good entries with garbage).
 */
export class VerifiedRecords {
  private readonly seen = new Map<string, true>()
  hits = 0

  constructor (private readonly verify: Verifier, readonly maxEntries = 50_000) {}

  get size (): number {
    return this.seen.size
  }

  check (record: SignedRecord): boolean {
    const memo = memoKey(record)
    if (this.seen.has(memo)) {
      this.hits++
      return true
    }
    if (!verifyRecord(record, this.verify)) return false
    this.seen.set(memo, true)
    if (this.seen.size > this.maxEntries) trimOldest(this.seen, this.maxEntries)
    return true
  }
}

function memoKey (r: SignedRecord): string {
  let sig = ''
  for (const b of r.signature) sig += String.fromCharCode(b)
  return `${r.gradleKey}\n${r.sha256}\n${r.size}\n${r.producer}\n${r.time}\n${sig}`
}
