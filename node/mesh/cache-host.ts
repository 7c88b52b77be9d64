import { peerIdFromString } from '@libp2p/peer-id'
import {
  CacheProtocol, casFrameCodec, recordFromStored, recordProof, CACHE_MESSAGE_MAX_BYTES,
  type CacheCommand, type SignedRecord
} from '../../protocols/cache/index.js'
import { Xoshiro128 } from '../../protocols/core/index.js'
import type { EntryMeta, EntryProof } from '../../src/cas/types.js'
import type { RpcContext } from '../libp2p/index.js'
import { BlobServer } from './blob-transfer.js'
import { reportingProgress } from './body-progress.js'
import { DhtProviders } from './dht-providers.js'
import { HeldBodies } from './held-bodies.js'
import { fetchFailure, IN_MEMORY_FETCH_BYTES, readVerifiedBody, VERIFIED_BODY_BUDGET_BYTES } from './verified-body.js'
import { ProtocolHost } from './protocol-host.js'
import { ReplicaPuller, type ReplicaPullerInit } from './replica-puller.js'
import { ReplicaPusher, sendPushOffer, type PushOutcome } from './replica-pusher.js'
import { ReplicaBacklogFile } from './replica-backlog-file.js'
import { ed25519Signer, ed25519Verifier } from './signing.js'
import { randomInt } from 'node:crypto'
import type { CacheHostComponents, CacheHostInit, CacheHostStats, CacheHostTiming, PeerFetchAnswer } from './cache-host-types.js'

export type { CacheHostComponents, CacheHostInit, CacheHostStats, CacheHostTiming, PeerFetchAnswer } from './cache-host-types.js'

/** The replica puller's timings the host was given (the rest stay the puller's defaults). */
function pullTiming (timing: CacheHostTiming): Pick<ReplicaPullerInit, 'stallMs' | 'timing'> {
  return {
    ...(timing.replicaPullStallMs === undefined ? {} : { stallMs: timing.replicaPullStallMs }),
    ...(timing.replicaPull === undefined ? {} : { timing: timing.replicaPull })
  }
}

/**
 * Runs the cache-sharing protocol (protocols/cache) on libp2p: announces local PUTs, answers the
 * HTTP server's misses by fetching from providers with SHA-256 verification while streaming,
 * serves blobs and replication offers to peers.
 */
export class CacheHost {
  readonly stats: CacheHostStats = { peerHits: 0, peerMisses: 0, fetchedBytes: 0, corruptRejected: 0, penalised: 0, replicasPushed: 0, replicaPushesFailed: 0, replicasStored: 0 }
  readonly protocol: CacheProtocol
  private readonly host: ProtocolHost
  private readonly blobs: BlobServer
  private readonly waiters = new Map<string, Array<(answer: PeerFetchAnswer) => void>>()
  /** Verified bytes of fetches still being stored: GETs for them are answered from here meanwhile. */
  private readonly storing: HeldBodies
  /** The fetches running, by their command's `attempt`: a fetch called off may still run when the next one of its key and peer starts. */
  private readonly fetches = new Map<number, AbortController>()
  private readonly stopping = new AbortController()
  private readonly dht: DhtProviders
  private readonly pusher: ReplicaPusher
  private readonly puller: ReplicaPuller
  /** The own entries short of replicas, kept for the next run (not without `init.replicaBacklogFile`). */
  private readonly backlogFile: ReplicaBacklogFile | undefined
  private readonly self: string

