import { makeEntry } from './blobs.js'
import type { CacheChaos, CacheScenario } from './scenarios.js'

/** Entries a burst's producer PUTs: a module's outputs, 1-4 MiB each (the e2e's were 2 MiB). */
const BURST_ENTRIES = 12
const BURST_BYTES: readonly [number, number] = [1024 * 1024, 4 * 1024 * 1024]

/**
 * A CI agent builds a module and PUTs its outputs; a second later every developer's build asks for all of them at
 * once (the e2e's 16 parallel 2 MiB GETs, mesh-wide), three times. The producer is every lookup's first choice: a
 * node's lookups queue for its 6 fetch slots per provider, the producer answers busy past 16 uploads, and the lookups
 * move on to the replicas being pushed or ask the producer again 200 ms later.
 */
export const busyBurst: CacheScenario = {
  name: 'cache-busy-burst',
  description: `three times a node PUTs ${BURST_ENTRIES} entries of 1-4 MiB and a second later every honest node asks for all of them at once ` +
    '(its GETs within 20 ms, the nodes within 200 ms): providers past 16 uploads answer busy, lookups wait for fetch slots and ask busy providers again',
  inject: ctx => {
    for (let k = 0; k < 3; k++) burst(ctx, Math.round(ctx.faultsEnd * (0.25 + 0.25 * k)), k)
  }
}

function burst (ctx: CacheChaos, at: number, round: number): void {
  const { engine, harness, checker, size } = ctx
  const honest = Array.from({ length: size }, (_, i) => i).filter(i => !harness.isAdversary(i))
  const producer = honest[engine.random.nextInt(honest.length)] as number
  const entries = Array.from({ length: BURST_ENTRIES }, (_, j) => makeEntry(1000 + round * BURST_ENTRIES + j, engine.random, BURST_BYTES))
  for (const entry of entries) checker.truth.set(entry.key, entry)
  engine.at(at, () => { for (const entry of entries) harness.whenLive(producer, () => { harness.put(producer, entry) }) })
  for (const node of honest) {
    if (node === producer) continue
    // Gradle asks for a module's outputs in parallel: one node's GETs within 20 ms, the nodes within 200 ms
    const start = at + 1000 + engine.random.nextFloat() * 200
    for (const entry of entries) {
      engine.at(start + engine.random.nextFloat() * 20, () => { if (harness.isLive(node)) harness.get(node, entry.key) })
    }
  }
}

/**
 * Providers that fail in the middle of a body, three ways: a fifth of the nodes drip every upload (a header, then a
 * few bytes a second: the lookup abandons the body after 3 s without 64 KiB and skips the provider for 60 s); three
 * crash while uploading (their process dies: the OS resets the streams, the askers get an error at once); four pause
 * while uploading (a laptop's lid closes for 4-12 s: the streams go silent and stall). GETs must still be answered
 * within the lookup's bounds, and in the liveness phase found whenever a provider that does not drip holds the entry.
 */
export const slowProviders: CacheScenario = {
  name: 'cache-slow-providers',
  description: 'a fifth of the nodes drip their uploads, three providers crash and four pause (4-12 s) in the middle of an upload: ' +
    'bodies stall or reset, GETs move on to other providers within the lookup\'s bounds',
  drippers: 0.2,
  workload: { largeShare: 0.3 },
  inject: ctx => {
    const { engine, harness, faultsEnd } = ctx
    for (let k = 0; k < 3; k++) whileUploading(ctx, node => { harness.crash(node) })
    for (let k = 0; k < 4; k++) {
      whileUploading(ctx, node => {
        harness.pause(node)
        engine.at(Math.min(engine.now + 4000 + engine.random.nextFloat() * 8000, faultsEnd - 1000), () => { harness.resume(node) })
      })
    }
  }
}

/** At a random time, `act` on a live honest node that does not drip and is uploading a body (looked for every 50 ms). */
function whileUploading (ctx: CacheChaos, act: (node: number) => void): void {
  const { engine, harness, size, faultsEnd } = ctx
  const look = (tries: number): void => {
    const uploading: number[] = []
    for (let i = 0; i < size; i++) {
      if (harness.isLive(i) && !harness.isAdversary(i) && !harness.bandwidth.isDripping(i) && harness.transfers.flows.uploads(i) > 0) uploading.push(i)
    }
    if (uploading.length > 0) act(uploading[engine.random.nextInt(uploading.length)] as number)
    else if (tries < 400 && engine.now + 50 < faultsEnd - 15_000) engine.at(engine.now + 50, () => { look(tries + 1) })
  }
  engine.at(8000 + engine.random.nextFloat() * (faultsEnd - 25_000), () => { look(0) })
}
