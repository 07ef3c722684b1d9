// The roster of a local cluster's storage nodes: what is written is read back, a missing file
// means a first start, and a damaged one stops the start with the file and the problem named.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  readRoster,
  RosterFileError,
  rosterFilePath,
  writeRoster,
} from '../../src/cluster/node-roster';

describe('node roster', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pairdb-roster-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is absent before the first start', () => {
    expect(readRoster(dir)).toBeUndefined();
  });

  it('reads back what was written, sorted', () => {
    writeRoster(dir, [3, 1, 2]);
    expect(readRoster(dir)).toEqual([1, 2, 3]);
  });

  it.each([
    ['not JSON', '{"format": 1, "nodeIndices": [0,', /not JSON/],
    ['a newer format', '{"format": 2, "nodeIndices": [0]}', /format 2 is not 1/],
    ['a negative index', '{"format": 1, "nodeIndices": [0, -1]}', /not a list of distinct/],
    ['a repeated index', '{"format": 1, "nodeIndices": [1, 1]}', /not a list of distinct/],
    ['no list', '{"format": 1}', /nodeIndices undefined/],
  ])('refuses %s, naming the file', (_case, text, problem) => {
    writeFileSync(rosterFilePath(dir), text);
    expect(() => readRoster(dir)).toThrow(RosterFileError);
    expect(() => readRoster(dir)).toThrow(problem);
    expect(() => readRoster(dir)).toThrow(rosterFilePath(dir));
  });
});
