/**
 * What a failed Gradle build said about its failure, kept while its output streams by: the last lines of output before
 * Gradle's failure summary (the compiler's error lines, a test's stack trace) and the "What went wrong:" text of that
 * summary, both bounded whatever the build prints. A unit's runner (unit-runner.ts) and `gmesh build`'s final local build
 * (distributed-build.ts) report failures from it.
 */
import { Writable } from 'node:stream'
import { capLine, type BuildSummary } from './build-output.js'

/** Lines of output kept for the failure report. */
export const LOG_TAIL_LINES = 40
/**
 * Characters kept of each of those lines (then `…`): javac echoes the offending source line and a caret line padded to
 * its column, so one long source line would otherwise fill the report and push the `error:` lines out of it.
 */
export const LOG_LINE_CHARS = 1000
/**
 * Lines kept of the "What went wrong:" text (then a line saying how many more): Gradle's own is a few lines, but a
 * build's exception message may be anything, and output that merely looks like the heading must not fill memory.
 */
export const WENT_WRONG_LINES = 100
/** The message of a failure Gradle gave no "What went wrong:" for. */
export const NO_REASON = 'Gradle failed without saying why'
/** Characters kept of a line still unfinished (a stream that never ends its line must not fill memory). */
const PARTIAL_LINE_CHARS = 64 * 1024

/** A failed build as its output tells it. */
export interface GradleFailure {
  /** The task that failed, when Gradle named one. */
  task?: string
  /** Gradle's "What went wrong" text (or, for a unit, why it was stopped). */
  message: string
  /** The last lines of output before Gradle's failure summary, each at most LOG_LINE_CHARS characters (then `…`). */
  logTail: string[]
}

/**
 * A failure as a person reads it: `head` and the task that failed, the last lines before Gradle's message, the message.
 * A failed unit (node/jobs/unit-report.ts) and a failed final build (src/build/build-summary.ts) read alike.
 */
export function failureLines (head: string, failure: Readonly<GradleFailure>): string[] {
  return [`${head}${failure.task == null ? '' : ` in ${failure.task}`}`, ...failure.logTail.map(line => `  | ${line}`), failure.message]
}

export type OutputStreamName = 'stdout' | 'stderr'

/** Keeps the last lines of Gradle's output (both streams, in arrival order) and reads failures from them. */
export class OutputTail {
  private readonly lines: string[] = []
  private readonly wentWrong: string[] = []
  private wentWrongLeftOut = 0
  private readonly partial = { stdout: '', stderr: '' }
  private section: 'output' | 'summary' | 'what-went-wrong' | 'after' = 'output'

  /** `log`: where the output is copied to as it comes (default: nowhere). */
  constructor (private readonly log?: Writable) {}

  /** A sink for one of Gradle's streams; each keeps its own unfinished line. */
  stream (name: OutputStreamName): Writable {
    return new Writable({
      write: (chunk, _encoding, done) => {
        this.log?.write(chunk)
        this.push(name, String(chunk))
        done()
      }
    })
  }

  /** Takes in a chunk of one of Gradle's streams (for a caller that copies the output elsewhere itself). */
  push (name: OutputStreamName, chunk: string): void {
    const lines = (this.partial[name] + chunk).split('\n')
    this.partial[name] = (lines.pop() ?? '').slice(0, PARTIAL_LINE_CHARS)
    for (const line of lines) this.line(line)
  }

  /** The failure as Gradle told it (call once Gradle has exited): the failed task, "What went wrong", the tail before it. */
  failure (summary: Pick<BuildSummary, 'tasks'>): GradleFailure {
    const wentWrong = this.wentWrongText()
    const named = /Execution failed for task '(:[^']+)'/.exec(wentWrong)?.[1]
    const task = summary.tasks.find(result => result.outcome === 'FAILED')?.path ?? named
    return { ...(task != null ? { task } : {}), message: wentWrong || NO_REASON, logTail: [...this.lines] }
  }

  /** Whether Gradle's "What went wrong" text starts with `text` (not the build's own output, which could say anything). */
  wentWrongWith (text: string): boolean {
    return this.wentWrongText().startsWith(text)
  }

  private wentWrongText (): string {
    this.flush()
    const more = this.wentWrongLeftOut === 0 ? [] : [`… ${this.wentWrongLeftOut} more line${this.wentWrongLeftOut === 1 ? '' : 's'} left out …`]
    return [...this.wentWrong, ...more].join('\n').trim()
  }

  /** Takes in the last unfinished line of each stream (Gradle has exited). */
  private flush (): void {
    for (const name of ['stdout', 'stderr'] as const) {
      if (this.partial[name] !== '') this.line(this.partial[name])
      this.partial[name] = ''
    }
  }

  private line (raw: string): void {
    const line = raw.replace(/\r$/, '').trimEnd()
    if (line.startsWith('FAILURE:')) this.section = 'summary'
    else if (line.startsWith('* What went wrong:')) this.section = 'what-went-wrong'
    else if (line.startsWith('* Try:')) this.section = 'after'
    else if (this.section === 'what-went-wrong') {
      if (this.wentWrong.length < WENT_WRONG_LINES) this.wentWrong.push(capLine(line, LOG_LINE_CHARS))
      else this.wentWrongLeftOut++
    } else if (this.section === 'output' && line !== '') {
      this.lines.push(capLine(line, LOG_LINE_CHARS))
      if (this.lines.length > LOG_TAIL_LINES) this.lines.shift()
    }
  }
}
