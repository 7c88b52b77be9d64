import test from 'ava'
import { createElement } from 'react'
import { render } from 'ink-testing-library'
import stringWidth from 'string-width'
import { cell, cut, describeEvent, sparkline } from '../../src/tui/format.js'
import { CacheView } from '../../src/tui/components/cache-view.js'
import { EventsView } from '../../src/tui/components/events-view.js'

test('cell: pads and cuts to terminal columns, wide characters taking two', t => {
  const project = ':アプリケーション:テスト:コンパイル:リリース:ユニット'
  t.is(stringWidth(cell(project, 40)), 40)
  t.is(cell(project, 10), ':アプリケ…')
  t.is(cell(project, 9), ':アプリ… ', 'a wide character that would pass the width is left out whole, the cell padded')
  t.is(cell('日本', 6), '日本  ')
  t.is(cell('abc', 5), 'abc  ')
  t.is(cell('abcdef', 4), 'abc…')
  t.is(cell('abc', 0), '')
})

test('cell: a cut never splits an emoji (two UTF-16 units) in half', t => {
  t.is(cell('a📦📦', 3), 'a… ')
  t.is(cell('📦 cache', 9), '📦 cache ')
})

test('cut: cuts to terminal columns as cell does, and leaves a short text unpadded', t => {
  t.is(cut('abc', 5), 'abc')
  t.is(cut('abcdef', 4), 'abc…')
  t.is(cut('日本', 6), '日本')
  t.is(cut(':アプリケーション', 9), ':アプリ…', 'a wide character that would pass the width is left out whole')
  t.is(cut('a📦📦', 3), 'a…')
  t.is(cut('abc', 0), '')
})

// cut() went code point by code point: it split an emoji of several code points (leaving a dangling joiner) and an
// escape code (leaving a colour switched on), and let a line break through, which took a line of the events view.
test('cut: never splits an emoji sequence or an escape code, and keeps the text on one line', t => {
  const family = '👨\u200d👩\u200d👧'
  t.is(cut(`${family}${family}abc`, 5), `${family}${family}…`)
  t.is(cut(`${family}${family}abc`, 4), `${family}…`)
  t.is(cut('🇩🇪🇩🇪🇩🇪', 5), '🇩🇪🇩🇪…')
  t.is(cut('\x1b[31mred\x1b[0m text, a long one', 5), 'red …')
  t.is(cut('a\nb\tc\x07日本', 9), 'a b c日本')
  t.is(cut('日\r\n本', 6), '日  本')
})

test('events view: a rejection reason with line breaks takes one line, and the newest event stays shown', t => {
  const rejected = { type: 'message-rejected' as const, topic: 'gmesh/cache', peer: 'peer-1', reason: 'bad\nframe\n\nfrom\nme', id: 1, time: Date.UTC(2026, 0, 1) }
  const newest = { type: 'peer-up' as const, peer: 'peer-newest', id: 2, time: Date.UTC(2026, 0, 1) }
  const { lastFrame, unmount } = render(createElement(EventsView, { events: [rejected, newest], width: 80, height: 2 }))
  const lines = lastFrame()!.split('\n')
  t.is(lines.length, 2)
  t.regex(lines[0]!, /bad frame  from me/)
  t.regex(lines[1]!, /peer up +…r-newest/)
  unmount()
})

test('events view: a unit with a wide-character name takes one line of the width', t => {
  const event = { type: 'unit' as const, jobId: 'job-1', unitId: 'u1', name: ':アプリケーション:テスト:コンパイル:リリース:ユニット:テスト', outcome: 'success' as const, ms: 1500, id: 1, time: Date.UTC(2026, 0, 1) }
  const { lastFrame, unmount } = render(createElement(EventsView, { events: [event], width: 60, height: 5 }))
  const line = lastFrame()!
  t.false(line.includes('\n'))
  t.is(stringWidth(line), 60)
  unmount()
})

test('sparkline: scaled to a fixed top when given one, blank where there is no value', t => {
  t.is(sparkline([0.1, 0.1, 0.1], 1), '▁▁▁', '10% is low, however steady')
  t.is(sparkline([0, 0.5, 1], 1), '▁▄█')
  t.is(sparkline([1, undefined, 1], 1), '█ █')
  t.is(sparkline([1, 2, 4]), '▂▄█', 'without a top, the highest value is full')
})

test('cache view: the hit-rate sparkline is against 100%, and an interval with no lookups is blank', t => {
  const cache = {
    store: { entries: 0, bytes: 0, maxBytes: 1024, hits: 0, misses: 0 },
    http: { gets: 30, hits: 3, misses: 27, puts: 0, stored: 0 }
  }
  // 1 hit in 10 lookups, then an idle poll, then 1 in 10 twice
  const totals = [[0, 0], [1, 9], [1, 9], [2, 18], [3, 27]]
  const history = totals.map(([hits, misses], time) => ({ time, hits: hits!, misses: misses!, servedBytes: 0, fetchedBytes: 0 }))
  const { lastFrame, unmount } = render(createElement(CacheView, { cache, history, width: 80, height: 20 }))
  t.regex(lastFrame()!, /hit rate +▁ ▁▁\n/)
  unmount()
})

test('an event\'s time is shown as the local clock shows it', t => {
  const zone = process.env.TZ
  try {
    process.env.TZ = 'Europe/Berlin' // UTC+1 in January
    t.regex(describeEvent({ type: 'peer-up', peer: 'peer-1', id: 1, time: Date.UTC(2026, 0, 1, 9, 30, 0) }), /^10:30:00 peer up/)
    process.env.TZ = 'America/New_York' // UTC-5
    t.regex(describeEvent({ type: 'peer-up', peer: 'peer-1', id: 1, time: Date.UTC(2026, 0, 1, 9, 30, 0) }), /^04:30:00 peer up/)
  } finally {
    if (zone === undefined) delete process.env.TZ
    else process.env.TZ = zone
  }
})
