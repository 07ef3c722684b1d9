// Config field types that accept both YAML values and the strings environment variables give:
// `5s` and `5000` are the same duration, `64MiB` and `67108864` the same size.
import { z } from 'zod';

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const SIZE_UNITS_BYTES: Record<string, number> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1_024,
  mib: 1_048_576,
  gib: 1_073_741_824,
};

function parseWithUnits(
  input: unknown,
  units: Record<string, number>,
  bareUnit: number,
): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input * bareUnit : undefined;
  if (typeof input !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase();
  const scale = unit === '' ? bareUnit : units[unit];
  return scale === undefined ? undefined : Number(match[1]) * scale;
}

/** A duration in milliseconds: a number of ms, or a string such as `250ms`, `5s`, `30m`, `3h`. */
export function durationMs(defaultValue: string | number) {
  return z
    .unknown()
    .transform((input, ctx) => {
      const ms = parseWithUnits(input, DURATION_UNITS_MS, 1);
      if (ms === undefined || ms < 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a duration such as 500ms, 5s, 30m or 3h',
        });
        return z.NEVER;
      }
      return Math.round(ms);
    })
    .prefault(defaultValue);
}

/** A size in bytes: a number, or a string such as `64MiB`, `10MB`, `4096`. */
export function sizeBytes(defaultValue: string | number) {
  return z
    .unknown()
    .transform((input, ctx) => {
      const bytes = parseWithUnits(input, SIZE_UNITS_BYTES, 1);
      if (bytes === undefined || bytes < 0) {
        ctx.addIssue({ code: 'custom', message: 'expected a size such as 4096, 64MiB or 1GB' });
        return z.NEVER;
      }
      return Math.round(bytes);
    })
    .prefault(defaultValue);
}

/** An integer within [min, max]; strings of digits are accepted. */
export function integer(defaultValue: number, range: { min: number; max: number }) {
  return z
    .unknown()
    .transform((input, ctx) => {
      const value =
        typeof input === 'string' && /^\s*-?\d+\s*$/.test(input) ? Number(input) : input;
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        ctx.addIssue({ code: 'custom', message: 'expected an integer' });
        return z.NEVER;
      }
      if (value < range.min || value > range.max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected an integer from ${range.min} to ${range.max}`,
        });
        return z.NEVER;
      }
      return value;
    })
    .prefault(defaultValue);
}

/** A number within [min, max], fractions allowed; strings such as `0.25` are accepted. */
export function decimal(defaultValue: number, range: { min: number; max: number }) {
  return z
    .unknown()
    .transform((input, ctx) => {
      const value =
        typeof input === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)\s*$/.test(input)
          ? Number(input)
          : input;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        ctx.addIssue({ code: 'custom', message: 'expected a number such as 0.25' });
        return z.NEVER;
      }
      if (value < range.min || value > range.max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a number from ${range.min} to ${range.max}`,
        });
        return z.NEVER;
      }
      return value;
    })
    .prefault(defaultValue);
}

/** true/false; the strings `true`, `false`, `1`, `0`, `yes`, `no` are accepted. */
export function flag(defaultValue: boolean) {
  return z
    .unknown()
    .transform((input, ctx) => {
      if (typeof input === 'boolean') return input;
      const text = typeof input === 'string' ? input.trim().toLowerCase() : '';
      if (['true', '1', 'yes'].includes(text)) return true;
      if (['false', '0', 'no'].includes(text)) return false;
      ctx.addIssue({ code: 'custom', message: 'expected true or false' });
      return z.NEVER;
    })
    .prefault(defaultValue);
}

/** A string; `values` restricts it to a fixed set. */
export function text<const T extends string>(defaultValue: T | string, values?: readonly T[]) {
  const base = values ? z.enum(values as unknown as [T, ...T[]]) : z.string();
  return (base as z.ZodType<string>).default(defaultValue);
}
