/**
 * Figures of one `gmesh build --json` summary for the distributed-build benchmark.
 *
 * - mesh phase: `timings.submitMs + timings.distributedMs`, what the CLI waited from having a plan to
 *   seeing the job end (snapshot and submit, assignment, every unit, the last report poll).
 * - unit time: `setupMs + durationMs` of a unit's result, the time it held its worker's slot
 *   (setup = fetching and materialising the project snapshot; duration = the unit's Gradle run).
 * - critical path: the longest chain of unit times along `dependsOn`; with enough free slots no
 *   schedule can finish the units sooner.
 * - scheduling overhead: mesh phase minus the critical path, i.e. the time on the way that no unit
 *   on the critical path was being set up or run (submitting, assigning, waiting for a slot,
 *   reporting a result, polling). Per unit: divided by the number of units.
 * - worker setup on the critical path is shown on its own: it is also a cost of distributing.
 */
import type { JobReport, UnitResultInfo } from '../../src/client/api-types.js'

export interface BuildSummaryJson {
  ok: boolean
  exitCode: number
  timings: { probeMs: number, submitMs: number, distributedMs: number, finalMs: number, totalMs: number }
  plan: { gradleVersion: string, units: number }
  job: Pick<JobReport, 'id' | 'state' | 'units'>
  final?: { exitCode: number, actionable?: { total: number, fromCache: number, upToDate: number, executed: number } }
}

export class SummaryParseError extends Error {
  override name = 'SummaryParseError'
}

/** The JSON object `gmesh build --json` printed, found from the first `{` of its stdout. */
export function parseBuildSummary (stdout: string): BuildSummaryJson {
  const start = stdout.indexOf('{')
  if (start < 0) throw new SummaryParseError(`no JSON summary in gmesh build's output: ${stdout.slice(0, 300)}`)
  let parsed: unknown
  try {
    parsed = JSON.parse(stdout.slice(start))
  } catch (err) {
    throw new SummaryParseError(`gmesh build's summary is not JSON: ${(err as Error).message}`)
  }
  const s = parsed as Partial<BuildSummaryJson>
  if (s.timings == null || s.job == null || !Array.isArray(s.job.units)) {
    throw new SummaryParseError('gmesh build\'s summary has no timings or job units')
  }
  return s as BuildSummaryJson
}

type Unit = BuildSummaryJson['job']['units'][number]

export function unitTimeMs (r: UnitResultInfo): number {
  return r.setupMs + r.durationMs
}

export interface CriticalPath {
  ms: number
  /** Unit names along the path, first to last. */
  units: string[]
  /** Worker setup summed along the path. */
  setupMs: number
}

/** The longest chain of unit times along dependsOn; units without a result weigh nothing. */
export function criticalPath (units: readonly Unit[]): CriticalPath {
  const byId = new Map(units.map(u => [u.id, u]))
  const memo = new Map<string, CriticalPath>()
  const visiting = new Set<string>()
  const longest = (u: Unit): CriticalPath => {
    const known = memo.get(u.id)
    if (known != null) return known
    if (visiting.has(u.id)) throw new SummaryParseError(`unit ${u.name} depends on itself through ${[...visiting].join(', ')}`)
    visiting.add(u.id)
    let before: CriticalPath = { ms: 0, units: [], setupMs: 0 }
    for (const dep of u.dependsOn) {
      const d = byId.get(dep)
      if (d == null) continue
      const path = longest(d)
      if (path.ms > before.ms) before = path
    }
    visiting.delete(u.id)
    const r = u.result
    const path = { ms: before.ms + (r == null ? 0 : unitTimeMs(r)), units: [...before.units, u.name], setupMs: before.setupMs + (r?.setupMs ?? 0) }
    memo.set(u.id, path)
    return path
  }
  let best: CriticalPath = { ms: 0, units: [], setupMs: 0 }
  for (const u of units) {
    const path = longest(u)
    if (path.ms > best.ms) best = path
  }
  return best
}

export interface MeshFigures {
  units: number
  /** Units with a result. */
  ran: number
  /** Units per worker, most first. */
  perWorker: Array<{ worker: string, units: number }>
  /** Sum of every unit time: the same work done one unit after another. */
  serialMs: number
  critical: CriticalPath
  meshMs: number
  overheadMs: number
  overheadPerUnitMs: number
}

export function meshFigures (summary: BuildSummaryJson): MeshFigures {
  const units = summary.job.units
  const counts = new Map<string, number>()
  let serialMs = 0
  for (const u of units) {
    if (u.result == null) continue
    counts.set(u.result.worker, (counts.get(u.result.worker) ?? 0) + 1)
    serialMs += unitTimeMs(u.result)
  }
  const critical = criticalPath(units)
  const meshMs = summary.timings.submitMs + summary.timings.distributedMs
  const overheadMs = meshMs - critical.ms
  return {
    units: units.length,
    ran: units.filter(u => u.result != null).length,
    perWorker: [...counts].map(([worker, n]) => ({ worker, units: n })).sort((a, b) => b.units - a.units),
    serialMs,
    critical,
    meshMs,
    overheadMs,
    overheadPerUnitMs: units.length === 0 ? 0 : overheadMs / units.length
  }
}
