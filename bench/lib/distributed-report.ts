/**
 * Tables and notes of the distributed-build benchmark: one table per round (cold, warm), same rows. A round has
 * several one-node references (plain `gradle build`, `gradle --parallel build`); the headline figures are against
 * the fastest of them, so the mesh gets no credit for overlap one node gets too.
 */
import type { GradleRunResult } from '../../src/gradle/runner.js'
import { shortId } from '../../src/tui/format.js'
import type { BuildSummaryJson, MeshFigures } from './build-overhead.js'
import { fmtMs, fmtSeconds, renderTable, type ResultRow } from './table.js'

export interface Distributed { wallMs: number, summary: BuildSummaryJson, flags: string[] }
export interface Reference { wallMs: number, result: GradleRunResult }

/** One one-node build of a round and how it ran (for the reference column header and the notes). */
export interface LabelledReference { label: string, ref: Reference }

/** One round: the mesh build and the one-node builds of the same sources. */
export interface Round {
  /** 'cold' or 'warm'. */
  name: string
  d: Distributed
  /** At least one. */
  refs: LabelledReference[]
  f: MeshFigures
}

export class NoReferenceError extends Error {
  override name = 'NoReferenceError'
}

/** The fastest one-node build of the round (the first of equals): the reference of the headline figures. */
export function strongest (round: Round): LabelledReference {
  if (round.refs.length === 0) throw new NoReferenceError(`the ${round.name} round has no one-node build`)
  return round.refs.reduce((best, r) => r.ref.wallMs < best.ref.wallMs ? r : best)
}

/** The rows that put the mesh next to each one-node build that is not the strongest. */
function otherReferenceRows (round: Round, best: LabelledReference, nodes: number): ResultRow[] {
  const { d } = round
  return round.refs.filter(r => r !== best).flatMap(({ label, ref }) => [
    { measure: `build wall time (ref: ${label})`, figure: fmtSeconds(d.wallMs), reference: fmtSeconds(ref.wallMs), ratio: d.wallMs / ref.wallMs },
    { measure: `speedup (${label} / ${nodes} nodes)`, figure: `${(ref.wallMs / d.wallMs).toFixed(2)}x`, reference: '-' }
  ])
}

export function roundTable (round: Round, title: string, nodes: number): string {
  const { d, f } = round
  const best = strongest(round)
  const ref = best.ref
  const t = d.summary.timings
  const spread = f.perWorker.map(w => w.units).join('+')
  const fin = d.summary.final?.actionable
  const refTasks = ref.result.summary.actionable
  const perUnit = (ms: number): string => f.units === 0 ? '-' : fmtMs(ms / f.units)
  const rows: ResultRow[] = [
    { measure: 'build wall time', figure: fmtSeconds(d.wallMs), reference: fmtSeconds(ref.wallMs), ratio: d.wallMs / ref.wallMs },
    { measure: `speedup (fastest one node / ${nodes} nodes)`, figure: `${(ref.wallMs / d.wallMs).toFixed(2)}x`, reference: '1.00x' },
    ...otherReferenceRows(round, best, nodes),
    { measure: 'units, on how many nodes', figure: `${f.ran}/${f.units} on ${f.perWorker.length} (${spread})`, reference: '1 Gradle build' },
    { measure: 'plan (task graph probe)', figure: fmtSeconds(t.probeMs), reference: '-' },
    { measure: 'mesh phase (submit to job end)', figure: fmtSeconds(f.meshMs), reference: '-' },
    { measure: 'final build from the mesh cache (ref: the build)', figure: fmtSeconds(t.finalMs), reference: fmtSeconds(ref.result.durationMs) },
    { measure: 'tasks from cache / actionable', figure: fin == null ? '-' : `${fin.fromCache}/${fin.total}`, reference: refTasks == null ? '-' : `${refTasks.fromCache}/${refTasks.total}` },
    { measure: 'unit time: critical path (ref: sum of all units)', figure: fmtSeconds(f.critical.ms), reference: fmtSeconds(f.serialMs), ratio: f.critical.ms / f.serialMs },
    { measure: 'scheduling overhead = mesh phase - critical path', figure: fmtSeconds(f.overheadMs), reference: '-' },
    { measure: 'scheduling overhead per unit', figure: perUnit(f.overheadMs), reference: '-' },
    { measure: 'worker setup on the critical path, per unit', figure: perUnit(f.critical.setupMs), reference: '-' }
  ]
  return renderTable(`${round.name}: ${title}`, `${nodes} nodes`, best.label, rows)
}

/** Both rounds' headline figures on one line each, to read the change from cold to warm at a glance. */
export function sideBySide (rounds: readonly Round[]): string {
  return rounds.map(r => {
    const best = strongest(r)
    const others = r.refs.filter(o => o !== best).map(o => `; vs ${o.label} ${fmtSeconds(o.ref.wallMs)}: ${(o.ref.wallMs / r.d.wallMs).toFixed(2)}x`).join('')
    return `  ${r.name.padEnd(5)} mesh ${fmtSeconds(r.d.wallMs)} vs fastest one node ${fmtSeconds(best.ref.wallMs)} (${best.label}):` +
      ` speedup ${(best.ref.wallMs / r.d.wallMs).toFixed(2)}x${others}, mesh phase ${fmtSeconds(r.f.meshMs)}, critical path ${fmtSeconds(r.f.critical.ms)},` +
      ` overhead/unit ${r.f.units === 0 ? '-' : fmtMs(r.f.overheadPerUnitMs)}`
  }).join('\n')
}

/** Per-unit timings of one round: setup + Gradle run, and the worker. */
export function unitTimings (round: Round): string {
  return `${round.name} units (setup + Gradle run, worker): ${round.d.summary.job.units.map(u => u.result == null
    ? `${u.name} not run`
    : `${u.name} ${fmtSeconds(u.result.setupMs)} + ${fmtSeconds(u.result.durationMs)} ${shortId(u.result.worker)}`).join('; ')}`
}
