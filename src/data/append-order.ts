/**
 * Keeps appends to one partition in arrival order when some of them must first wait for
 * something asynchronous (loading producer state, recompressing for the topic's
 * compression.type, schema validation).
 *
 * The fast path — nothing to wait for and nothing already waiting on the partition — appends
 * synchronously. Otherwise the work joins the partition's chain, behind every earlier append that
 * also had to wait, so offsets are still assigned in the order requests arrived.
 */
export class AppendOrder<K extends object> {
  private readonly chains = new WeakMap<K, { tail: Promise<unknown>; depth: number }>();

  /**
   * Runs `append` after `prepare` (if any) and after all earlier chained work on `key`.
   * Returns the result directly when it could run synchronously.
   */
  run<T>(key: K, prepare: (() => Promise<void>) | null, append: () => T): T | Promise<T> {
    const chain = this.chains.get(key);
    if (!chain && prepare === null) return append();
    const entry = chain ?? { tail: Promise.resolve(), depth: 0 };
    if (!chain) this.chains.set(key, entry);
    entry.depth++;
    const result = entry.tail.then(async () => {
      if (prepare) await prepare();
      return append();
    });
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    entry.tail = settled;
    void settled.then(() => {
      if (--entry.depth === 0 && this.chains.get(key) === entry) this.chains.delete(key);
    });
    return result;
  }
}
