import { WriteQueueFullError } from '../../src/engine/errors';
import { WriteQueue } from '../../src/engine/write-queue';

interface Item {
  readonly id: number;
  readonly bytes: number;
}

function item(id: number, bytes = 10): Item {
  return { id, bytes };
}

describe('WriteQueue', () => {
  it('hands items back oldest first, across many pushes and shifts', () => {
    const queue = new WriteQueue<Item>(100_000, Number.MAX_SAFE_INTEGER);
    const out: number[] = [];
    let next = 0;
    // Uneven rounds, so the head moves well past the point where the queue compacts itself.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) queue.push(item(next++));
      for (let i = 0; i < 200; i++) out.push(queue.shift()!.id);
    }
    while (queue.length > 0) out.push(queue.shift()!.id);
    expect(out).toEqual(Array.from({ length: 15_000 }, (_, i) => i));
    expect(queue.shift()).toBeUndefined();
    expect(queue.bytes).toBe(0);
  });

  it('refuses the write past the length limit and keeps the ones before it', () => {
    const queue = new WriteQueue<Item>(3, 1_000_000);
    queue.push(item(1));
    queue.push(item(2));
    queue.push(item(3));
    expect(() => queue.push(item(4))).toThrow(WriteQueueFullError);
    expect(() => queue.push(item(4))).toThrow(/3 writes already wait \(limit 3\)/);
    expect(queue.length).toBe(3);
    expect(queue.bytes).toBe(30);
    expect(queue.shift()!.id).toBe(1);
    queue.push(item(5));
    expect(queue.takeAll().map((queued) => queued.id)).toEqual([2, 3, 5]);
  });

  it('refuses a write whose bytes would pass the byte limit', () => {
    const queue = new WriteQueue<Item>(100, 100);
    queue.push(item(1, 60));
    expect(() => queue.push(item(2, 41))).toThrow(/60 bytes already wait, 41 more/);
    queue.push(item(3, 40));
    expect(queue.bytes).toBe(100);
    expect(queue.takeAll().map((queued) => queued.id)).toEqual([1, 3]);
    expect(queue.bytes).toBe(0);
  });

  it('admits one write larger than the byte limit into an empty queue', () => {
    const queue = new WriteQueue<Item>(100, 100);
    queue.push(item(1, 500));
    expect(() => queue.push(item(2, 1))).toThrow(WriteQueueFullError);
    expect(queue.shift()!.id).toBe(1);
    queue.push(item(3, 1));
    expect(queue.length).toBe(1);
  });
});
