// Hint delivery against a fake sender over a real hint store: a hint goes to its target while
// the target owns the key, and to the key's current owners once it does not.
import fs from 'node:fs';
import { makeVersionSet, VersionVector, type VersionSet } from '@pairdb/vectorclock';
import { createLogger } from '@pairdb/service-runtime';
import { Engine } from '../../src/engine';
import {
  BACKOFF_MAX_MS,
  HintDelivery,
  type HintOutcome,
  type HintSender,
} from '../../src/hints/hint-delivery';
import { HintStore, type Hint, type HintTarget } from '../../src/hints/hint-store';
import { encodeDataKey } from '../../src/versions/engine-keys';
import { smallTree, temporaryDir } from '../engine/engine-fixture';

const logger = createLogger({ name: 'test', level: 'silent', format: 'json' });
const target = (nodeId: string): HintTarget => ({ nodeId, address: `${nodeId}.test:1` });
const versions: VersionSet = makeVersionSet(VersionVector.from([['c1', 1n]]), [
  { dot: { actor: 'c1', counter: 1n }, value: Buffer.from('v') },
]);

/** Records every send and answers from a script per node (default: delivered). */
class FakeSender implements HintSender {
  readonly sent: Array<{ to: string; keys: string[] }> = [];
  constructor(
    private readonly answer: (to: string, hint: Hint) => HintOutcome = () => 'delivered',
  ) {}

  async send(to: HintTarget, hints: readonly Hint[]): Promise<HintOutcome[]> {
    this.sent.push({ to: to.nodeId, keys: hints.map((hint) => hint.key) });
    return hints.map((hint) => this.answer(to.nodeId, hint));
  }
}

describe('HintDelivery', () => {
  let dir: string;
  let engine: Engine;
  let store: HintStore;
  /** The delivery clock: moved past a backoff instead of waiting it out. */
  let nowMs = 0;
  const now = () => nowMs;
  beforeEach(async () => {
    dir = temporaryDir('hint-delivery');
    engine = await Engine.open(smallTree(dir));
    store = HintStore.open(engine);
  });
  afterEach(async () => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const park = (nodeId: string, key: string) =>
    store.add(target(nodeId), encodeDataKey('t', key), 'siblings', versions);

  function delivery(sender: HintSender, owners?: Record<string, string[]>): HintDelivery {
    return new HintDelivery({
      store,
      sender,
      logger,
      now,
      ...(owners && {
        ownersOf: (_tenantId: string, key: string) => owners[key]?.map(target),
      }),
    });
  }

  it('sends to the target while the layout still lists it, and deletes on its ack', async () => {
    await park('n1', 'k');
    const sender = new FakeSender();
    await delivery(sender, { k: ['n1', 'n2'] }).deliverOnce();
    expect(sender.sent).toEqual([{ to: 'n1', keys: ['k'] }]);
    expect(store.pending).toBe(0);
  });

  it('sends a hint whose target lost the key to every current owner instead', async () => {
    await park('gone', 'k');
    const sender = new FakeSender();
    await delivery(sender, { k: ['n2', 'n3'] }).deliverOnce();
    expect(sender.sent).toEqual([
      { to: 'n2', keys: ['k'] },
      { to: 'n3', keys: ['k'] },
    ]);
    expect(store.pending).toBe(0);
  });

  it('keeps a re-routed hint until every owner acknowledged it', async () => {
    await park('gone', 'k');
    let n3Down = true;
    const sender = new FakeSender((to) =>
      to === 'n3' && n3Down ? new Error('connection refused') : 'delivered',
    );
    const hints = delivery(sender, { k: ['n2', 'n3'] });
    await hints.deliverOnce();
    expect(store.pending).toBe(1);
    n3Down = false;
    nowMs += BACKOFF_MAX_MS;
    await hints.deliverOnce();
    expect(store.pending).toBe(0);
  });

  it("re-routes on the target's not-an-owner refusal, using the node's layout", async () => {
    await park('n1', 'k');
    const sender = new FakeSender((to) => (to === 'n1' ? 'not-an-owner' : 'delivered'));
    // This node's layout is older than n1's: it still lists n1, and n4 as the other owner.
    await delivery(sender, { k: ['n1', 'n4'] }).deliverOnce();
    expect(sender.sent.map((send) => send.to)).toEqual(['n1', 'n1', 'n4']);
    expect(store.pending).toBe(1);
  });

  it('without a layout naming the owners, a refused hint stays parked', async () => {
    await park('n1', 'k');
    const sender = new FakeSender(() => 'not-an-owner');
    await delivery(sender).deliverOnce();
    expect(sender.sent).toEqual([{ to: 'n1', keys: ['k'] }]);
    expect(store.pending).toBe(1);
  });

  it('re-routes a refused hint to the owners the layout names', async () => {
    await park('n1', 'k');
    const sender = new FakeSender((to) => (to === 'n1' ? 'not-an-owner' : 'delivered'));
    let layoutKnown = false;
    const hints = new HintDelivery({
      store,
      sender,
      logger,
      now,
      ownersOf: () => (layoutKnown ? [target('n5')] : undefined),
    });
    await hints.deliverOnce();
    expect(store.pending).toBe(1);
    layoutKnown = true;
    nowMs += BACKOFF_MAX_MS;
    await hints.deliverOnce();
    expect(sender.sent.at(-1)).toEqual({ to: 'n5', keys: ['k'] });
    expect(store.pending).toBe(0);
  });
});
