// Where `pairdb put` takes its value from: the argument, standard input (`-`) or --file.
// Exactly one source; the bytes are passed on unchanged (no trailing-newline trimming).
import { readFile } from 'node:fs/promises';
import { UsageError } from '../exit-codes';

/** The coordinator's default value limit is 1 MiB; reading far past it only wastes memory. */
export const VALUE_READ_BYTES_MAX = 64 * 1024 * 1024;
export const STDIN_ARGUMENT = '-';

export interface ValueSourceOptions {
  readonly argument: string | undefined;
  readonly file: string | undefined;
  readonly stdin: NodeJS.ReadableStream;
}

export async function readValue(options: ValueSourceOptions): Promise<Buffer> {
  const { argument, file } = options;
  if (argument !== undefined && file !== undefined) {
    throw new UsageError('give the value as an argument, "-" (stdin) or --file, not two of them');
  }
  if (file !== undefined) {
    try {
      return await readFile(file);
    } catch (error) {
      throw new UsageError(`cannot read --file ${file}: ${(error as Error).message}`);
    }
  }
  if (argument === undefined) {
    throw new UsageError('missing value: give it as an argument, "-" for stdin, or --file PATH');
  }
  if (argument === STDIN_ARGUMENT) return readStream(options.stdin);
  return Buffer.from(argument, 'utf8');
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    total += bytes.length;
    if (total > VALUE_READ_BYTES_MAX) {
      throw new UsageError(`stdin holds more than ${VALUE_READ_BYTES_MAX} bytes`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
