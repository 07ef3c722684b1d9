import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  DEFAULT_VIRTUAL_NODES,
  DuplicateNodeIdError,
  EmptyNodeIdError,
  EmptyRingError,
  HashRing,
  InvalidReplicaCountError,
  InvalidTokenError,
  InvalidVirtualNodeCountError,
  TOKEN_MAX,
  UnknownNodeError,
  VIRTUAL_NODES_MAX,
  keyToken,
} from '../src';
import { VirtualNodeTable } from '../src/virtual-node-table';
import { RingModel, probeToken, ringMembers } from './ring-model';

describe('HashRing membership validation', () => {
  it('rejects a duplicate node id', () => {
    expect(() => new HashRing([{ nodeId: 'a' }, { nodeId: 'b' }, { nodeId: 'a' }])).toThrow(
      DuplicateNodeIdError,
    );
  });

  it('rejects an empty node id', () => {
    expect(() => new HashRing([{ nodeId: '' }])).toThrow(EmptyNodeIdError);
  });

  it.each([0, -1, VIRTUAL_NODES_MAX + 1, 1.5, Number.NaN])('rejects %p virtual nodes', (count) => {
    expect(() => new HashRing([{ nodeId: 'a', virtualNodes: count }])).toThrow(
      InvalidVirtualNodeCountError,
    );
  });

  it('accepts both ends of the virtual node range', () => {
    const ring = new HashRing([
      { nodeId: 'a', virtualNodes: 1 },
      { nodeId: 'b', virtualNodes: VIRTUAL_NODES_MAX },
    ]);
    expect(ring.virtualNodeCount).toBe(1 + VIRTUAL_NODES_MAX);
  });

  it('gives a node without a vnode count the default of 150', () => {
    expect(new HashRing([{ nodeId: 'a' }]).virtualNodeCount).toBe(DEFAULT_VIRTUAL_NODES);
  });

  it('keeps extra member fields and finds members by id', () => {
    const ring = new HashRing([
      { nodeId: 'b', address: '127.0.0.1:2' },
      { nodeId: 'a', address: '127.0.0.1:1' },
    ]);
    expect(ring.node('b').address).toBe('127.0.0.1:2');
    expect(ring.nodeIds()).toEqual(['a', 'b']);
    expect(ring.has('a')).toBe(true);
    expect(ring.has('c')).toBe(false);
    expect(() => ring.node('c')).toThrow(UnknownNodeError);
  });
});

describe('HashRing argument validation', () => {
  const ring = new HashRing([{ nodeId: 'a' }, { nodeId: 'b' }]);

  it.each([-1, 1.5])('rejects a preference list length of %p', (count) => {
    expect(() => ring.preferenceList(0n, count)).toThrow(InvalidReplicaCountError);
  });

  it('rejects a replication factor of 0 for ranges', () => {
    expect(() => ring.ranges(0)).toThrow(InvalidReplicaCountError);
  });

  it('rejects a token beyond 2^64-1', () => {
    expect(() => ring.primary(TOKEN_MAX + 1n)).toThrow(InvalidTokenError);
    expect(() => ring.preferenceList(-1n, 1)).toThrow(InvalidTokenError);
  });

  it('answers an empty preference list for a count of 0', () => {
    expect(ring.preferenceList(123n, 0)).toEqual([]);
  });
});

describe('HashRing with no nodes', () => {
  const ring = new HashRing([]);

  it('has no primary', () => {
    expect(() => ring.primary(0n)).toThrow(EmptyRingError);
  });

  it('has empty preference lists, ranges and ownership', () => {
    expect(ring.preferenceList(0n, 3)).toEqual([]);
    expect(ring.ranges(3)).toEqual([]);
    expect(ring.ownership().size).toBe(0);
  });
});

