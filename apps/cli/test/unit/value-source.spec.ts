// The value of `pairdb put`: one source only, bytes unchanged.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { UsageError } from '../../src/exit-codes';
import { readValue } from '../../src/values/value-source';

const noStdin = Readable.from([]);

describe('readValue', () => {
  it('takes an argument as UTF-8', async () => {
    expect(await readValue({ argument: 'héllo', file: undefined, stdin: noStdin })).toEqual(
      Buffer.from('héllo', 'utf8'),
    );
  });

  it('reads "-" from stdin chunk by chunk, keeping a trailing newline', async () => {
    const stdin = Readable.from([Buffer.from([0, 1]), Buffer.from('two\n')]);
    expect(await readValue({ argument: '-', file: undefined, stdin })).toEqual(
      Buffer.from([0, 1, ...Buffer.from('two\n')]),
    );
  });

  it('reads --file, and names a file it cannot read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pairdb-value-'));
    try {
      writeFileSync(path.join(dir, 'v'), Buffer.from([9, 8, 7]));
      expect(
        await readValue({ argument: undefined, file: path.join(dir, 'v'), stdin: noStdin }),
      ).toEqual(Buffer.from([9, 8, 7]));
      await expect(
        readValue({ argument: undefined, file: path.join(dir, 'missing'), stdin: noStdin }),
      ).rejects.toThrow(/cannot read --file .*missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses no source and two sources', async () => {
    await expect(
      readValue({ argument: undefined, file: undefined, stdin: noStdin }),
    ).rejects.toThrow(UsageError);
    await expect(readValue({ argument: 'v', file: 'f', stdin: noStdin })).rejects.toThrow(
      /not two of them/,
    );
  });
});
