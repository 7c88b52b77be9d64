import test from 'ava'
import { Xoshiro128 } from '../../../protocols/core/index.js'
import type { Effect, Millis, PeerId } from '../../../protocols/core/index.js'
import { casFrameCodec } from '../../../protocols/cache/index.js'
import type { CacheCommand, SignedRecord } from '../../../protocols/cache/index.js'
import { gradleKey, makeNode, sha256Of } from './helpers.js'
import type { TestNode } from './helpers.js'

/**
 * A small seeded mesh driven the way the node and the simulator drive the protocol: virtual clock,
 * lossy, duplicating, reordering gossip, fetches that take an RTT for the header and size/bandwidth for the
 * body, bytes hashed by the driver. Some nodes serve corrupt bytes, one answers slowly, one crashes.
 */
class Mesh {
  readonly random: Xoshiro128
  readonly nodes: TestNode[]
  readonly stores = new Map<PeerId, Map<string, SignedRecord>>()
  readonly corrupt = new Set<PeerId>()
  readonly slow = new Set<PeerId>()
  readonly crashed = new Set<PeerId>()
  readonly answers: Array<{ node: PeerId, key: string, at: Millis, deadline: Millis, hit: boolean, servedSha?: string }> = []
  private readonly deadlines = new Map<string, Millis>()
  private readonly timerGen = new Map<string, number>()
  private readonly cancelled = new Set<string>()
  private events: Array<{ at: Millis, seq: number, run: () => void }> = []
  private seq = 0
  now = 0
  loss = 0
  duplication = 0
  penalties = 0

  constructor (seed: number, size: number) {
    this.random = new Xoshiro128(seed)
    const ids = Array.from({ length: size }, (_, i) => `n${i}`)
    this.nodes = ids.map((id, i) => makeNode(id, ids, { seed: seed + i }))
    for (const id of ids) this.stores.set(id, new Map())
    for (const node of this.nodes) node.cache.start(0)
    this.pump()
  }

  at (delay: Millis, run: () => void): void {
    this.events.push({ at: this.now + delay, seq: this.seq++, run })
  }

  runUntil (end: Millis): void {
    for (;;) {
      this.events.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.events[0]
      if (next === undefined || next.at > end) break
      this.events.shift()
      this.now = next.at
      next.run()
      this.pump()
    }
    this.now = end
  }

  put (node: TestNode, n: number): void {
    const record = node.cache.localPut({ gradleKey: gradleKey(n), sha256: sha256Of(`blob ${n}`), size: 10_000 + n, time: n }, this.now)
    if (record !== undefined) this.stores.get(node.self)?.set(record.gradleKey, record)
    this.pump()
  }

  get (node: TestNode, n: number, budget: Millis): void {
    const key = gradleKey(n)
    if (this.stores.get(node.self)?.has(key) === true) return
    this.deadlines.set(`${node.self}/${key}`, this.now + budget)
    node.cache.get(key, this.now, this.now + budget)
    this.pump()
  }

  /** The node stops answering; membership tells the others a little later. */
  crash (peer: PeerId): void {
    this.crashed.add(peer)
    this.at(500, () => {
      for (const node of this.nodes) {
        node.peers.alive.delete(peer)
        node.cache.onPeerDown(peer, this.now)
      }
    })
  }

  /** Drains every node (a crashed one says nothing) and carries out what it asked for. */
  pump (): void {
    for (const node of this.nodes) {
      if (this.crashed.has(node.self)) {
        node.cache.drainEffects()
        node.cache.drainCommands()
        continue
      }
      for (const effect of node.cache.drainEffects()) this.effect(node, effect)
      for (const command of node.cache.drainCommands()) this.command(node, command)
    }
  }

  private effect (node: TestNode, e: Effect): void {
    const id = `${node.self}/${e.kind === 'setTimer' || e.kind === 'cancelTimer' ? e.key : ''}`
    if (e.kind === 'setTimer') {
      const gen = (this.timerGen.get(id) ?? 0) + 1
      this.timerGen.set(id, gen)
      this.at(e.at - this.now, () => { if (this.timerGen.get(id) === gen) node.cache.onTimer(e.key, this.now) })
    } else if (e.kind === 'cancelTimer') {
      this.timerGen.set(id, (this.timerGen.get(id) ?? 0) + 1)
    } else if (e.kind === 'publish') {
      for (const other of this.nodes) {
        if (other === node || this.random.nextFloat() < this.loss) continue
        const copies = this.random.nextFloat() < this.duplication ? 2 : 1
        for (let i = 0; i < copies; i++) this.at(1 + this.random.nextInt(20), () => other.cache.onMessage(node.self, e.topic, e.bytes, this.now))
      }
    } else {
      const target = this.nodes.find(n => n.self === e.to)
      if (target !== undefined) this.at(1 + this.random.nextInt(10), () => target.cache.onMessage(node.self, e.protocolId, e.bytes, this.now))
    }
  }

