// The error for a request field (or a field of a message on the wire) that breaks a rule. Both
// services map it to INVALID_ARGUMENT; its message names the field and the value.

/** Longest piece of a string value quoted in an error message. */
export const QUOTED_VALUE_CHARS_MAX = 64;

export class InvalidFieldError extends Error {
  constructor(
    /** The field as the proto spells it, e.g. `tenant_id` or `versions.siblings[0].dot`. */
    readonly field: string,
    readonly value: unknown,
    /** What is wrong with it, e.g. `is required`. */
    readonly reason: string,
  ) {
    super(`${field} ${reason} (got ${describeValue(value)})`);
    this.name = new.target.name;
  }
}

/** A value as an error message shows it: strings quoted and cut short, bigints in decimal. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > QUOTED_VALUE_CHARS_MAX
      ? `${JSON.stringify(value.slice(0, QUOTED_VALUE_CHARS_MAX))}...`
      : JSON.stringify(value);
  }
  if (typeof value === 'bigint') return value.toString();
  return String(value);
}
