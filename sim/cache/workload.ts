import type { Random } from '../../protocols/core/index.js'
import { makeEntry } from './blobs.js'
import type { CacheHarness } from './harness.js'
import type { CacheChecker } from './invariants.js'
import type { PlannedPut } from './scenarios.js'

export interface CacheWorkloadShape {
  readonly entries: number
  /** GETs per second over the whole mesh. */
  readonly getsPerSec: number
  /** Share of entries of `largeBytes` (a module's jar or compile output); the rest are 0.5-16 KiB. */
  readonly largeShare: number
  readonly largeBytes: readonly [number, number]
}

export const DEFAULT_WORKLOAD: CacheWorkloadShape = { entries: 40, getsPerSec: 20, largeShare: 0.15, largeBytes: [256 * 1024, 4 * 1024 * 1024] }

/** Plans the PUTs: each entry made from the seed, PUT once by a random honest node at a random time in the window. */
export function planPuts (shape: CacheWorkloadShape, size: number, honest: readonly number[], window: readonly [number, number], random: Random): PlannedPut[] {
  const puts: PlannedPut[] = []
  for (let i = 0; i < shape.entries; i++) {
    const large = random.nextFloat() < shape.largeShare
    const entry = large ? makeEntry(i, random, shape.largeBytes) : makeEntry(i, random)
    const producer = honest[random.nextInt(honest.length)] as number
    const at = Math.round(window[0] + random.nextFloat() * (window[1] - window[0]))
    puts.push({ entry, producer: Math.min(producer, size - 1), at })
  }
  return puts.sort((a, b) => a.at - b.at)
}

/** Tells the harness which GETs went local (the node held the entry) so the summary can count them. */
export interface GetCounter { local: number, mesh: number }

/**
 * Schedules GETs at `getsPerSec` over [from, to): each by a random live node, of a random entry
 * PUT at least 500 ms earlier (Gradle asks for what some build produced before).
 */
export function scheduleGets (harness: CacheHarness, puts: readonly PlannedPut[], shape: CacheWorkloadShape, from: number, to: number, counter: GetCounter): void {
  const { engine } = harness.parts
  const count = Math.round(((to - from) / 1000) * shape.getsPerSec)
  for (let g = 0; g < count; g++) {
    const at = from + engine.random.nextFloat() * (to - from)
    const known = puts.filter(p => p.at < at - 500)
    if (known.length === 0) continue
    const put = known[engine.random.nextInt(known.length)] as PlannedPut
    const node = engine.random.nextInt(harness.size)
    engine.at(at, () => {
      if (!harness.isLive(node) || harness.isAdversary(node)) return
      if (harness.get(node, put.entry.key)) counter.mesh++
      else counter.local++
    })
  }
}

export interface StartedWorkload {
  readonly puts: readonly PlannedPut[]
  readonly counter: GetCounter
  /** A GET the checker watches (the scenario's probes). */
  readonly probe: (node: number, key: string) => void
}

/**
 * Plans the PUTs in `putWindow` (honest producers only: neither malicious nor forgers), tells the checker each entry's true hash,
 * and schedules the fault phase's GETs over [first PUT window start, faultsEnd).
 */
export function startWorkload (harness: CacheHarness, checker: CacheChecker, shape: CacheWorkloadShape, putWindow: readonly [number, number], faultsEnd: number): StartedWorkload {
  const { engine } = harness.parts
  const honest = Array.from({ length: harness.size }, (_, i) => i).filter(i => !harness.isAdversary(i))
  const puts = planPuts(shape, harness.size, honest, putWindow, engine.random)
  for (const put of puts) {
    checker.truth.set(put.entry.key, put.entry)
    engine.at(put.at, () => { harness.whenLive(put.producer, () => { harness.put(put.producer, put.entry) }) })
  }
  const counter: GetCounter = { local: 0, mesh: 0 }
  scheduleGets(harness, puts, shape, putWindow[0], faultsEnd, counter)
  const probe = (node: number, key: string): void => {
    const id = `${node}|${key}`
    if (checker.probes.has(id)) return
    checker.probes.add(id)
    if (!harness.get(node, key)) checker.probes.delete(id)
  }
  return { puts, counter, probe }
}
