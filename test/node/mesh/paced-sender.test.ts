import test from 'ava'
import type { PeerId } from '@libp2p/interface'
import { silentLogger } from '../../../src/config/logger.js'
import type { MeshLibp2p } from '../../../node/libp2p/index.js'
import { MAX_SEND_LANES, PacedSender } from '../../../node/mesh/paced-sender.js'

/** A libp2p whose dials hang until their signal aborts; `dialed` lists the peers dialled. */
function hangingLibp2p (): { libp2p: MeshLibp2p, dialed: string[] } {
  const dialed: string[] = []
  const libp2p = {
    dialProtocol: async (peer: PeerId, _protocols: string[], { signal }: { signal: AbortSignal }) => {
      dialed.push(peer.toString())
      return await new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }) })
    }
  }
  return { libp2p: libp2p as unknown as MeshLibp2p, dialed }
}

const peer = (i: number): PeerId => ({ toString: () => `peer${i}` }) as unknown as PeerId

test('frames to 8,000 peers at once dial MAX_SEND_LANES of them; the others are dropped and counted', t => {
  const { libp2p, dialed } = hangingLibp2p()
  const stop = new AbortController()
  t.teardown(() => { stop.abort() })
  const sender = new PacedSender({ libp2p, logger: silentLogger() }, { deadlineMs: 60_000, signal: stop.signal })
  for (let i = 0; i < 8000; i++) sender.send(peer(i), '/gmesh/jobs/3.0.0', Uint8Array.of(3))
  t.is(dialed.length, MAX_SEND_LANES)
  t.is(sender.refusedLanes, 8000 - MAX_SEND_LANES)
  sender.send(peer(0), '/gmesh/jobs/3.0.0', Uint8Array.of(3))
  t.is(dialed.length, MAX_SEND_LANES + 1, 'a peer that has a lane is still sent to')
})
