import { Box, Text } from 'ink'
import type { JobInfo, NodeProgress } from '../../client/api-types.js'
import { cell, progressBar, shortId } from '../format.js'

export interface JobsViewProps { jobs: JobInfo[], width: number, height: number }

const STATE_COLORS: Record<string, string> = { running: 'cyan', done: 'green', failed: 'red', cancelled: 'yellow' }

/** Node rows a job gets while other jobs wait below it: the rest of the screen is theirs. */
const NODE_ROWS_WITH_MORE_JOBS = 5

/** One job as drawn: the nodes given a row, and how many more there are. */
export interface JobLayout { job: JobInfo, nodes: NodeProgress[], hiddenNodes: number }

/**
 * Which jobs and node rows fit in `height` lines. Every line is one screen line (the views cut them
 * to the width), so the count is exact: a job is its header, its "all" bar, its node rows (the most
 * active first, then "+K nodes") and its error; jobs that do not fit are counted on a last line.
 */
export function layoutJobs (jobs: JobInfo[], height: number): { shown: JobLayout[], hiddenJobs: number } {
  const shown: JobLayout[] = []
  let budget = Math.max(1, height)
  for (const [i, job] of jobs.entries()) {
    const moreJobs = i < jobs.length - 1
    const fixed = 2 + (job.error == null ? 0 : 1)
    // the line saying how many jobs are not shown is kept free while any job is left
    const room = budget - (moreJobs ? 1 : 0)
    if (room < fixed && shown.length > 0) break
    let nodeRows = Math.max(0, room - fixed)
    if (moreJobs) nodeRows = Math.min(nodeRows, NODE_ROWS_WITH_MORE_JOBS)
    const layout = layoutNodes(job, nodeRows)
    shown.push(layout)
    budget -= fixed + layout.nodes.length + (layout.hiddenNodes > 0 ? 1 : 0)
  }
  return { shown, hiddenJobs: jobs.length - shown.length }
}

function layoutNodes (job: JobInfo, rows: number): JobLayout {
  if (job.nodes.length <= rows) return { job, nodes: job.nodes, hiddenNodes: 0 }
  const kept = Math.max(0, rows - 1)
  const active = new Set([...job.nodes].sort((a, b) => b.running - a.running || b.done + b.failed - a.done - a.failed).slice(0, kept))
  // the most active, shown in the job's own order so rows do not jump about between polls
  const nodes = job.nodes.filter(node => active.has(node))
  return { job, nodes, hiddenNodes: rows === 0 ? 0 : job.nodes.length - kept }
}

/** Jobs with their leader, a progress bar of the whole job and one per node: its share of the job's units. */
export function JobsView ({ jobs, width, height }: JobsViewProps): React.JSX.Element {
  if (jobs.length === 0) return <Text wrap='truncate-end'>no jobs (distributed builds start with gmesh build)</Text>
  const barWidth = Math.max(10, Math.min(40, width - 40))
  const { shown, hiddenJobs } = layoutJobs(jobs, height)
  return (
    <Box flexDirection='column' width={width}>
      {shown.map(layout => <JobBlock key={layout.job.id} layout={layout} barWidth={barWidth} width={width} />)}
      {hiddenJobs > 0 ? <Text dimColor wrap='truncate-end'>{hiddenJobs} more job(s) not shown</Text> : null}
    </Box>
  )
}

/** A job's lines, each cut to the width: a long task list or a multi-line error takes one line. */
function JobBlock ({ layout, barWidth, width }: { layout: JobLayout, barWidth: number, width: number }): React.JSX.Element {
  const { job, nodes, hiddenNodes } = layout
  const { total, done, running, failed } = job.units
  return (
    <Box flexDirection='column' width={width}>
      <Text wrap='truncate-end'>
        <Text bold>{job.id}</Text> <Text color={STATE_COLORS[job.state] ?? 'white'}>{job.state}</Text> leader {job.leader == null ? '-' : shortId(job.leader)}
        {job.term == null ? '' : ` (term ${job.term})`} {done}/{total} units{failed > 0 ? `, ${failed} failed` : ''} {oneLine(job.tasks.join(' '))}
      </Text>
      <Text wrap='truncate-end'>  {cell('all', 12)} {progressBar(done, running, total, barWidth)}</Text>
      {nodes.map(node => (
        <Text key={node.peerId} wrap='truncate-end'>  {cell(shortId(node.peerId, 11), 12)} {progressBar(node.done, node.running, total, barWidth)} {node.done} done{node.running > 0 ? `, ${node.running} running` : ''}{node.failed > 0 ? <Text color='red'> {node.failed} failed</Text> : ''}</Text>
      ))}
      {hiddenNodes > 0 ? <Text dimColor wrap='truncate-end'>  +{hiddenNodes} nodes</Text> : null}
      {job.error == null ? null : <Text color='red' wrap='truncate-end'>  {oneLine(job.error)}</Text>}
    </Box>
  )
}

/** Line breaks as spaces: truncation cuts a line, but a newline would still start another. */
function oneLine (text: string): string {
  return text.replace(/\s*\n\s*/g, ' ')
}
