import test from 'ava'
import { P2pListenError } from '../../node/errors.js'

const inUse = new Error('listen EADDRINUSE: address already in use 127.0.0.1:17311')

test('a taken listen port is fixed with another port on the same host, not on every interface', t => {
  t.is(new P2pListenError(['/ip4/127.0.0.1/tcp/17311'], inUse).message,
    'cannot listen for peers on /ip4/127.0.0.1/tcp/17311: the port is already in use (another gmesh node?); ' +
    'choose another with --listen /ip4/127.0.0.1/tcp/PORT')
  t.regex(new P2pListenError(['/ip6/::1/tcp/17311'], inUse).message, /choose another with --listen \/ip6\/::1\/tcp\/PORT$/)
  t.regex(new P2pListenError(['/ip4/10.0.0.5/tcp/1', '/ip6/::/tcp/2'], inUse).message,
    /choose another with --listen \/ip4\/10\.0\.0\.5\/tcp\/PORT --listen \/ip6\/::\/tcp\/PORT$/)
})

test('an address the hint cannot rewrite gets the generic one', t => {
  t.regex(new P2pListenError(['/dns4/example.com/tcp/1'], inUse).message, /choose another with --listen \/ip4\/0\.0\.0\.0\/tcp\/PORT$/)
})

test('an address that is not this machine\'s is fixed with the same port on loopback or on every interface, not with the same address', t => {
  const notHere = new Error('listen EADDRNOTAVAIL: address not available 10.255.255.1:0')
  t.is(new P2pListenError(['/ip4/10.255.255.1/tcp/0'], notHere).message,
    'cannot listen for peers on /ip4/10.255.255.1/tcp/0: the address is not one of this machine\'s; listen on one of its own, ' +
    'e.g. --listen /ip4/127.0.0.1/tcp/0 (this machine only) or --listen /ip4/0.0.0.0/tcp/0 (every interface)')
  const message = new P2pListenError(['/ip6/fd00::5/tcp/5072'], notHere).message
  t.regex(message, /e\.g\. --listen \/ip6\/::1\/tcp\/5072 \(this machine only\) or --listen \/ip6\/::\/tcp\/5072 \(every interface\)$/)
  t.false(message.includes('fd00::5/tcp/PORT'), message)
})