describe('HashRing placement', () => {
  // A small ring pinned as a placement fixture: nodes a, b, c with 4 vnodes each.
  const members = ['a', 'b', 'c'].map((nodeId) => ({ nodeId, virtualNodes: 4 }));
  const ring = new HashRing(members);

  // Computed independently with node:crypto: sort the 12 vnode tokens of "<id>#<i>", start at
  // the first token >= sha256("t1:<key>")[0..8], take distinct owners clockwise.
  function independentPreferenceList(tenantKey: string, count: number): string[] {
    const token = (text: string) => createHash('sha256').update(text).digest().readBigUInt64BE();
    const vnodes = members
      .flatMap(({ nodeId }) =>
        [0, 1, 2, 3].map((i) => ({ token: token(`${nodeId}#${i}`), nodeId })),
      )
      .sort((left, right) => (left.token < right.token ? -1 : 1));
    const keyPosition = token(tenantKey);
    const start = Math.max(
      0,
      vnodes.findIndex((vnode) => vnode.token >= keyPosition),
    );
    const ordered = [...vnodes.slice(start), ...vnodes.slice(0, start)].map((v) => v.nodeId);
    return [...new Set(ordered)].slice(0, count);
  }

  // Pinned literals: a changed byte string or tie rule shows up here even if both sides drift.
  it.each([
    ['alpha', ['a', 'c', 'b']],
    ['beta', ['a', 'c', 'b']],
    ['gamma', ['b', 'c', 'a']],
    ['delta', ['b', 'a', 'c']],
    ['epsilon', ['c', 'b', 'a']],
  ])('pinned preference list of t1:%s', (key, expected) => {
    expect(ring.preferenceList(keyToken('t1', key), 3)).toEqual(expected);
    expect(independentPreferenceList(`t1:${key}`, 3)).toEqual(expected);
    expect(ring.primary(keyToken('t1', key))).toBe(expected[0]);
  });

  it('wraps a token above the last vnode to the first vnode', () => {
    // Fixture vnodes, ascending: b 0x0ab1.., a 0x0f90.., c 0x1362.., ..., c 0xe82df9db569b7728.
    expect(ring.preferenceList(TOKEN_MAX, 3)).toEqual(['b', 'a', 'c']);
    expect(ring.preferenceList(0n, 3)).toEqual(['b', 'a', 'c']);
    expect(ring.primary(0xe82df9db569b7729n)).toBe('b');
    expect(ring.primary(0xe82df9db569b7728n)).toBe('c');
  });

  it('returns fewer nodes than asked when the ring has fewer', () => {
    expect(ring.preferenceList(keyToken('t1', 'alpha'), 5)).toEqual(['a', 'c', 'b']);
  });

  it('does not depend on the order members are given in', () => {
    const reversed = new HashRing([...members].reverse());
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: TOKEN_MAX }), (token) => {
        expect(reversed.preferenceList(token, 3)).toEqual(ring.preferenceList(token, 3));
      }),
    );
    expect(reversed.ranges(2)).toEqual(ring.ranges(2));
  });
});

describe('HashRing against a brute-force model', () => {
  it('preference lists hold min(n, size) distinct nodes and match a linear scan', () => {
    fc.assert(
      fc.property(
        ringMembers().chain((nodes) =>
          fc.tuple(fc.constant(nodes), probeToken(nodes), fc.integer({ min: 0, max: 10 })),
        ),
        ([nodes, token, count]) => {
          const ring = new HashRing(nodes);
          const list = ring.preferenceList(token, count);
          expect(new Set(list).size).toBe(list.length);
          expect(list.length).toBe(Math.min(count, nodes.length));
          expect(list).toEqual(new RingModel(nodes).preferenceList(token, count));
          if (count > 0) expect(ring.primary(token)).toBe(list[0]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a full-length preference list orders every node (the hinted-handoff order)', () => {
    fc.assert(
      fc.property(
        ringMembers().chain((nodes) => fc.tuple(fc.constant(nodes), probeToken(nodes))),
        ([nodes, token]) => {
          const ring = new HashRing(nodes);
          const everyNode = ring.preferenceList(token, ring.size);
          expect([...everyNode].sort()).toEqual(ring.nodeIds());
          expect(everyNode.slice(0, 2)).toEqual(ring.preferenceList(token, 2));
        },
      ),
    );
  });
});

describe('HashRing walk stamps', () => {
  it('still picks distinct nodes after the walk generation counter wraps', () => {
    const ring = new HashRing(['a', 'b', 'c'].map((nodeId) => ({ nodeId, virtualNodes: 4 })));
    // From t1:alpha the walk meets three vnodes of a in a row before c and b.
    const token = keyToken('t1', 'alpha');
    (ring as unknown as { walkGeneration: number }).walkGeneration = 0xffff_ffff - 1;
    for (let walk = 0; walk < 4; walk++) {
      expect(ring.preferenceList(token, 3)).toEqual(['a', 'c', 'b']);
    }
  });
});

describe('VirtualNodeTable ties', () => {
  // Real SHA-256 collisions cannot be produced, so ties are tested on the table itself.
  const table = new VirtualNodeTable([
    { token: 50n, nodeIndex: 2, vnodeIndex: 0 },
    { token: 10n, nodeIndex: 1, vnodeIndex: 4 },
    { token: 10n, nodeIndex: 0, vnodeIndex: 9 },
    { token: 10n, nodeIndex: 1, vnodeIndex: 2 },
  ]);

  it('orders equal tokens by node index (node id order), then vnode index', () => {
    expect([...table.tokens]).toEqual([10n, 10n, 10n, 50n]);
    expect([...table.owners]).toEqual([0, 1, 1, 2]);
  });

  it('gives a token equal to a tied vnode token to the smallest node id', () => {
    expect(table.owners[table.positionOf(10n)]).toBe(0);
    expect(table.owners[table.positionOf(5n)]).toBe(0);
  });

  it('wraps past the last token to the first position', () => {
    expect(table.positionOf(51n)).toBe(0);
    expect(table.positionOf(50n)).toBe(3);
  });
});
