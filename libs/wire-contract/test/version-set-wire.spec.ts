import { storageV1 } from '@pairdb/proto';
import { makeVersionSet, VersionVector } from '@pairdb/vectorclock';
import { InvalidFieldError, versionSetFromWire, versionSetToWire } from '../src';

function invalidField(run: () => unknown): InvalidFieldError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidFieldError) return error;
    throw error;
  }
  throw new Error('expected an InvalidFieldError');
}

describe('version sets on the storage wire', () => {
  it('round-trips values, tombstones and the context through the encoded message', () => {
    const set = makeVersionSet(
      VersionVector.from([
        ['c1', 5n],
        ['c2', 7n],
      ]),
      [
        { dot: { actor: 'c1', counter: 5n }, value: Buffer.from('v1') },
        { dot: { actor: 'c2', counter: 7n }, tombstone: true },
      ],
    );
    const bytes = storageV1.VersionSet.encode(versionSetToWire(set)).finish();
    const back = versionSetFromWire('versions', storageV1.VersionSet.decode(bytes));
    expect(back.context.entries()).toEqual([
      ['c1', 5n],
      ['c2', 7n],
    ]);
    expect(back.siblings).toEqual([
      { dot: { actor: 'c1', counter: 5n }, value: Buffer.from('v1') },
      { dot: { actor: 'c2', counter: 7n }, tombstone: true },
    ]);
  });

  it('rejects a sibling without a dot instead of inventing one', () => {
    const wire: storageV1.VersionSet = {
      context: [{ actor: 'c1', counter: 1n }],
      siblings: [{ dot: undefined, value: Buffer.from('v'), tombstone: false }],
    };
    const error = invalidField(() => versionSetFromWire('versions', wire));
    expect(error.field).toBe('versions.siblings[0].dot');
    expect(error.message).toBe('versions.siblings[0].dot is required (got undefined)');
  });

  it('names the field and value of a dot with an empty actor or a zero counter', () => {
    const emptyActor = invalidField(() =>
      versionSetFromWire('versions', {
        context: [],
        siblings: [{ dot: { actor: '', counter: 3n }, value: Buffer.alloc(0), tombstone: true }],
      }),
    );
    expect(emptyActor.field).toBe('versions.siblings[0].dot');
    expect(emptyActor.message).toContain('(got ":3")');
    const zeroCounter = invalidField(() =>
      versionSetFromWire('versions', {
        context: [{ actor: 'c1', counter: 0n }],
        siblings: [],
      }),
    );
    expect(zeroCounter.field).toBe('versions.context');
    expect(zeroCounter.message).toContain('(got "c1:0")');
  });

  it('rejects a missing version set', () => {
    expect(invalidField(() => versionSetFromWire('versions', undefined)).message).toBe(
      'versions is required (got undefined)',
    );
  });
});
