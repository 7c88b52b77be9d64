import test from 'ava'
import { EffectQueue, type Effect, type Millis } from '../../../protocols/core/index.js'
import type { SansIoProtocol } from '../../../protocols/core/index.js'
import { silentLogger } from '../../../src/config/logger.js'
import { TopicGuard } from '../../../node/libp2p/topic-guard.js'
import { ProtocolHost } from '../../../node/mesh/protocol-host.js'
import { startNode } from '../libp2p/helpers.js'

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
