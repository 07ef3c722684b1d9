import {
  EMPTY_VERSION_SET,
  type VersionSet,
  VersionArgumentError,
  VersionVector,
  collapseToWinner,
  isDeleted,
  liveValues,
  lwwWinner,
  makeDot,
  makeSibling,
  makeVersionSet,
  readContext,
  sync,
  update,
  type WriteContent,
} from '../src';
import { dotKey, hex } from './arbitraries';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const value = (text: string): WriteContent => ({ value: bytes(text) });
const TOMBSTONE: WriteContent = { tombstone: true };
const vv = (entries: Record<string, bigint>): VersionVector =>
  VersionVector.from(Object.entries(entries));
const dots = (set: VersionSet): string[] => set.siblings.map((sibling) => dotKey(sibling.dot));

describe('update', () => {
  it('a blind write next to an existing value makes two siblings', () => {
    const first = update(EMPTY_VERSION_SET, VersionVector.EMPTY, makeDot('a', 1n), value('x'));
    const second = update(first, VersionVector.EMPTY, makeDot('b', 2n), value('y'));
    expect(dots(second)).toEqual(['a:1', 'b:2']);
    expect(second.context.entries()).toEqual([]);
    expect(readContext(second).entries()).toEqual([
      ['a', 1n],
      ['b', 2n],
    ]);
  });

  it('a write after reading replaces what it read and keeps what it did not', () => {
    const first = update(EMPTY_VERSION_SET, VersionVector.EMPTY, makeDot('a', 1n), value('x'));
    const read = readContext(first);
    const concurrent = update(first, VersionVector.EMPTY, makeDot('b', 2n), value('y'));
    const resolved = update(concurrent, read, makeDot('a', 3n), value('z'));
    expect(dots(resolved)).toEqual(['b:2', 'a:3']);
  });

  it('applying the same update twice is the same as once', () => {
    const once = update(EMPTY_VERSION_SET, vv({ c: 4n }), makeDot('a', 5n), value('x'));
    const twice = update(once, vv({ c: 4n }), makeDot('a', 5n), value('x'));
    expect(hex(twice)).toBe(hex(once));
  });

  it('a delete writes a tombstone sibling that replaces the value it read', () => {
    const written = update(EMPTY_VERSION_SET, VersionVector.EMPTY, makeDot('a', 1n), value('x'));
    const deleted = update(written, readContext(written), makeDot('a', 2n), TOMBSTONE);
    expect(deleted.siblings).toEqual([{ dot: makeDot('a', 2n), tombstone: true }]);
    expect(isDeleted(deleted)).toBe(true);
  });

  it('rejects content that is neither bytes nor a tombstone', () => {
    const bad = { value: 'text' } as unknown as WriteContent;
    expect(() => update(EMPTY_VERSION_SET, VersionVector.EMPTY, makeDot('a', 1n), bad)).toThrow(
      VersionArgumentError,
    );
  });
});

describe('tombstones and live values', () => {
  const mixed = makeVersionSet(vv({ a: 2n, b: 3n }), [
    makeSibling(makeDot('b', 3n), TOMBSTONE),
    makeSibling(makeDot('a', 2n), value('kept')),
  ]);

  it('liveValues skips tombstones', () => {
    expect(liveValues(mixed).map((sibling) => sibling.value)).toEqual([bytes('kept')]);
  });

  it('a set with a value and a tombstone is not deleted', () => {
    expect(isDeleted(mixed)).toBe(false);
  });

  it('an empty set counts as deleted', () => {
    expect(isDeleted(EMPTY_VERSION_SET)).toBe(true);
  });

  it('a tombstone can win LWW', () => {
    expect(lwwWinner(mixed)).toEqual({ dot: makeDot('b', 3n), tombstone: true });
  });
});

