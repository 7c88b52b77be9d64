import type { Logger } from '../../src/config/logger.js'
import type { EventBus, NodeEvent } from './event-bus.js'

/**
 * Writes the distributed-build events of `bus` to the node's log, each with its job id (and unit id):
 * a job's life, the units this node ran, terms it led, units it requeued or stole. Returns the unsubscribe.
 */
export function logJobEvents (bus: EventBus, logger: Logger): () => void {
  return bus.subscribe(event => { logJobEvent(event, logger) })
}

function logJobEvent (event: NodeEvent, logger: Logger): void {
  switch (event.type) {
    case 'job':
      if (event.state === 'failed' || event.state === 'cancelled') logger.warn({ jobId: event.jobId, state: event.state }, `job ${event.state}`)
      else logger.info({ jobId: event.jobId, state: event.state }, `job ${event.state}`)
      return
    case 'unit': {
      const fields = { jobId: event.jobId, unitId: event.unitId, unit: event.name, outcome: event.outcome, ms: Math.round(event.ms) }
      if (event.outcome === 'success') logger.info(fields, 'unit ran')
      else logger.warn(fields, `unit ${event.outcome}`)
      return
    }
    case 'leading': logger.info({ jobId: event.jobId, term: event.term }, 'leading the job'); return
    case 'units-requeued': logger.info({ jobId: event.jobId, units: event.units, from: event.from }, 'units taken back from a worker'); return
    case 'units-stolen': logger.info({ units: event.units }, 'units stolen from a busy neighbour')
  }
}