  private command (node: TestNode, c: CacheCommand): void {
    if (c.kind === 'fetch') this.fetch(node, c.key, c.peer)
    else if (c.kind === 'penalise') this.penalties++
    else if (c.kind === 'cancelFetch') this.cancelled.add(`${node.self}/${c.key}/${c.peer}`)
    else if (c.kind === 'answer') {
      const deadline = this.deadlines.get(`${node.self}/${c.key}`) ?? this.now
      const served = c.outcome.hit ? this.stores.get(node.self)?.get(c.key)?.sha256 : undefined
      this.answers.push({ node: node.self, key: c.key, at: this.now, deadline, hit: c.outcome.hit, ...(served === undefined ? {} : { servedSha: served }) })
    }
  }

  /** The driver side of a fetch: header after an RTT, then the body, hashed as it would be while streaming. */
  private fetch (node: TestNode, key: string, peer: PeerId): void {
    const attempt = `${node.self}/${key}/${peer}`
    this.cancelled.delete(attempt)
    if (this.crashed.has(peer)) return
    const rtt = this.slow.has(peer) ? 5000 : 2 + this.random.nextInt(30)
    this.at(rtt, () => {
      if (this.cancelled.has(attempt)) return
      const record = this.stores.get(peer)?.get(key)
      const header = record === undefined
        ? casFrameCodec.encode({ type: 'fetch-response', status: 'missing' })
        : casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size, record })
      const decision = node.cache.onFetchHeader(key, peer, header, this.now)
      if (!decision.accept) return
      const body = this.corrupt.has(peer) ? `corrupted ${key}` : `blob ${parseInt(key, 16)}`
      this.at(Math.ceil(decision.size / 1000), () => {
        if (this.cancelled.has(attempt)) return
        const ok = sha256Of(body) === decision.sha256
        if (ok) this.stores.get(node.self)?.set(key, decision.record)
        node.cache.onFetchResult(key, peer, ok ? 'ok' : 'corrupt', this.now)
      })
    })
  }
}

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: no corrupt blob served, every GET answered by its deadline, every live entry found`, t => {
    const mesh = new Mesh(seed, 12)
    for (const id of ['n1', 'n2']) mesh.corrupt.add(id)
    mesh.slow.add('n3')
    mesh.loss = 0.1
    mesh.duplication = 0.1
    const producers = mesh.nodes.slice(0, 6)
    for (let n = 0; n < 40; n++) mesh.put(producers[n % producers.length] as TestNode, n)
    mesh.runUntil(1000)
    for (let round = 0; round < 3; round++) {
      if (round === 1) mesh.crash('n5')
      for (const node of mesh.nodes) if (!mesh.crashed.has(node.self)) mesh.get(node, mesh.random.nextInt(40), 2000)
      mesh.runUntil(mesh.now + 3000)
    }

    mesh.loss = 0
    mesh.duplication = 0
    for (let n = 100; n < 110; n++) mesh.put(mesh.nodes[6 + (n % 6)] as TestNode, n)
    mesh.runUntil(mesh.now + 1000)
    const liveness = mesh.answers.length
    for (const node of mesh.nodes) for (let n = 100; n < 110; n++) if (!mesh.crashed.has(node.self)) mesh.get(node, n, 2000)
    mesh.runUntil(mesh.now + 5000)

    t.true(mesh.answers.length > 100)
    for (const a of mesh.answers) {
      t.true(a.at <= a.deadline, `${a.node} answered ${a.key} at ${a.at}, deadline ${a.deadline}`)
      if (a.hit) t.is(a.servedSha, sha256Of(`blob ${parseInt(a.key, 16)}`), 'a hit is always the true bytes')
    }
    const late = mesh.answers.slice(liveness)
    t.true(late.length > 0 && late.every(a => a.hit), `liveness: ${late.filter(a => !a.hit).length} of ${late.length} missed`)
    t.true(mesh.penalties > 0, 'the corrupt nodes were caught')
    t.log(`${mesh.answers.length} answers, ${mesh.answers.filter(a => a.hit).length} hits, ${mesh.penalties} penalties`)
  })
}
