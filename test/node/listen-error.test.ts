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
