/**
 * Parses Gradle's plain-console output into task outcomes.
 *
 * Two line formats are understood:
 * - Gradle 5+ (and 4.x's rich console in plain mode since 4.7): `> Task :core:compileJava FROM-CACHE`
 * - Gradle 4.4 and older: `:core:compileJava FROM-CACHE`
 * A task header without an outcome means the task ran (or, for lifecycle tasks, had nothing to do);
 * when the task's own output interrupts it, Gradle repeats the header later with the outcome
 * (`FAILED`, for instance), and the later outcome wins.
 *
 * The `N actionable tasks: X executed, Y from cache, Z up-to-date` line printed at the end of a
 * build is the authoritative count of tasks with actions and is returned as `actionable`.
 */

export type TaskOutcome = 'EXECUTED' | 'FROM-CACHE' | 'UP-TO-DATE' | 'NO-SOURCE' | 'SKIPPED' | 'FAILED'

export interface TaskResult {
  /** Task path, e.g. `:core:compileJava`. */
  path: string
  outcome: TaskOutcome
}

export interface OutcomeCounts {
  executed: number
  fromCache: number
  upToDate: number
  noSource: number
  skipped: number
  failed: number
}

/** The `N actionable tasks: ...` line; absent when the build did not get that far. */
export interface ActionableSummary {
  total: number
  executed: number
  fromCache: number
  upToDate: number
}

export interface BuildSummary {
  /** Every task seen, in first-seen order, with its final outcome. */
  tasks: TaskResult[]
  /** Counts over `tasks` (lifecycle tasks without actions count as executed). */
  counts: OutcomeCounts
  actionable?: ActionableSummary
  /** From `BUILD SUCCESSFUL` / `BUILD FAILED`; `unknown` when neither line was seen. */
  result: 'success' | 'failed' | 'unknown'
}

const OUTCOMES = new Set<string>(['FROM-CACHE', 'UP-TO-DATE', 'NO-SOURCE', 'SKIPPED', 'FAILED'])
const NEW_TASK_LINE = /^> Task (:[^\s]*)(?: ([A-Z-]+))?$/
const OLD_TASK_LINE = /^(:[A-Za-z0-9_.\-:]+)(?: ([A-Z-]+))?$/
const ACTIONABLE_LINE = /^(\d+) actionable tasks?: (.+)$/
const RESULT_LINE = /^BUILD (SUCCESSFUL|FAILED)\b/

/** Parses one line; returns the task it reports, or undefined for any other line. */
export function parseTaskLine (line: string): { path: string, outcome?: TaskOutcome } | undefined {
  const match = NEW_TASK_LINE.exec(line) ?? OLD_TASK_LINE.exec(line)
  if (match == null) return undefined
  const [, path, status] = match
  if (path == null) return undefined
  if (status == null) return { path }
  if (!OUTCOMES.has(status)) return undefined
  return { path, outcome: status as TaskOutcome }
}

/** Parses `N actionable tasks: 3 executed, 2 from cache, 1 up-to-date`. */
export function parseActionableLine (line: string): ActionableSummary | undefined {
  const match = ACTIONABLE_LINE.exec(line)
  if (match == null) return undefined
  const summary: ActionableSummary = { total: Number(match[1]), executed: 0, fromCache: 0, upToDate: 0 }
  for (const part of (match[2] ?? '').split(',')) {
    const item = /^\s*(\d+) (.+?)\s*$/.exec(part)
    if (item == null) continue
    const n = Number(item[1])
    if (item[2] === 'executed') summary.executed = n
    else if (item[2] === 'from cache') summary.fromCache = n
    else if (item[2] === 'up-to-date') summary.upToDate = n
  }
  return summary
}

/** Incremental parser: feed it output chunks as they arrive, then call `summary()`. */
export class BuildOutputParser {
  private readonly outcomes = new Map<string, TaskOutcome>()
  private actionable: ActionableSummary | undefined
  private result: BuildSummary['result'] = 'unknown'
  private readonly partial = { stdout: '', stderr: '' }

  /**
   * Feeds a chunk of output; lines may span chunks. Gradle prints task lines on stdout and
   * `BUILD FAILED` on stderr, so each stream keeps its own unfinished line.
   */
  push (chunk: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const lines = (this.partial[stream] + chunk).split('\n')
    this.partial[stream] = lines.pop() ?? ''
    for (const line of lines) this.line(line)
  }

  /** Feeds one complete line (without its newline). */
  line (raw: string): void {
    const line = raw.replace(/\r$/, '').trimEnd()
    const task = parseTaskLine(line)
    if (task != null) {
      this.recordTask(task.path, task.outcome)
      return
    }
    const actionable = parseActionableLine(line)
    if (actionable != null) {
      this.actionable = actionable
      return
    }
    const result = RESULT_LINE.exec(line)
    if (result != null) this.result = result[1] === 'SUCCESSFUL' ? 'success' : 'failed'
  }

  /** The summary of everything fed so far, including an unterminated last line. */
  summary (): BuildSummary {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') this.line(this.partial[stream])
      this.partial[stream] = ''
    }
    const tasks = [...this.outcomes].map(([path, outcome]) => ({ path, outcome }))
    const summary: BuildSummary = { tasks, counts: countOutcomes(tasks), result: this.result }
    if (this.actionable != null) summary.actionable = { ...this.actionable }
    return summary
  }

  private recordTask (path: string, outcome: TaskOutcome | undefined): void {
    const known = this.outcomes.get(path)
    if (outcome != null) this.outcomes.set(path, outcome)
    else if (known == null) this.outcomes.set(path, 'EXECUTED')
  }
}

export function countOutcomes (tasks: readonly TaskResult[]): OutcomeCounts {
  const counts: OutcomeCounts = { executed: 0, fromCache: 0, upToDate: 0, noSource: 0, skipped: 0, failed: 0 }
  for (const { outcome } of tasks) {
    switch (outcome) {
      case 'EXECUTED': counts.executed++; break
      case 'FROM-CACHE': counts.fromCache++; break
      case 'UP-TO-DATE': counts.upToDate++; break
      case 'NO-SOURCE': counts.noSource++; break
      case 'SKIPPED': counts.skipped++; break
      case 'FAILED': counts.failed++; break
    }
  }
  return counts
}

/** Parses a whole captured output at once. */
export function parseBuildOutput (text: string): BuildSummary {
  const parser = new BuildOutputParser()
  parser.push(text)
  return parser.summary()
}

/** A line of output cut to at most `chars` UTF-16 units (not inside a surrogate pair), with `…` when it was cut. */
export function capLine (line: string, chars: number): string {
  if (line.length <= chars) return line
  const end = /[\uD800-\uDBFF]/.test(line.charAt(chars - 1)) ? chars - 1 : chars
  return `${line.slice(0, end)}…`
}
