// The shell's history file: newest first for readline, bounded, never fatal.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HISTORY_LINES_MAX, HistoryFile } from '../../src/shell/history-file';

describe('HistoryFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'pairdb-history-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads what was appended, newest first, skipping blank lines', () => {
    const history = new HistoryFile(path.join(dir, 'h'));
    history.append('put t k v');
    history.append('   ');
    history.append('get t k');
    expect(new HistoryFile(path.join(dir, 'h')).load()).toEqual(['get t k', 'put t k v']);
  });

  it(`keeps the newest ${HISTORY_LINES_MAX} lines of a longer file, and rewrites it to them`, () => {
    const file = path.join(dir, 'h');
    const lines = Array.from({ length: HISTORY_LINES_MAX + 5 }, (_, i) => `get t k${i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const loaded = new HistoryFile(file).load();
    expect(loaded).toHaveLength(HISTORY_LINES_MAX);
    expect(loaded[0]).toBe(`get t k${HISTORY_LINES_MAX + 4}`);
    expect(loaded[HISTORY_LINES_MAX - 1]).toBe('get t k5');
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(HISTORY_LINES_MAX + 1);
  });

  it('starts empty when the file is missing or unwritable, and keeps nothing without a file', () => {
    expect(new HistoryFile(path.join(dir, 'absent')).load()).toEqual([]);
    const unwritable = new HistoryFile(path.join(dir, 'no-such-dir', 'h'));
    expect(() => unwritable.append('get t k')).not.toThrow();
    const none = new HistoryFile(undefined);
    none.append('get t k');
    expect(none.load()).toEqual([]);
  });
});
