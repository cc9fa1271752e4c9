/**
 * Serialises asynchronous operations per key: an operation on a key starts only after every
 * earlier one on that key settled (whether it succeeded or failed). The transaction coordinator
 * runs each transactional id's requests through it, so a state check and the write it leads to
 * are never interleaved with another request of the same id. A key's chain is dropped once idle.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` after every earlier operation on `key` finished. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}
