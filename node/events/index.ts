export { EventBus, firstIdFromClock, type NodeEvent, type NodeEventBody, type EventListener, type EventBusInit, type Replay } from './event-bus.js'

/** Where node parts report events; the daemon's EventBus is one. */
export interface EventSink {
  emit: (body: import('./event-bus.js').NodeEventBody) => unknown
}