  constructor (private readonly components: CacheHostComponents, private readonly init: CacheHostInit) {
    const { libp2p, privateKey, peers, logger, guard, store } = components
    this.storing = new HeldBodies(init.verifiedBodyBudgetBytes ?? VERIFIED_BODY_BUDGET_BYTES)
    this.self = libp2p.peerId.toString()
    this.protocol = new CacheProtocol({
      self: this.self,
      sign: ed25519Signer(privateKey),
      verify: ed25519Verifier(),
      peers,
      random: new Xoshiro128(randomInt(2 ** 31)),
      ...(init.trust == null ? {} : { trust: init.trust })
    }, { ...init.overrides, lookup: { maxEntryBytes: init.maxEntryBytes, ...init.overrides?.lookup } })
    this.host = new ProtocolHost({ libp2p, guard, logger }, this.protocol, {
      maxMessageBytes: CACHE_MESSAGE_MAX_BYTES,
      afterInput: () => { this.runCommands(); this.backlogFile?.noticeChanges() }
    })
    this.backlogFile = init.replicaBacklogFile === undefined ? undefined : new ReplicaBacklogFile({ path: init.replicaBacklogFile, logger, backlog: this.protocol })
    const timing = init.timing ?? {}
    this.blobs = new BlobServer({ libp2p, store, logger, onPush: async (from, frame, call) => await this.onPush(from, frame, call) },
      timing.blobRequestTimeoutMs === undefined ? {} : { requestTimeoutMs: timing.blobRequestTimeoutMs })
    this.dht = new DhtProviders({ libp2p, logger }, this.stopping.signal)
    this.puller = new ReplicaPuller({
      libp2p, store, maxEntryBytes: init.maxEntryBytes, ...pullTiming(timing),
      onStored: record => {
        this.stats.replicasStored++
        this.host.input(() => { this.protocol.localStored(record, this.host.now()) })
      },
      onCorrupt: from => {
        this.stats.corruptRejected++
        this.host.input(() => { this.protocol.onReplicaPullCorrupt(from, this.host.now()) })
      }
    }, this.stopping.signal)
    this.pusher = new ReplicaPusher({
      send: async (record, to, signal) => await sendPushOffer(libp2p, record, to, signal),
      onDone: (record, to, outcome) => { this.pushed(record, to, outcome) }
    }, this.stopping.signal)
  }

  /** Provides and provider lookups in the DHT (large meshes). */
  get dhtStats (): DhtProviders['stats'] { return this.dht.stats }

  get uploads (): BlobServer['stats'] { return this.blobs.stats }

  /** Verified bodies of peer fetches held in memory now, and the bytes of the budget they and bodies being read take. */
  get heldBodies (): { bodies: number, reservedBytes: number } { return { bodies: this.storing.size, reservedBytes: this.storing.reserved } }

  async start (): Promise<void> {
    await this.blobs.start()
    await this.host.start()
    // before membership starts: the entries resumed are offered in the round a peer coming up brings
    const resumed = await this.backlogFile?.loadWithStored(this.components.store)
    if (resumed !== undefined) this.host.input(() => { this.protocol.resumeReplications(resumed.saved, resumed.stored, this.host.now()) })
  }

  async stop (): Promise<void> {
    this.stopping.abort(new Error('cache host stopped'))
    for (const waiting of this.waiters.values()) for (const resolve of waiting) resolve(false)
    this.waiters.clear()
    this.storing.clear()
    await this.host.stop()
    await this.blobs.stop()
    await this.backlogFile?.flush()
  }

