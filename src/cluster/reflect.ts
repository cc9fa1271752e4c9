/**
 * A consistent view of one etcd prefix (docs/cluster.md: "a get with a revision, then a watch
 * from revision+1"): every key under it read at one revision and handed over as a snapshot, then
 * every change after that revision, a transaction's changes together, none missed or repeated.
 *
 * etcd keeps history only until it is compacted. When the revision the watch needs next is gone,
 * the prefix is read again (a fresh snapshot at a newer revision) and watched from there: the
 * listener replaces its state with the snapshot. An unreachable etcd is retried (backing off to
 * 2 s), so the view catches up when etcd returns.
 */
import type { EtcdStore } from './etcd.js';
import { type ReflectHandle, type ReflectListener, type WatchHandle, isEtcdError, sleep } from './etcd-types.js';

const MAX_BACKOFF_MS = 2000;

export function reflect(store: EtcdStore, prefix: string, listener: ReflectListener): ReflectHandle {
  return new Reflector(store, prefix, listener);
}

class Reflector implements ReflectHandle {
  readonly ready: Promise<void>;
  revision = 0;
  private watch: WatchHandle | null = null;
  private stopped = false;
  private resolveReady!: () => void;
  private relisting: Promise<void> | null = null;

  constructor(
    private readonly store: EtcdStore,
    private readonly prefix: string,
    private readonly listener: ReflectListener,
  ) {
    this.ready = new Promise((r) => (this.resolveReady = r));
    this.relisting = this.relist();
  }

  /** Reads the range (retrying while etcd is unreachable), hands it over, watches from the next revision. */
  private async relist(): Promise<void> {
    for (let backoff = 100; !this.stopped; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
      try {
        const { kvs, revision } = await this.store.range(this.prefix);
        if (this.stopped) return;
        this.revision = revision;
        this.listener.snapshot(kvs, revision);
        this.resolveReady();
        this.watch = this.store.watchPrefix(this.prefix, revision + 1, {
          events: (batch) => {
            this.revision = batch.revision;
            this.listener.events(batch);
          },
          progress: (rev) => {
            this.revision = rev;
            this.listener.progress?.(rev);
          },
          compacted: (compactRevision) => {
            this.store.log.warn({ prefix: this.prefix, needed: this.revision + 1, compactRevision }, 'etcd compacted revisions this watch had not seen: reading the range again');
            this.watch = null;
            this.relisting = this.relist();
          },
        });
        return;
      } catch (err) {
        if (this.stopped || isEtcdError(err, 'Closed')) return;
        this.store.log.warn({ prefix: this.prefix, err: (err as Error).message }, 'etcd range read failed; retrying');
        await sleep(backoff);
      }
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.relisting;
    await this.watch?.close();
  }
}
