// JSON for --json outputs. bigint becomes a decimal string (clock counters pass 2^53, where JSON
// numbers lose digits); bytes become UTF-8 text when they are valid UTF-8, base64 otherwise,
// with the encoding named beside them so a script can always get the exact bytes back.

export interface EncodedBytes {
  readonly value: string;
  readonly encoding: 'utf8' | 'base64';
}

export function encodeBytes(bytes: Buffer): EncodedBytes {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes)
    ? { value: text, encoding: 'utf8' }
    : { value: bytes.toString('base64'), encoding: 'base64' };
}

export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item),
    2,
  );
}
