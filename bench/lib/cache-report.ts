import type { LoadResult } from './load.js'
import { mibPerSecond, requestsPerSecond } from './load.js'
import { fmtMs, fmtNumber, renderTable, type ResultRow } from './table.js'

export interface Measured {
  result: LoadResult
  /** Cores the server's process tree kept busy on average; undefined when its pid is unknown. */
  cpuCores?: number
}

/** One server's figures in the three cache scenarios. */
export interface Figures {
  small?: Measured
  large?: Measured
  put?: Measured
}

export interface CachePlanView {
  small: { size: number, connections: number }
  large: { size: number, connections: number }
  put: { size: number, connections: number }
}

/**
 * PUTs the load generator counted ok that the node did not store: both generators count a 202 (the node's
 * "could not be stored", body drained and dropped) as ok. `stored` is the node's http.stored counter, which also
 * counts the `preloaded` fixture PUTs. A lower bound: PUTs the node stored after the generator stopped counting
 * make up for as many lost ones.
 */
export function unstoredPuts (stored: number, preloaded: number, put: Measured | undefined): number {
  return Math.max(0, preloaded + (put?.result.ok ?? 0) - stored)
}

/** The PUT figures with `unstored` requests counted as errors instead of ok. */
export function chargeUnstored (put: Measured, unstored: number): Measured {
  const moved = Math.min(unstored, put.result.ok)
  return { ...put, result: { ...put.result, ok: put.result.ok - moved, errors: put.result.errors + moved } }
}

/** Goals from the benchmark brief. */
export const CACHE_GOALS = { smallGetRatio: 0.5, smallGetP99Ms: 2, largeGetRatio: 0.7, putPerSecond: 5000 }

type Pick = (m: Measured) => number

function pair (node: Measured | undefined, ref: Measured | undefined, pick: Pick, fmt: (n: number) => string) {
  const a = node != null ? pick(node) : undefined
  const b = ref != null ? pick(ref) : undefined
  return {
    a,
    b,
    figure: a != null ? fmt(a) : 'n/a',
    reference: b != null ? fmt(b) : 'skipped',
    ratio: a != null && b != null && b > 0 && !Number.isNaN(a) ? a / b : undefined
  }
}

function relativeRow (measure: string, p: ReturnType<typeof pair>, goalRatio?: number): ResultRow {
  return {
    measure,
    figure: p.figure,
    reference: p.reference,
    ratio: p.ratio,
    goal: goalRatio != null ? `>= ${goalRatio}x` : undefined,
    met: goalRatio != null && p.ratio != null ? p.ratio >= goalRatio : undefined
  }
}

function absoluteRow (measure: string, p: ReturnType<typeof pair>, goal: number | undefined, show: (goal: number) => string, met: (a: number, goal: number) => boolean): ResultRow {
  if (goal == null) return { measure, figure: p.figure, reference: p.reference, ratio: p.ratio }
  return { measure, figure: p.figure, reference: p.reference, ratio: p.ratio, goal: show(goal), met: p.a != null ? met(p.a, goal) : undefined }
}

const perSec = (n: number): string => `${fmtNumber(n)}/s`
const mibps = (n: number): string => `${fmtNumber(n, 1)} MiB/s`
const cores = (n: number): string => (Number.isNaN(n) ? 'n/a' : n.toFixed(2))
const plain = (n: number): string => (Number.isNaN(n) ? 'n/a' : fmtNumber(n))
const size = (bytes: number): string => (bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${bytes / 1024} KiB`)

/**
 * The comparison table of the node's figures against one reference server. The goals are set against nginx; a
 * table against another reference (`withGoals` false) shows the ratios only.
 */
export function cacheTable (plan: CachePlanView, node: Figures | undefined, ref: Figures | undefined, refLabel: string, withGoals = true): string {
  const g = withGoals ? CACHE_GOALS : { smallGetRatio: undefined, smallGetP99Ms: undefined, largeGetRatio: undefined, putPerSecond: undefined }
  const s = `GET ${size(plan.small.size)} hit, ${plan.small.connections} conns`
  const l = `GET ${size(plan.large.size)} hit, ${plan.large.connections} conns`
  const p = `PUT ${size(plan.put.size)}, ${plan.put.connections} conns`
  const cpu: Pick = (m) => m.cpuCores ?? Number.NaN
  // Work done per second of server CPU: less sensitive than raw rates to other load on a shared machine.
  const perCpu: Pick = (m) => (m.cpuCores != null && m.cpuCores > 0 ? requestsPerSecond(m.result) / m.cpuCores : Number.NaN)
  const rows: ResultRow[] = [
    relativeRow(`${s}: requests`, pair(node?.small, ref?.small, (m) => requestsPerSecond(m.result), perSec), g.smallGetRatio),
    relativeRow(`${s}: p50 latency`, pair(node?.small, ref?.small, (m) => m.result.p50Ms, fmtMs)),
    absoluteRow(`${s}: p99 latency`, pair(node?.small, ref?.small, (m) => m.result.p99Ms, fmtMs), g.smallGetP99Ms, (goal) => `< ${goal} ms`, (a, goal) => a < goal),
    relativeRow(`${s}: server CPU (cores)`, pair(node?.small, ref?.small, cpu, cores)),
    relativeRow(`${s}: requests per CPU-second`, pair(node?.small, ref?.small, perCpu, plain)),
    relativeRow(`${l}: throughput`, pair(node?.large, ref?.large, (m) => mibPerSecond(m.result), mibps), g.largeGetRatio),
    relativeRow(`${l}: server CPU (cores)`, pair(node?.large, ref?.large, cpu, cores)),
    absoluteRow(`${p}: PUTs`, pair(node?.put, ref?.put, (m) => requestsPerSecond(m.result), perSec), g.putPerSecond, (goal) => `>= ${fmtNumber(goal)}/s`, (a, goal) => a >= goal),
    relativeRow(`${p}: p99 latency`, pair(node?.put, ref?.put, (m) => m.result.p99Ms, fmtMs)),
    relativeRow(`${p}: server CPU (cores)`, pair(node?.put, ref?.put, cpu, cores)),
    relativeRow(`${p}: PUTs per CPU-second`, pair(node?.put, ref?.put, perCpu, plain)),
    errorRow(node, ref)
  ]
  return renderTable(`Gradle HTTP cache: gmesh node vs ${refLabel}`, 'gmesh node', refLabel, rows)
}

function errorRow (node: Figures | undefined, ref: Figures | undefined): ResultRow {
  const total = (f: Figures | undefined): number | undefined => {
    const all = [f?.small, f?.large, f?.put].filter((m): m is Measured => m != null)
    return all.length === 0 ? undefined : all.reduce((sum, m) => sum + m.result.errors, 0)
  }
  const a = total(node)
  const b = total(ref)
  return { measure: 'errors (non-2xx, socket, PUTs not stored), all runs', figure: a != null ? fmtNumber(a) : 'n/a', reference: b != null ? fmtNumber(b) : 'skipped', goal: '0', met: a != null ? a === 0 : undefined }
}
