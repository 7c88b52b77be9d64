// The control API's answers (`/api/v1/`), shared by the node that serves them and the clients that read them.

export interface NodeInfo {
  peerId: string
  multiaddrs: string[]
  httpUrl: string
  cacheUrl: string
  pid: number
  version: string
  startedAt: string
  dataDir: string
  uptimeMs: number
  /** Resident memory of the node process, bytes. */
  rssBytes: number
  /** How the node finds and reaches peers (absent on a node without a mesh). */
  connectivity?: ConnectivityInfo
}

/** How a node finds and reaches peers, and its failed connection attempts by cause (what `gmesh status` hints from). */
export interface ConnectivityInfo {
  /** A swarm key closes the mesh (libp2p pnet): only nodes with the same key connect. */
  privateMesh: boolean
  /** Multicast DNS discovery on the LAN. */
  mdns: boolean
  /** Why mDNS is off: --no-mdns, or every listen address is loopback. */
  mdnsOff?: string
  /** `--bootstrap` addresses given. */
  bootstrap: number
  failures: {
    /**
     * Connections that reached the other node, then failed in the private-network or encryption handshake: another
     * swarm key, or a key on one side only. `inbound`: the other node dialled; `lastError`: libp2p's words for the newest.
     * `timedOut`: (either way) not finished before the deadline: mostly a connection that sends nothing (a port scan,
     * connections held open); `refused`: inbound ones refused because their address had too many in the handshake.
     */
    handshake: { inbound: number, outbound: number, timedOut: number, refused: number, lastError?: string }
    /** Dials of this node that reached no node: refused, no route, the connect timed out. */
    unreachable: number
  }
}

export interface PeerLoad { capacity: number, running: number, queued: number, cacheBytes: number }

export interface PeerInfo {
  peerId: string
  status: string
  connected: boolean
  rttMs?: number
  load: PeerLoad
  addresses: string[]
}

/**
 * The membership messages a node took since it started (`membership` of its status): `frames` on the direct protocol
 * (probes, joins, pulls), `gossip` publications from the topic, `heartbeats` among them (a member's own alive record);
 * replays ignored (`staleBeats`) and malformed messages (`rejected`) are not in the first three.
 */
export interface MembershipStats { frames: number, gossip: number, heartbeats: number, staleBeats: number, rejected: number }

export interface CacheInfo {
  /** The local store. */
  store: { entries: number, bytes: number, maxBytes: number, hits: number, misses: number }
  /** Gradle's HTTP cache endpoint. */
  http: { gets: number, hits: number, misses: number, puts: number, stored: number }
  /** Sharing with peers (absent on a node without a mesh). */
  sharing?: { peerHits: number, peerMisses: number, fetchedBytes: number, servedBytes: number }
}

/** `assembling`: every unit is done and the submitter fetches the test shards' reports from their workers. */
export type JobState = 'planning' | 'running' | 'assembling' | 'done' | 'failed' | 'cancelled'

/** Progress of a job's units on one node. */
export interface NodeProgress { peerId: string, total: number, done: number, running: number, failed: number }

export interface JobInfo {
  id: string
  state: JobState
  leader?: string
  term?: number
  submitter: string
  startedAt: string
  tasks: string[]
  units: { total: number, done: number, running: number, queued: number, failed: number }
  nodes: NodeProgress[]
  error?: string
}

/** How one unit went, as its worker reported it. */
export interface UnitResultInfo {
  worker: string
  outcome: 'success' | 'failed' | 'timeout' | 'cancelled' | 'error'
  durationMs: number
  setupMs: number
  fetchedBytes: number
  tasks: { executed: number, fromCache: number, upToDate: number }
  failure?: { task?: string, message: string, logTail: string[] }
  /** A test shard's JUnit reports: the blob (SHA-256 and size) its worker stored. */
  testReports?: { sha256: string, size: number }
}

/** One JUnit XML report file of a test shard. */
export interface TestReportFileInfo { name: string, content: string }

/** What `GET /api/v1/jobs/ID/test-reports` answers: each test shard unit's reports, by unit id. */
export interface JobTestReports { units: Record<string, TestReportFileInfo[]> }

/** The snapshot a job builds. */
export interface SnapshotInfo {
  id: string
  files: number
  bytes: number
  newBlobs: number
  ms: number
  /** Entries the snapshot left out although no ignore rule says so: links leaving the project, sockets, FIFOs (absent from older nodes). */
  skipped?: number
  /** The first of those (SKIPPED_PATHS_SHOWN at most), each `path (why)`. */
  skippedPaths?: string[]
}

