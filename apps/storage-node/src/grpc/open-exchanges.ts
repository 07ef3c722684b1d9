// The node's open Exchange streams. A coordinator keeps its stream open for as long as it runs,
// so a draining server would wait on it until its shutdown timeout and then cut it, requests
// and all. A drain instead ends each stream itself once every request it carried is answered.

/** One open stream, as a drain sees it. */
export interface DrainableStream {
  /** Answers what is in flight, then ends the stream; resolves once it has ended. */
  endWhenIdle(): Promise<void>;
}

export class OpenExchanges {
  private readonly open = new Set<DrainableStream>();
  private draining = false;

  /** Registers a stream; the returned function unregisters it (it ended or failed). */
  add(stream: DrainableStream): () => void {
    this.open.add(stream);
    // A stream that opened while draining ends as soon as it is idle.
    if (this.draining) void stream.endWhenIdle();
    return () => this.open.delete(stream);
  }

  /** Ends every open stream once idle (new requests on them are already refused). */
  async endAll(): Promise<void> {
    this.draining = true;
    await Promise.all([...this.open].map((stream) => stream.endWhenIdle()));
  }
}
