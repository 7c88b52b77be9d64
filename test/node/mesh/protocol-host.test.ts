import test from 'ava'
import { EffectQueue, type Effect, type Millis } from '../../../protocols/core/index.js'
import type { SansIoProtocol } from '../../../protocols/core/index.js'
import { silentLogger } from '../../../src/config/logger.js'
import { TopicGuard } from '../../../node/libp2p/topic-guard.js'
import { ProtocolHost } from '../../../node/mesh/protocol-host.js'
import { multiaddr } from '@multiformats/multiaddr'
import { addressOf, startNode } from '../libp2p/helpers.js'

/** A protocol with one periodic timer whose step throws the first time (a bug), then counts its ticks. */
class FlakyTicker implements SansIoProtocol {
  readonly topics = []
  readonly protocolIds = []
  ticks = 0
  private failed = false
  private readonly effects = new EffectQueue()
  onTick: () => void = () => {}

  start (now: Millis): void { this.effects.setTimer('tick', now + 10) }
  stop (): void {}
  onMessage (): 'ignore' { return 'ignore' }
  drainEffects (): Effect[] { return this.effects.drain() }
  onTimer (key: string, now: Millis): void {
    if (!this.failed) {
      this.failed = true
      throw new Error('a bug in the tick') // before it re-arms itself: without help the ticks would stop here
    }
    this.ticks++
    this.onTick()
    this.effects.setTimer(key, now + 10)
  }
}

test('a protocol timer whose step throws is fired again, so a periodic timer keeps going and the node stays up', async t => {
  const libp2p = await startNode(t)
  const protocol = new FlakyTicker()
  const host = new ProtocolHost({ libp2p, guard: new TopicGuard(libp2p.services.pubsub), logger: silentLogger() }, protocol, { maxMessageBytes: 1024 })
  const twoTicks = new Promise<void>(resolve => { protocol.onTick = () => { if (protocol.ticks === 2) resolve() } })
  await host.start()
  t.teardown(async () => { await host.stop() })
  await twoTicks
  t.is(protocol.ticks, 2)
})

/** A protocol that only listens on `protocolIds` and records on which one each frame came. */
class Listener implements SansIoProtocol {
  readonly topics = []
  readonly heard: string[] = []
  onHeard: () => void = () => {}
  constructor (readonly protocolIds: readonly string[]) {}
  start (): void {}
  stop (): void {}
  onMessage (_from: string, via: string): 'accept' { this.heard.push(via); this.onHeard(); return 'accept' }
  onTimer (): void {}
  drainEffects (): Effect[] { return [] }
}

/** A protocol that, once started, sends one frame to `to` on `/t/2.0.0`, or `/t/1.0.0` if `to` does not speak it. */
class Asker implements SansIoProtocol {
  readonly topics = []
  readonly protocolIds = []
  private readonly effects = new EffectQueue()
  constructor (private readonly to: string) {}
  start (): void { this.effects.send(this.to, '/t/2.0.0', Uint8Array.of(1), ['/t/1.0.0']) }
  stop (): void {}
  onMessage (): 'ignore' { return 'ignore' }
  onTimer (): void {}
  drainEffects (): Effect[] { return this.effects.drain() }
}

for (const [speaks, expected] of [[['/t/1.0.0'], '/t/1.0.0'], [['/t/1.0.0', '/t/2.0.0'], '/t/2.0.0']] as const) {
  test(`a send with a fallback protocol reaches a peer that speaks ${speaks.join(' and ')} on ${expected}`, async t => {
    t.timeout(15_000)
    const [a, b] = [await startNode(t), await startNode(t)]
    const listener = new Listener(speaks)
    const heard = new Promise<void>(resolve => { listener.onHeard = resolve })
    const hosts = [new ProtocolHost({ libp2p: b, guard: new TopicGuard(b.services.pubsub), logger: silentLogger() }, listener, { maxMessageBytes: 1024 })]
    await hosts[0]?.start()
    await a.dial(multiaddr(addressOf(b)), { signal: AbortSignal.timeout(10_000) })
    hosts.push(new ProtocolHost({ libp2p: a, guard: new TopicGuard(a.services.pubsub), logger: silentLogger() }, new Asker(b.peerId.toString()), { maxMessageBytes: 1024 }))
    t.teardown(async () => { for (const host of hosts) await host.stop() })
    await hosts[1]?.start()
    await heard
    t.deepEqual(listener.heard, [expected])
  })
}