/** How many of the entries a snapshot left out a job's report names. */
export const SKIPPED_PATHS_SHOWN = 10

/** A submitted job in full, for `gmesh build`'s summary (`GET /api/v1/jobs/ID/report`). */
export interface JobReport {
  id: string
  state: JobState
  startedAt: string
  /** Milliseconds from submission to the end (or to now while running). */
  elapsedMs: number
  requested: string[]
  snapshot: SnapshotInfo
  /** Every term the submitter granted: who led the job from when. */
  terms: Array<{ term: number, leader: string, atMs: number }>
  /** Peers that left the mesh while the job ran (their units were run again elsewhere). */
  lostPeers: string[]
  units: Array<{ id: string, name: string, dependsOn: string[], result?: UnitResultInfo }>
  /** Why the job failed: the failing unit's task and log. */
  error?: string
}

/** What `POST /api/v1/jobs` takes: the project to snapshot and the planned units. */
/** What a cancel did: stopped a running job or a submission before its job started; found the job over, or none. */
export type CancelOutcome = 'cancelled' | 'stopped-before-start' | 'ended' | 'unknown'

/** The answer to a cancel: `started` is false when the job was stopped while the node still took its snapshot. */
export interface CancelJobResult { cancelled: string, started: boolean }

export interface SubmitJobRequest {
  /** The job's id, chosen by the client (`newJobId`) so it can cancel the job before the answer comes; the node picks one without it. */
  jobId?: string
  projectDir: string
  requested: string[]
  units: Array<{ id: string, name: string, project: string, tasks: string[], run: string[], exclude: string[], testFilters: string[], dependsOn: string[], shard?: { testTask: string, index: number, count: number, salt: number } }>
  /** Deadline of each unit (default 30 minutes, at most MAX_UNIT_TIMEOUT_MS). */
  unitTimeoutMs?: number
}

export interface UnitInfo { id: string, jobId: string, node?: string, state: string, tasks: string[], attempts: number }

export type NodeEventBody =
  | { type: 'peer-up', peer: string }
  | { type: 'peer-down', peer: string }
  | { type: 'cache-get', key: string, source: 'local' | 'peer' | 'miss', bytes: number, ms: number }
  | { type: 'cache-put', key: string, bytes: number }
  | { type: 'peer-fetch', key: string, peer: string, result: string, bytes: number, ms: number }
  | { type: 'message-rejected', topic: string, peer: string, reason: string }
  /** A gc ended; `interrupted`: stopped early (its client went away, or the node stopped), having evicted these. */
  | { type: 'cache-gc', evicted: number, freedBytes: number, interrupted?: true }
  | { type: 'job', jobId: string, state: JobState }
  /** This node ran a unit of a distributed build (as a worker). */
  | { type: 'unit', jobId: string, unitId: string, name: string, outcome: UnitResultInfo['outcome'], ms: number }
  /** This node, leading a job, took units back from a worker (silent, dead, or no longer holding them). */
  | { type: 'units-requeued', jobId: string, units: number, from: string }
  /** This node took units from a busy neighbour's queue. */
  | { type: 'units-stolen', units: number }
  /** This node became the acting leader of a job for a term. */
  | { type: 'leading', jobId: string, term: number }

/** An event with its stream id (increasing from 1) and time (ms since the epoch). */
export type NodeEvent = NodeEventBody & { id: number, time: number }

/** Buffered events right after the asked id, oldest first; `next` is the id to ask after for the rest, `lastId` the newest the node gave. */
/**
 * A page of buffered events: `next` is the id to ask after for the rest; `missed` counts events after the asked id
 * that the node's buffer no longer holds; `restarted` says the asked id is from an earlier run of the node, whose
 * last events are gone (how many is unknown).
 */
export interface EventsPage { events: NodeEvent[], lastId: number, next: number, missed: number, restarted?: true }
export type GcResult = { evicted: number, freedBytes: number }
export type VerifyResult = { checked: number, quarantined: number }

/** The longest deadline a unit may have: a day. */
export const MAX_UNIT_TIMEOUT_MS = 24 * 3600_000

/** The largest JSON body of a control API request (gc, verify, a cancel): the node answers a bigger one 413. */
export const MAX_API_BODY_BYTES = 64 * 1024

/** The largest body of a job submission (`POST /api/v1/jobs`, the units of a big build): the node answers a bigger one 413. */
export const MAX_SUBMIT_BODY_BYTES = 16 * 1024 * 1024
