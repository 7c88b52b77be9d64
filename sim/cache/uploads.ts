/**
 * As node/mesh/blob-transfer.ts's BlobServer: 16 uploads at once, more are answered `busy` (the asker tries another
 * provider or asks again later); 32 streams from one peer at once, more are reset by the stream server (the asker
 * sees an error). An upload runs from its header until its body ends or is called off.
 */
export const MAX_CONCURRENT_UPLOADS = 16
export const MAX_STREAMS_PER_PEER = 2 * MAX_CONCURRENT_UPLOADS

export type UploadAnswer = 'reset' | 'busy' | 'serve'

/** Each provider's uploads running and each peer's streams open to it. */
export class UploadLimits {
  private readonly uploads = new Map<number, number>()
  private readonly streams = new Map<string, number>()

  /** A fetch from `from` reached `server`: refuse its stream, answer busy, or serve it (a missing entry is "served" a header only). */
  admit (server: number, from: number): UploadAnswer {
    if (this.streamsOf(server, from) >= MAX_STREAMS_PER_PEER) return 'reset'
    if ((this.uploads.get(server) ?? 0) >= MAX_CONCURRENT_UPLOADS) return 'busy'
    return 'serve'
  }

  /** Whether a push offer's stream from `from` fits at `server`. */
  admitsStream (server: number, from: number): boolean {
    return this.streamsOf(server, from) < MAX_STREAMS_PER_PEER
  }

  /** `server` uploads a body to `to`: an upload and a stream until `uploadEnded`. */
  uploadStarted (server: number, to: number): void {
    this.uploads.set(server, (this.uploads.get(server) ?? 0) + 1)
    this.openStream(server, to, 1)
  }

  uploadEnded (server: number, to: number): void {
    this.uploads.set(server, (this.uploads.get(server) ?? 1) - 1)
    this.openStream(server, to, -1)
  }

  /** A push offer from `from` stays open at `server` while `server` pulls its bytes. */
  offerStream (server: number, from: number, delta: 1 | -1): void {
    this.openStream(server, from, delta)
  }

  private streamsOf (server: number, from: number): number {
    return this.streams.get(`${server}|${from}`) ?? 0
  }

  private openStream (server: number, peer: number, delta: number): void {
    const id = `${server}|${peer}`
    const n = (this.streams.get(id) ?? 0) + delta
    if (n <= 0) this.streams.delete(id)
    else this.streams.set(id, n)
  }
}
