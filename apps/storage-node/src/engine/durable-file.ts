// Replacing a small file so that a crash leaves either the old bytes or the new ones, never a
// mix, and the new ones survive once the promise resolves: write a temporary file, fsync it,
// rename it over the target, fsync the directory (so the rename itself is durable). The
// manifest and the storage node's fence and layout files are written this way
// (docs/architecture.md#invariants, 13 and 21), and read back with readFileIfPresent.
import fs from 'node:fs';
import path from 'node:path';

export async function replaceFileDurably(
  dir: string,
  fileName: string,
  tempFileName: string,
  bytes: Uint8Array,
): Promise<void> {
  const temp = path.join(dir, tempFileName);
  const handle = await fs.promises.open(temp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temp, path.join(dir, fileName));
  const directory = await fs.promises.open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** The bytes of `file`, or undefined when it does not exist (a data directory never given one). */
export function readFileIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
