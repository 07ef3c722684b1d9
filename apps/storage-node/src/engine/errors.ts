// Named engine errors. Callers (the node service) map them to gRPC status codes in one place;
// nothing here knows about gRPC.

/** Base class of every error the engine raises on purpose. */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad CRC, bad magic or version, truncated structure: stored bytes cannot be trusted. */
export class CorruptionError extends EngineError {
  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(`${message} (file ${file}, offset ${offset})`);
  }
}

/** The disk guard tripped: free space is below `diskFreeBytesMin`. Reads still work. */
export class DiskFullError extends EngineError {}

/**
 * Too many writes already wait behind a stall (write-queue.ts): the write is refused, not kept.
 * Nothing of it was applied; the caller may retry later or write elsewhere.
 */
export class WriteQueueFullError extends EngineError {}

/** The engine was closed (or is closing) and refuses further operations. */
export class EngineClosedError extends EngineError {}

/** A flush or compaction failed; writes are refused until the engine is reopened. */
export class BackgroundError extends EngineError {}

/** Another process (or another Engine in this process) holds the data directory lock. */
export class LockedError extends EngineError {}

/** A caller passed a key, value or option the engine cannot accept. */
export class InvalidArgumentError extends EngineError {}
