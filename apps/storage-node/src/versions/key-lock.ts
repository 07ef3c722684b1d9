// Serializes read-modify-write per engine key: each operation on a key starts after the
// previous one on that key finished. Operations on different keys run concurrently (and the
// engine groups their commit-log appends into one fsync).
export class KeyLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  get size(): number {
    return this.tails.size;
  }

  run<T>(key: Buffer, operation: () => Promise<T>): Promise<T> {
    const id = key.toString('latin1');
    const previous = this.tails.get(id);
    const result = previous ? previous.then(operation, operation) : operation();
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(id, tail);
    void tail.then(() => {
      if (this.tails.get(id) === tail) this.tails.delete(id);
    });
    return result;
  }
}
