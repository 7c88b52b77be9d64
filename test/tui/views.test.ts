import test from 'ava'
import { createElement } from 'react'
import { render } from 'ink-testing-library'
import stringWidth from 'string-width'
import { PeersView } from '../../src/tui/components/peers-view.js'
import { JobsView } from '../../src/tui/components/jobs-view.js'
import { EventsView } from '../../src/tui/components/events-view.js'
import { CacheView } from '../../src/tui/components/cache-view.js'
import { fakeJob, fakePeers } from './fake-api.js'

test('peers view: zero peers says so and how to fix it', t => {
  const { lastFrame, unmount } = render(createElement(PeersView, { peers: [], width: 100, height: 20, offset: 0 }))
  t.regex(lastFrame()!, /no live peers .*--bootstrap/)
  unmount()
})

test('peers view: 200 peers show a window that fits the height, scrolled by offset', t => {
  const peers = fakePeers(200)
  const { lastFrame, rerender, unmount } = render(createElement(PeersView, { peers, width: 100, height: 12, offset: 0 }))
  const lines = lastFrame()!.split('\n')
  t.is(lines.length, 12)
  t.regex(lines[0]!, /PEER +STATUS +RTT +LOAD/)
  t.regex(lines[1]!, /00000 +alive +1 ms/)
  t.regex(lines.at(-1)!, /peers 1-10 of 200/)
  rerender(createElement(PeersView, { peers, width: 100, height: 12, offset: 195 }))
  t.regex(lastFrame()!, /peers 191-200 of 200/)
  t.regex(lastFrame()!, /00199/)
  t.regex(lastFrame()!, /suspect/)
  unmount()
})

test('peers view: a narrow terminal drops columns (cache, then RTT) and narrows the bar, so no row wraps', t => {
  const peers = fakePeers(30)
  const { lastFrame, rerender, unmount } = render(createElement(PeersView, { peers, width: 40, height: 12, offset: 0 }))
  let lines = fitLines(t, lastFrame()!, 40)
  t.is(lines.length, 12)
  t.regex(lines[0]!, /^PEER +STATUS +LOAD$/)
  t.regex(lines[2]!, /^…kepeer00001 alive +█+·+ 1\/8\+1$/)
  rerender(createElement(PeersView, { peers, width: 50, height: 12, offset: 0 }))
  lines = fitLines(t, lastFrame()!, 50)
  t.regex(lines[0]!, /^PEER +STATUS +RTT +LOAD$/)
  t.regex(lines[2]!, /^…kepeer00001 alive +1\.1 ms +█+·+ 1\/8\+1/)
  rerender(createElement(PeersView, { peers, width: 20, height: 12, offset: 0 }))
  lines = fitLines(t, lastFrame()!, 20)
  t.is(lines.length, 12)
  t.regex(lines[2]!, /^…kepeer00001 alive/)
  unmount()
})

test('jobs view: none, then a failing job with its leader, per-node bars and error', t => {
  const { lastFrame, rerender, unmount } = render(createElement(JobsView, { jobs: [], width: 100, height: 20 }))
  t.regex(lastFrame()!, /no jobs/)
  const job = { ...fakeJob('job-7', 6, ['12D3KooWleaderAAAA', '12D3KooWworkerBBBB']), state: 'failed' as const, error: ':app:test failed on 12D3KooWworkerBBBB' }
  job.nodes[1]!.failed = 1
  job.units.failed = 1
  rerender(createElement(JobsView, { jobs: [job], width: 100, height: 20 }))
  const frame = lastFrame()!
  t.regex(frame, /job-7 failed leader …aderAAAA \(term 1\) 3\/6 units, 1 failed build/)
  t.regex(frame, /…WworkerBBBB +█+▒+·+ 2 done, 1 running 1 failed/, "a node's bar is its share of the whole job")
  t.regex(frame, /:app:test failed on/)
  unmount()
})

/** The frame's lines, each at most `width` columns: a line wider than that would wrap on the terminal. */
function fitLines (t: { true: (value: boolean, message?: string) => void }, frame: string, width: number): string[] {
  const lines = frame.split('\n')
  for (const line of lines) t.true(stringWidth(line) <= width, `wider than ${width}: ${line}`)
  return lines
}

test('jobs view: a job over 200 nodes keeps its header and "all" bar and shows the most active nodes, then how many more', t => {
  const nodes = fakePeers(200).map(p => p.peerId)
  const job = fakeJob('job-big', 1000, nodes)
  job.nodes.forEach((node, i) => { node.running = i === 150 ? 3 : 0 })
  const { lastFrame, unmount } = render(createElement(JobsView, { jobs: [job], width: 80, height: 20 }))
  const lines = fitLines(t, lastFrame()!, 80)
  t.is(lines.length, 20)
  t.regex(lines[0]!, /^job-big running leader/)
  t.regex(lines[1]!, /^ +all +[█▒·]+$/)
  t.regex(lines[18]!, /…kepeer00150 .* 3 running$/, 'the busiest node is among them, in the job\'s order')
  t.regex(lines[19]!, /^ +\+183 nodes$/)
  unmount()
})