  /**
   * The HTTP server's miss hook: resolves to the verified bytes of an entry as soon as they are checked (the store
   * writes them meanwhile), true once one read past the memory budget is in the local store, false on a miss.
   */
  async fetchMissing (key: string, signal: AbortSignal): Promise<PeerFetchAnswer> {
    if (signal.aborted) return false
    const verified = this.storing.get(key)
    if (verified !== undefined) return verified
    return await new Promise<PeerFetchAnswer>(resolve => {
      const settle = (answer: PeerFetchAnswer): void => {
        signal.removeEventListener('abort', onAbort)
        resolve(answer)
      }
      const onAbort = (): void => {
        const list = this.waiters.get(key) ?? []
        const at = list.indexOf(settle)
        if (at >= 0) list.splice(at, 1)
        if (list.length === 0) this.waiters.delete(key)
        resolve(false)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      const list = this.waiters.get(key) ?? []
      list.push(settle)
      this.waiters.set(key, list)
      if (list.length === 1) this.host.input(() => { this.protocol.get(key, this.host.now()) })
    })
  }

  /**
   * A Gradle PUT was stored: announce it. Its record was signed as the store wrote it (`proofOfLocalPut`); only an
   * entry stored without a proof of this node's is signed here and its proof added to the entry. Not if the store
   * no longer holds that entry (evicted at once, or replaced by another PUT of the key): offering it would cost
   * every asker a failed fetch.
   */
  async onLocalPut (meta: EntryMeta): Promise<void> {
    if ((await this.components.store.head(meta.key))?.sha256 !== meta.sha256) return
    const signed = meta.producer === this.self ? recordFromStored(meta) : undefined
    if (signed !== undefined) {
      this.host.input(() => { this.protocol.localPutSigned(signed, this.host.now()) })
      return
    }
    const record = this.host.input(() => this.protocol.localPut({ gradleKey: meta.key, sha256: meta.sha256, size: meta.size, time: Date.now() }, this.host.now()))
    if (record != null) await this.components.store.annotate(meta.key, { sha256: meta.sha256, producer: record.producer, signature: recordProof(record) })
  }

  /**
   * The proof a Gradle PUT's entry is stored with (a put's `proofOf`): its record signed while the store writes it,
   * so the entry is indexed once, with the proof; `onLocalPut` announces it once stored.
   */
  proofOfLocalPut (entry: { key: string, sha256: string, size: number }): EntryProof | undefined {
    const record = this.protocol.signLocal({ gradleKey: entry.key, sha256: entry.sha256, size: entry.size, time: Date.now() })
    return record === undefined ? undefined : { producer: record.producer, signature: recordProof(record) }
  }

  /** The local store no longer holds these entries: stop offering them (re-announcing, index sync). */
  forgetHeld (keys: readonly string[]): void {
    this.host.input(() => { for (const key of keys) this.protocol.localEvicted(key) })
  }

  peerUp (peer: string): void { this.host.input(() => { this.protocol.onPeerUp(peer, this.host.now()) }) }
  peerDown (peer: string): void {
    this.pusher.forget(peer)
    this.host.input(() => { this.protocol.onPeerDown(peer, this.host.now()) })
  }

  private runCommands (): void {
    for (const command of this.protocol.drainCommands()) this.run(command)
  }

  private run (command: CacheCommand): void {
    switch (command.kind) {
      case 'fetch': void this.fetch(command); break
      case 'cancelFetch': this.fetches.get(command.attempt)?.abort(new Error('lookup moved on')); break
      case 'findProviders':
        void this.dht.find(command.key, command.deadline - this.host.now(), peer => { this.host.input(() => { this.protocol.onProvidersFound(command.key, [peer], this.host.now()) }) })
          .then(() => { if (!this.stopping.signal.aborted) this.host.input(() => { this.protocol.onProvidersFound(command.key, [], this.host.now(), true) }) })
        break
      case 'provide': void this.dht.provide(command.key); break
      case 'answer': this.answer(command.key, command.outcome.hit); break
      case 'penalise':
        this.stats.penalised++
        this.components.logger.warn({ peer: command.peer, reason: command.reason }, 'peer penalised')
        break
      case 'push': for (const to of command.to) this.pusher.push(command.record, to); break
    }
  }

  private answer (key: string, hit: boolean): void {
    // a lookup whose GETs already got the verified bytes was counted then, as the hit Gradle saw
    const answeredEarly = this.storing.drop(key)
    if (!answeredEarly && hit) this.stats.peerHits++
    if (!answeredEarly && !hit) this.stats.peerMisses++
    this.settle(key, hit)
  }

  private settle (key: string, answer: PeerFetchAnswer): void {
    const waiting = this.waiters.get(key) ?? []
    this.waiters.delete(key)
    for (const resolve of waiting) resolve(answer)
  }

  private async fetch ({ key, peer, attempt, deadline }: Extract<CacheCommand, { kind: 'fetch' }>): Promise<void> {
    const controller = new AbortController()
    this.fetches.set(attempt, controller)
    const signal = AbortSignal.any([controller.signal, this.stopping.signal])
    const started = performance.now()
    this.components.peers.transferStarted(peer)
    let result: 'ok' | 'corrupt' | 'missing' | 'timeout' | 'error' = 'error'
    let bytes = 0
    try {
      const response = await this.blobs.fetch(peerIdFromString(peer), key, {
        signal, deadlineMs: Math.max(1, deadline - this.host.now()), maxBodyBytes: this.init.maxEntryBytes
      })
      this.components.peers.recordRtt(peer, performance.now() - started)
      const decision = this.host.input(() => this.protocol.onFetchHeader(key, peer, response.header, this.host.now(), attempt))
      if (!decision.accept) {
        response.abort()
        result = 'missing'
        return
      }
      const progress = (received: number): void => { this.host.input(() => { this.protocol.onFetchProgress(key, peer, received, this.host.now(), attempt) }) }
      const streamed = reportingProgress(response.body, decision.size, progress)
      const body = await this.verifiedInMemory(key, streamed, decision, signal) ?? streamed
      // A peer's copy can be fetched again: no fdatasync on its way to Gradle (verify-on-read guards it).
      await this.components.store.put(key, body, {
        expectedSha256: decision.sha256, expectedSize: decision.size, producer: decision.record.producer, signature: recordProof(decision.record), durable: false, signal,
        bodyHashed: body instanceof Uint8Array // readVerifiedBody hashed it as it came: 10 MiB took the event loop 10-30 ms again
      })
      this.stats.fetchedBytes += decision.size
      bytes = decision.size
      result = 'ok'
    } catch (err) {
      result = fetchFailure(err, signal)
      if (result === 'corrupt') this.stats.corruptRejected++
      this.components.logger.debug({ err, key, peer, result }, 'peer fetch failed')
    } finally {
      this.fetches.delete(attempt)
      this.components.peers.transferEnded(peer)
      this.components.events?.emit({ type: 'peer-fetch', key, peer, result, bytes, ms: performance.now() - started })
      if (!this.stopping.signal.aborted) this.host.input(() => { this.protocol.onFetchResult(key, peer, result, this.host.now(), attempt) })
    }
  }

  /**
   * Reads a body into memory and checks it, then answers the GETs waiting for it from there (while the store writes
   * it): a small one always, a bigger one if its bytes fit the memory budget and no GET is answered from memory yet
   * (a failed write sends the lookup to another provider: its copy goes to the store only). Undefined for a body
   * left to stream into the store, whose GETs are answered from the store once it holds it. A fetch called off
   * (`signal`) holds nothing: its lookup may have answered already, and only an answer lets a held body go.
   */
  private async verifiedInMemory (key: string, body: AsyncIterable<Uint8Array>, { size, sha256 }: { size: number, sha256: string }, signal: AbortSignal): Promise<Uint8Array | undefined> {
    const small = size <= (this.init.inMemoryFetchBytes ?? IN_MEMORY_FETCH_BYTES)
    const reserved = small || this.storing.has(key) || !this.storing.reserve(size) ? 0 : size
    if (!small && reserved === 0) return undefined
    let bytes: Uint8Array
    try {
      bytes = await readVerifiedBody(body, size, sha256)
      signal.throwIfAborted()
    } catch (err) {
      this.storing.release(reserved)
      throw err
    }
    if (!this.storing.has(key)) this.stats.peerHits++ // once per lookup, also if a failed write sends it to another provider
    this.storing.hold(key, bytes, reserved)
    this.settle(key, bytes)
    return bytes
  }

  private pushed (record: SignedRecord, to: string, outcome: PushOutcome): void {
    if (!this.stopping.signal.aborted) this.host.input(() => { this.protocol.onPushResult(record.gradleKey, to, outcome) })
    if (outcome === 'pushed') this.stats.replicasPushed++
    if (outcome === 'failed') this.stats.replicaPushesFailed++
    if (outcome !== 'pushed') this.components.logger.debug({ to, key: record.gradleKey, outcome }, 'replica push not taken')
  }

  /**
   * A push offer: refused, `have`, or pulled. The request deadline is lifted once the offer is taken: the pull bounds
   * itself (its header in time, no long stall, its share of its pusher's rate in every window, and an absolute deadline
   * that grows with the entry's size up to 2 h), so a big entry on a slow link is stored.
   */
  private async onPush (from: string, frame: Uint8Array, call: Pick<RpcContext, 'signal' | 'releaseDeadline'>): Promise<Uint8Array> {
    const decision = this.host.input(() => this.protocol.onPushHeader(from, frame, this.host.now()))
    if (!decision.accept) return casFrameCodec.encode({ type: 'push-ack', status: decision.status })
    const { record } = decision
    if (record.size > this.init.maxEntryBytes) return casFrameCodec.encode({ type: 'push-ack', status: 'refused' })
    if (await this.components.store.head(record.gradleKey) != null) return casFrameCodec.encode({ type: 'push-ack', status: 'have' })
    call.releaseDeadline()
    return casFrameCodec.encode({ type: 'push-ack', status: await this.puller.pull(from, record, call.signal) })
  }
}
