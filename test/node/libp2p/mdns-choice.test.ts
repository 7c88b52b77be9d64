import test from 'ava'
import { mdnsChoice, MDNS_OFF_BY_FLAG, MDNS_OFF_ON_LOOPBACK } from '../../../node/libp2p/mdns-choice.js'

test('mDNS runs when asked for and some listen address can be reached from another machine', t => {
  t.deepEqual(mdnsChoice(['/ip4/0.0.0.0/tcp/5072'], true), { on: true })
  t.deepEqual(mdnsChoice(['/ip4/10.0.0.5/tcp/5072'], true), { on: true })
  t.deepEqual(mdnsChoice(['/ip4/127.0.0.1/tcp/5072', '/ip6/::/tcp/5072'], true), { on: true }, 'one reachable address is enough')
})

test('a node listening only on loopback runs no mDNS, and says why', t => {
  for (const listen of [['/ip4/127.0.0.1/tcp/0'], ['/ip4/127.0.0.2/tcp/5072', '/ip6/::1/tcp/5072'], ['/dns4/localhost/tcp/5072']]) {
    t.deepEqual(mdnsChoice(listen, true), { on: false, reason: MDNS_OFF_ON_LOOPBACK }, listen.join(' '))
  }
  t.regex(MDNS_OFF_ON_LOOPBACK, /^every listen address is loopback/)
})

test('--no-mdns turns it off whatever the addresses', t => {
  t.deepEqual(mdnsChoice(['/ip4/0.0.0.0/tcp/5072'], false), { on: false, reason: MDNS_OFF_BY_FLAG })
  t.deepEqual(mdnsChoice(['/ip4/127.0.0.1/tcp/0'], false), { on: false, reason: MDNS_OFF_BY_FLAG })
})