describe('lwwWinner and collapseToWinner', () => {
  it('a tie on counter is broken by the greater actor', () => {
    const set = makeVersionSet(VersionVector.EMPTY, [
      makeSibling(makeDot('b', 9n), value('b')),
      makeSibling(makeDot('a', 9n), value('a')),
      makeSibling(makeDot('c', 8n), value('c')),
    ]);
    expect(lwwWinner(set)?.dot).toEqual(makeDot('b', 9n));
  });

  it('the greatest counter wins whatever the actor', () => {
    const set = makeVersionSet(VersionVector.EMPTY, [
      makeSibling(makeDot('z', 1n), value('old')),
      makeSibling(makeDot('a', 2n), value('new')),
    ]);
    expect(lwwWinner(set)?.dot).toEqual(makeDot('a', 2n));
  });

  it('an empty set has no winner', () => {
    expect(lwwWinner(EMPTY_VERSION_SET)).toBeUndefined();
  });

  it('collapse keeps only the winner and leaves the context as it was', () => {
    const context = vv({ a: 4n, b: 6n });
    const set = makeVersionSet(context, [
      makeSibling(makeDot('a', 4n), value('x')),
      makeSibling(makeDot('b', 6n), value('y')),
    ]);
    const collapsed = collapseToWinner(set);
    expect(dots(collapsed)).toEqual(['b:6']);
    expect(collapsed.context).toBe(context);
  });
});

describe('sync', () => {
  it('drops a sibling the other side overwrote and keeps one it never saw', () => {
    const base = update(EMPTY_VERSION_SET, VersionVector.EMPTY, makeDot('a', 1n), value('x'));
    const overwritten = update(base, readContext(base), makeDot('a', 2n), value('y'));
    const unseen = update(base, VersionVector.EMPTY, makeDot('b', 3n), value('z'));
    expect(dots(sync(unseen, overwritten))).toEqual(['a:2', 'b:3']);
  });

  it('a dot both sides hold survives even if each context covers it', () => {
    const set = update(EMPTY_VERSION_SET, VersionVector.EMPTY, makeDot('a', 1n), value('x'));
    expect(dots(sync(set, set))).toEqual(['a:1']);
  });

  it('the same dot with different contents keeps the same winner from either side', () => {
    const a = makeVersionSet(vv({ a: 1n }), [makeSibling(makeDot('a', 1n), value('x'))]);
    const b = makeVersionSet(vv({ a: 1n }), [makeSibling(makeDot('a', 1n), TOMBSTONE)]);
    expect(hex(sync(a, b))).toBe(hex(sync(b, a)));
    expect(sync(a, b).siblings).toEqual([{ dot: makeDot('a', 1n), tombstone: true }]);
  });

  it('a replica that missed an older dot of an actor keeps it when a sync brings it', () => {
    // Coordinator a issued a:10 then a:11; replica 2 got only a:11 (a failed write to it).
    const replica1 = update(
      update(EMPTY_VERSION_SET, VersionVector.EMPTY, makeDot('a', 10n), value('ten')),
      VersionVector.EMPTY,
      makeDot('a', 11n),
      value('eleven'),
    );
    const replica2 = update(
      EMPTY_VERSION_SET,
      VersionVector.EMPTY,
      makeDot('a', 11n),
      value('eleven'),
    );
    expect(dots(replica1)).toEqual(['a:10', 'a:11']);
    expect(dots(sync(replica1, replica2))).toEqual(['a:10', 'a:11']);
    expect(dots(sync(replica2, replica1))).toEqual(['a:10', 'a:11']);
  });

  it('applies the same write twice as once, even after a later write covered it', () => {
    const once = update(EMPTY_VERSION_SET, VersionVector.EMPTY, makeDot('a', 1n), value('x'));
    expect(hex(update(once, VersionVector.EMPTY, makeDot('a', 1n), value('x')))).toBe(hex(once));
    const over = update(once, readContext(once), makeDot('b', 2n), value('y'));
    expect(dots(update(over, VersionVector.EMPTY, makeDot('a', 1n), value('x')))).toEqual(['b:2']);
  });
});

describe('readContext', () => {
  it('covers sibling dots the set context lacks (a pruned context)', () => {
    const set = makeVersionSet(vv({ b: 2n }), [makeSibling(makeDot('a', 7n), value('x'))]);
    expect(readContext(set).entries()).toEqual([
      ['a', 7n],
      ['b', 2n],
    ]);
  });
});

describe('makeVersionSet', () => {
  it('sorts siblings by dot so input order does not change the bytes', () => {
    const x = makeSibling(makeDot('a', 2n), value('x'));
    const y = makeSibling(makeDot('b', 1n), value('y'));
    expect(hex(makeVersionSet(VersionVector.EMPTY, [x, y]))).toBe(
      hex(makeVersionSet(VersionVector.EMPTY, [y, x])),
    );
    expect(dots(makeVersionSet(VersionVector.EMPTY, [x, y]))).toEqual(['b:1', 'a:2']);
  });
});
