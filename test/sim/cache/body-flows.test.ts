import test from 'ava'
import { Engine } from '../../../sim/engine/index.js'
import { NodeBandwidth } from '../../../sim/cache/bandwidth.js'
import type { BandwidthProfile } from '../../../sim/cache/bandwidth.js'
import { BodyFlows } from '../../../sim/cache/body-flows.js'
import type { Flow } from '../../../sim/cache/body-flows.js'

/** Every card moves 1 MB/s; a dripping provider 100 B/s. */
const FLAT: BandwidthProfile = { wiredShare: 1, wired: [1e6, 1e6], wifi: [1e6, 1e6], drip: [100, 100] }
const IDLE = { handle: () => {} }

interface Watched { flow: Flow, reports: Array<[number, number]>, doneAt: number | undefined }

function setup (drippers: number[] = []): { engine: Engine, flows: BodyFlows, paused: Set<number>, cut: Set<string>, watch: (server: number, client: number, size: number) => Watched } {
  const engine = new Engine(1)
  const paused = new Set<number>()
  const cut = new Set<string>()
  const bandwidth = new NodeBandwidth(8, engine.random, new Set(drippers), FLAT)
  const flows = new BodyFlows(engine, bandwidth, { live: i => !paused.has(i), reachable: (a, b) => !cut.has(`${a}|${b}`) })
  const watch = (server: number, client: number, size: number): Watched => {
    const watched: Watched = { reports: [], doneAt: undefined } as unknown as Watched
    watched.flow = flows.start(server, client, size, {
      progress: bytes => { watched.reports.push([engine.now, bytes]) },
      done: () => { watched.doneAt = engine.now }
    })
    return watched
  }
  return { engine, flows, paused, cut, watch }
}

test('a body takes its size over the card\'s rate; its progress is reported every 250 ms, its end once', t => {
  const { engine, watch } = setup()
  const body = watch(0, 1, 1_000_000)
  engine.runUntil(2000, IDLE)
  t.deepEqual(body.reports, [[250, 250_000], [500, 500_000], [750, 750_000]])
  t.is(body.doneAt, 1000)
})

test('bodies from one provider share its card; one called off gives its share back', t => {
  const { engine, flows, watch } = setup()
  const a = watch(0, 1, 1_000_000)
  const b = watch(0, 2, 1_000_000)
  engine.at(1000, () => { flows.stop(b.flow) })
  engine.runUntil(3000, IDLE)
  t.deepEqual(a.reports.slice(0, 4), [[250, 125_000], [500, 250_000], [750, 375_000], [1000, 500_000]])
  t.is(b.doneAt, undefined)
  t.is(Math.round(a.doneAt ?? 0), 1500, 'alone again, the rest of the body moves at the whole rate')
  t.is(flows.uploads(0), 0)
})

test('a paused end stops its bodies (no progress, no end) until it resumes', t => {
  const { engine, flows, paused, watch } = setup()
  const body = watch(0, 1, 1_000_000)
  engine.at(300, () => { paused.add(0); flows.refresh(0) })
  engine.at(2300, () => { paused.delete(0); flows.refresh(0) })
  engine.runUntil(4000, IDLE)
  // the bytes in by 300 ms are reported at the next report; none while paused
  t.deepEqual(body.reports, [[250, 250_000], [500, 300_000], [2500, 500_000], [2750, 750_000]])
  t.is(Math.round(body.doneAt ?? 0), 3000)
})

test('a body between nodes that cannot reach each other stops; the next report notices, and it moves on when healed', t => {
  const { engine, cut, watch } = setup()
  const body = watch(0, 1, 1_000_000)
  engine.at(100, () => { cut.add('0|1') })
  engine.at(1100, () => { cut.delete('0|1') })
  engine.runUntil(4000, IDLE)
  // it moves until the report that notices the cut (250 ms), and again from the report after the heal (1250 ms)
  t.deepEqual(body.reports, [[250, 250_000], [1500, 500_000], [1750, 750_000]])
  t.is(Math.round(body.doneAt ?? 0), 2000)
})

test('a dripping provider sends every body at its drip rate, whatever its card', t => {
  const { engine, watch } = setup([0])
  const body = watch(0, 1, 1000)
  engine.runUntil(20_000, IDLE)
  t.deepEqual(body.reports.slice(0, 3), [[250, 25], [500, 50], [750, 75]])
  t.is(Math.round(body.doneAt ?? 0), 10_000)
})