test('jobs view: a long task list and a multi-line error take one line each, so the next job is not drawn over', t => {
  const tasks = Array.from({ length: 40 }, (_, i) => `:module${i}:assembleRelease`)
  const first = { ...fakeJob('job-1', 4, ['12D3KooWleaderAAAA']), tasks, state: 'failed' as const, error: 'unit :app:test failed\n  at line 1\n  at line 2' }
  const second = fakeJob('job-2', 4, ['12D3KooWleaderAAAA'])
  const { lastFrame, unmount } = render(createElement(JobsView, { jobs: [first, second], width: 80, height: 20 }))
  const lines = fitLines(t, lastFrame()!, 80)
  t.is(lines.length, 7)
  t.regex(lines[0]!, /^job-1 failed .*:module0:assembleRelease .*…$/)
  t.regex(lines[3]!, /^ +unit :app:test failed at line 1 at line 2$/)
  t.regex(lines[4]!, /^job-2 running/)
  unmount()
})

test('jobs view: jobs that do not fit the height are counted on the last line', t => {
  const jobs = Array.from({ length: 10 }, (_, i) => fakeJob(`job-${i}`, 4, ['12D3KooWleaderAAAA', '12D3KooWworkerBBBB']))
  const { lastFrame, unmount } = render(createElement(JobsView, { jobs, width: 80, height: 10 }))
  const lines = fitLines(t, lastFrame()!, 80)
  t.is(lines.length, 9)
  t.regex(lines[4]!, /^job-1 running/)
  t.is(lines[8], '8 more job(s) not shown')
  unmount()
})

test('events view: newest at the bottom, cut to the height', t => {
  const events = Array.from({ length: 30 }, (_, i) => ({ type: 'peer-up' as const, peer: `peer-${i}`, id: i + 1, time: new Date(2026, 0, 1, 12, 0, i).getTime() }))
  const { lastFrame, unmount } = render(createElement(EventsView, { events, width: 80, height: 5 }))
  const lines = lastFrame()!.split('\n')
  t.is(lines.length, 5)
  t.regex(lines[0]!, /12:00:25 peer up +peer-25/)
  t.regex(lines[4]!, /12:00:29 peer up +peer-29/)
  unmount()
})

test('events view: events lost while disconnected are said above the log, which still fits the height', t => {
  const events = Array.from({ length: 30 }, (_, i) => ({ type: 'peer-up' as const, peer: `peer-${i}`, id: i + 1, time: new Date(2026, 0, 1, 12, 0, i).getTime() }))
  const { lastFrame, unmount } = render(createElement(EventsView, { events, width: 80, height: 5, missed: 12 }))
  const lines = lastFrame()!.split('\n')
  t.is(lines.length, 5)
  t.regex(lines[0]!, /^! 12 events were lost while disconnected/)
  t.regex(lines[4]!, /peer-29/)
  unmount()
})

test('events view: a node that restarted under the stream is said above the log, as its last events may be missing', t => {
  const events = Array.from({ length: 30 }, (_, i) => ({ type: 'peer-up' as const, peer: `peer-${i}`, id: i + 1, time: new Date(2026, 0, 1, 12, 0, i).getTime() }))
  const { lastFrame, unmount } = render(createElement(EventsView, { events, width: 80, height: 5, missed: 3, restarts: 1 }))
  const lines = lastFrame()!.split('\n')
  t.is(lines.length, 5)
  t.regex(lines[0]!, /^! 3 events were lost/)
  t.regex(lines[1]!, /^! the node restarted: the last events of its earlier run may be missing/)
  t.regex(lines[4]!, /peer-29/)
  unmount()
})

test('cache view: a narrow, short terminal cuts each line to its width and leaves out lines from the bottom', t => {
  const cache = {
    store: { entries: 123456, bytes: 4 * 1024 ** 3, maxBytes: 5 * 1024 ** 3, hits: 0, misses: 0 },
    http: { gets: 1111149, hits: 987694, misses: 123456, puts: 55555, stored: 55555 },
    sharing: { peerHits: 45678, peerMisses: 0, fetchedBytes: 3 * 1024 ** 3, servedBytes: 2 * 1024 ** 3 }
  }
  const history = Array.from({ length: 100 }, (_, i) => ({ time: i, hits: i * 10, misses: i, servedBytes: i * 1024, fetchedBytes: i * 2048 }))
  const { lastFrame, unmount } = render(createElement(CacheView, { cache, history, width: 40, height: 4 }))
  const lines = lastFrame()!.split('\n')
  t.is(lines.length, 4)
  t.regex(lines[0]!, /^entries +123456/)
  t.regex(lines[1]!, /^hit rate +89% \(987694 hits/)
  t.regex(lines[3]!, /^to peers/)
  for (const line of lines) t.true(stringWidth(line) <= 40, line)
  unmount()
})

test('cache view: hit rate and bytes now, and over time as sparklines', t => {
  const cache = {
    store: { entries: 3, bytes: 3072, maxBytes: 1024 ** 3, hits: 0, misses: 0 },
    http: { gets: 4, hits: 3, misses: 1, puts: 3, stored: 3 },
    sharing: { peerHits: 2, peerMisses: 0, fetchedBytes: 2048, servedBytes: 0 }
  }
  const history = [0, 1, 3].map((hits, i) => ({ time: i, hits, misses: i === 2 ? 1 : 0, servedBytes: 0, fetchedBytes: hits * 1024 }))
  const { lastFrame, unmount } = render(createElement(CacheView, { cache, history, width: 80, height: 20 }))
  const frame = lastFrame()!
  t.regex(frame, /hit rate +75% \(3 hits, 1 misses, 3 stored\)/)
  t.regex(frame, /from peers +2 hits, 2\.0 KiB fetched/)
  t.regex(frame, /fetched +▄█/)
  unmount()
})
