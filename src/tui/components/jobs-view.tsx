import { Box, Text } from 'ink'
import type { JobInfo } from '../../client/api-types.js'
import { cell, progressBar, shortId } from '../format.js'

export interface JobsViewProps { jobs: JobInfo[], width: number, height: number }

const STATE_COLORS: Record<string, string> = { running: 'cyan', done: 'green', failed: 'red', cancelled: 'yellow' }

/** Jobs with their leader, a progress bar of the whole job and one per node: its share of the job's units. */
export function JobsView ({ jobs, width, height }: JobsViewProps): React.JSX.Element {
  if (jobs.length === 0) return <Text dimColor>no jobs (distributed builds start with gmesh build)</Text>
  const barWidth = Math.max(10, Math.min(40, width - 40))
  let budget = Math.max(2, height)
  const shown: JobInfo[] = []
  for (const job of jobs) {
    const lines = 2 + job.nodes.length + (job.error == null ? 0 : 1)
    if (budget < lines && shown.length > 0) break
    shown.push(job)
    budget -= lines
  }
  return (
    <Box flexDirection='column'>
      {shown.map(job => <JobBlock key={job.id} job={job} barWidth={barWidth} />)}
      {shown.length < jobs.length ? <Text dimColor>{jobs.length - shown.length} more job(s) not shown</Text> : null}
    </Box>
  )
}

function JobBlock ({ job, barWidth }: { job: JobInfo, barWidth: number }): React.JSX.Element {
  const { total, done, running, failed } = job.units
  return (
    <Box flexDirection='column'>
      <Text>
        <Text bold>{job.id}</Text> <Text color={STATE_COLORS[job.state] ?? 'white'}>{job.state}</Text> leader {job.leader == null ? '-' : shortId(job.leader)}
        {job.term == null ? '' : ` (term ${job.term})`} {done}/{total} units{failed > 0 ? `, ${failed} failed` : ''} {job.tasks.join(' ')}
      </Text>
      <Text>  {cell('all', 12)} {progressBar(done, running, total, barWidth)}</Text>
      {job.nodes.map(node => (
        <Text key={node.peerId}>  {cell(shortId(node.peerId, 11), 12)} {progressBar(node.done, node.running, total, barWidth)} {node.done} done{node.running > 0 ? `, ${node.running} running` : ''}{node.failed > 0 ? <Text color='red'> {node.failed} failed</Text> : ''}</Text>
      ))}
      {job.error == null ? null : <Text color='red'>  {job.error}</Text>}
    </Box>
  )
}
