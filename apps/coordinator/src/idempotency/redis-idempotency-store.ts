// IdempotencyStore on Redis (ioredis). One record per scope key, in the byte grammar of
// idempotency-record.ts, with a PX expiry. Claim, complete and release are Lua scripts, so
// each reads and writes the record atomically: the claim is GET-then-SET-PX as one step (what
// SET NX PX does, but answering the holder's record in the same round trip), and complete and
// release compare the claim token (bytes 3..18 in Lua's 1-based strings) before touching it.
import { randomBytes } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';
import { IdempotencyUnavailableError } from './idempotency-errors';
import {
  CLAIM_TOKEN_BYTES,
  RECORD_STATE_IN_PROGRESS,
  RECORD_VERSION,
  decodeRecord,
  encodeRecord,
} from './idempotency-record';
import {
  checkTtlMs,
  type ClaimResult,
  type IdempotencyClaim,
  type IdempotencyStore,
} from './idempotency-store';

/** The `redis` section of config.yaml (seed LLD section 12); every field has a default. */
export interface RedisConnectionOptions {
  /** redis://[:password@]host:port[/db]; when set, host..db are ignored. */
  url?: string;
  /** Default 'localhost'. */
  host?: string;
  /** Default 6379. */
  port?: number;
  /** Default '' (no AUTH). */
  password?: string;
  /** Default 0. */
  db?: number;
  /** Reconnection attempts a command waits through before failing. Default 3. */
  maxRetries?: number;
  /** Accepted for the seed's config shape; ioredis pipelines over one connection. */
  poolSize?: number;
  /** Accepted for the seed's config shape; ioredis pipelines over one connection. */
  minIdleConns?: number;
  /** Default 5 s. */
  connectTimeoutMs?: number;
  /** A command unanswered this long fails as unavailable. Default 2 s. */
  commandTimeoutMs?: number;
  /** Prepended to every key (tests isolate runs with it; deployments may share Redis). */
  keyPrefix?: string;
}

export const REDIS_DEFAULTS = {
  host: 'localhost',
  port: 6379,
  password: '',
  db: 0,
  maxRetries: 3,
  connectTimeoutMs: 5_000,
  commandTimeoutMs: 2_000,
  keyPrefix: '',
} as const;

// KEYS[1] record key; ARGV[1] new in-progress record, ARGV[2] ttl ms.
// Returns the holder's record, or nil after claiming.
const CLAIM_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

// KEYS[1] record key; ARGV[1] done record, ARGV[2] claim token, ARGV[3] ttl ms.
const COMPLETE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current and (string.byte(current, 1) ~= ${RECORD_VERSION}
    or string.sub(current, 3, ${2 + CLAIM_TOKEN_BYTES}) ~= ARGV[2]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

// KEYS[1] record key; ARGV[1] claim token.
const RELEASE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current and string.byte(current, 1) == ${RECORD_VERSION}
    and string.byte(current, 2) == ${RECORD_STATE_IN_PROGRESS}
    and string.sub(current, 3, ${2 + CLAIM_TOKEN_BYTES}) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

interface ScriptCommands {
  pairdbIdempotencyClaimBuffer(key: string, record: Buffer, ttlMs: number): Promise<Buffer | null>;
  pairdbIdempotencyComplete(
    key: string,
    record: Buffer,
    token: Buffer,
    ttlMs: number,
  ): Promise<number>;
  pairdbIdempotencyRelease(key: string, token: Buffer): Promise<number>;
}

function redisOptions(options: RedisConnectionOptions): RedisOptions {
  const common: RedisOptions = {
    maxRetriesPerRequest: options.maxRetries ?? REDIS_DEFAULTS.maxRetries,
    connectTimeout: options.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs,
  };
  if (options.url) return common;
  return {
    ...common,
    host: options.host ?? REDIS_DEFAULTS.host,
    port: options.port ?? REDIS_DEFAULTS.port,
    password: options.password || undefined,
    db: options.db ?? REDIS_DEFAULTS.db,
  };
}

/** A Redis error reply means a bug (a bad script); anything else means Redis is unreachable. */
function translate(error: unknown): unknown {
  if (error instanceof Error && error.name === 'ReplyError') return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new IdempotencyUnavailableError(`Redis: ${detail}`, error);
}

export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly redis: Redis;
  private readonly scripts: ScriptCommands;
  private readonly keyPrefix: string;

  /** Connects in the background; commands wait for the connection (up to maxRetries). */
  constructor(options: RedisConnectionOptions) {
    const config = redisOptions(options);
    this.redis = options.url ? new Redis(options.url, config) : new Redis(config);
    // Connection errors surface through the commands that fail; without a listener ioredis
    // would print each reconnect attempt's error.
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('pairdbIdempotencyClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    this.redis.defineCommand('pairdbIdempotencyComplete', {
      numberOfKeys: 1,
      lua: COMPLETE_SCRIPT,
    });
    this.redis.defineCommand('pairdbIdempotencyRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.scripts = this.redis as unknown as ScriptCommands;
    this.keyPrefix = options.keyPrefix ?? REDIS_DEFAULTS.keyPrefix;
  }

  async claim(scopeKey: string, fingerprint: string, ttlMs: number): Promise<ClaimResult> {
    checkTtlMs(ttlMs);
    const token = randomBytes(CLAIM_TOKEN_BYTES);
    const key = this.keyPrefix + scopeKey;
    const record = encodeRecord({
      state: 'in_progress',
      token,
      fingerprint,
      response: Buffer.alloc(0),
    });
    let holder: Buffer | null;
    try {
      holder = await this.scripts.pairdbIdempotencyClaimBuffer(key, record, ttlMs);
    } catch (error) {
      throw translate(error);
    }
    if (holder === null) {
      return { state: 'claimed', claim: { scopeKey, fingerprint, token: token.toString('hex') } };
    }
    const current = decodeRecord(holder, key);
    return current.state === 'done'
      ? { state: 'done', fingerprint: current.fingerprint, response: current.response }
      : { state: 'in_progress', fingerprint: current.fingerprint };
  }

  async complete(claim: IdempotencyClaim, response: Buffer, ttlMs: number): Promise<boolean> {
    checkTtlMs(ttlMs);
    const token = Buffer.from(claim.token, 'hex');
    const record = encodeRecord({ state: 'done', token, fingerprint: claim.fingerprint, response });
    try {
      const stored = await this.scripts.pairdbIdempotencyComplete(
        this.keyPrefix + claim.scopeKey,
        record,
        token,
        ttlMs,
      );
      return stored === 1;
    } catch (error) {
      throw translate(error);
    }
  }

  async release(claim: IdempotencyClaim): Promise<boolean> {
    try {
      const released = await this.scripts.pairdbIdempotencyRelease(
        this.keyPrefix + claim.scopeKey,
        Buffer.from(claim.token, 'hex'),
      );
      return released === 1;
    } catch (error) {
      throw translate(error);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.redis.ping();
    } catch (error) {
      throw translate(error);
    }
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
