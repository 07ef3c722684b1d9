// Column decoding shared by both drivers. They differ in how they hand back the same SQL
// types: BIGINT is a string under pg and a bigint under PGlite, BYTEA is a Buffer under pg and
// a Uint8Array under PGlite, NUMERIC is a string under both. A value of an unexpected type is a
// bug in a query (a column that does not match its decoder), so it throws a plain Error.

/**
 * Ring tokens are uint64: the first 8 bytes of a SHA-256 digest
 * (docs/architecture.md#the-ring-and-placement).
 */
export const TOKEN_MAX = (1n << 64n) - 1n;

export function decodeInteger(value: unknown, column: string): number {
  const parsed =
    typeof value === 'number'
      ? value
      : typeof value === 'bigint' || typeof value === 'string'
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(parsed)) {
    throw new Error(`column ${column}: expected a safe integer, got ${String(value)}`);
  }
  return parsed;
}

export function decodeToken(value: unknown, column: string): bigint {
  if (typeof value !== 'string' && typeof value !== 'bigint' && typeof value !== 'number') {
    throw new Error(`column ${column}: expected a uint64 token, got ${String(value)}`);
  }
  const token = BigInt(value);
  if (token < 0n || token > TOKEN_MAX) {
    throw new Error(`column ${column}: token ${token} is outside uint64`);
  }
  return token;
}

export function decodeUnixMs(value: unknown, column: string): number {
  const date = value instanceof Date ? value : new Date(String(value));
  const unixMs = date.getTime();
  if (!Number.isFinite(unixMs)) {
    throw new Error(`column ${column}: expected a timestamp, got ${String(value)}`);
  }
  return unixMs;
}

export function decodeOptionalUnixMs(value: unknown, column: string): number | null {
  return value === null || value === undefined ? null : decodeUnixMs(value, column);
}

export function decodeText(value: unknown, column: string): string {
  if (typeof value !== 'string') {
    throw new Error(`column ${column}: expected text, got ${String(value)}`);
  }
  return value;
}

export function decodeOptionalText(value: unknown, column: string): string | null {
  return value === null || value === undefined ? null : decodeText(value, column);
}

export function decodeOptionalBytes(value: unknown, column: string): Buffer | null {
  if (value === null || value === undefined) return null;
  if (!(value instanceof Uint8Array)) {
    throw new Error(`column ${column}: expected bytes, got ${String(value)}`);
  }
  // A copy: PGlite's arrays may view a buffer it reuses.
  return Buffer.from(value);
}

export function decodeBoolean(value: unknown, column: string): boolean {
  if (typeof value !== 'boolean') {
    throw new Error(`column ${column}: expected a boolean, got ${String(value)}`);
  }
  return value;
}

/** A NUMERIC (or BIGINT) column that must stay exact beyond 2^53: a hybrid-logical-clock reading. */
export function decodeBigint(value: unknown, column: string): bigint {
  if (typeof value !== 'string' && typeof value !== 'bigint' && typeof value !== 'number') {
    throw new Error(`column ${column}: expected an integer, got ${String(value)}`);
  }
  try {
    return BigInt(value);
  } catch {
    throw new Error(`column ${column}: expected an integer, got ${String(value)}`);
  }
}

export function decodeOptionalInteger(value: unknown, column: string): number | null {
  return value === null || value === undefined ? null : decodeInteger(value, column);
}
