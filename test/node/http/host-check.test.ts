import test from 'ava'
import { HostCheck, hostNameOf } from '../../../node/http/host-check.js'

test('a node bound to loopback answers requests naming an IP address or localhost, with or without a port', t => {
  const check = new HostCheck('127.0.0.1')
  for (const host of ['127.0.0.1:5071', '127.0.0.1', '[::1]:5071', '[::1]', 'localhost:5071', 'LOCALHOST', 'localhost.', 'gradle.localhost:5071', '10.0.0.7:5071']) {
    t.true(check.allows(host), host)
  }
  t.true(check.allows(undefined), 'HTTP/1.0 without a Host header: no browser sends that')
})

test('a request naming any other host name is refused: a rebinding page names its own', t => {
  const check = new HostCheck('127.0.0.1')
  for (const host of ['evil.example', 'evil.example:5071', 'localhost.evil.example', '127.0.0.1.evil.example', 'evil.example:5071:1', '', '[::1', '[::1]x', 'a b']) {
    t.false(check.allows(host), host)
  }
})

test('a node bound to a host name also answers requests naming it (a build farm box)', t => {
  const check = new HostCheck('Buildbox.Office')
  t.true(check.allows('buildbox.office:5071'))
  t.true(check.allows('127.0.0.1:5071'))
  t.false(check.allows('otherbox.office:5071'))
})

test('the host name is taken from the header without port and brackets, in lower case', t => {
  t.is(hostNameOf('Example.COM:80'), 'example.com')
  t.is(hostNameOf('[::1]:5071'), '::1')
  t.is(hostNameOf('[::1'), undefined)
  t.is(hostNameOf('host:port'), undefined)
})
