/** One line of a benchmark table: a figure, its reference, their ratio and the goal. */
export interface ResultRow {
  measure: string
  figure: string
  reference: string
  /** figure / reference, when both are numbers of the same unit. */
  ratio?: number
  goal?: string
  /** undefined when there is no goal or it could not be judged (reference missing). */
  met?: boolean
}

export function formatRatio (ratio: number | undefined): string {
  if (ratio == null || !Number.isFinite(ratio)) return '-'
  return `${ratio.toFixed(2)}x`
}

function metText (met: boolean | undefined, goal: string | undefined): string {
  if (goal == null) return ''
  if (met == null) return 'n/a'
  return met ? 'yes' : 'NO'
}

/** Renders rows as an aligned text table with a title and column headers naming the two sides. */
export function renderTable (title: string, figureHeader: string, referenceHeader: string, rows: readonly ResultRow[]): string {
  const header = ['measure', figureHeader, referenceHeader, 'ratio', 'goal', 'met']
  const cells = rows.map((r) => [r.measure, r.figure, r.reference, formatRatio(r.ratio), r.goal ?? '', metText(r.met, r.goal)])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c: string[]): string => c.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ').trimEnd()
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2))
  return [`\n${title}`, rule, line(header), rule, ...cells.map(line), rule].join('\n')
}

export function fmtNumber (n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function fmtMs (ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${fmtNumber(ms, 0)} ms`
}

export function fmtSeconds (ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}
