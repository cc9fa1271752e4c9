/**
 * Cluster storage of client quotas: one etcd key per entity, `client-quotas/<entity key>`, its
 * value the record as JSON. A change is one transaction (all entities of an AlterClientQuotas
 * together); every broker follows the prefix (reflect.ts: snapshot, then watch), so a quota set
 * through any broker is enforced by all of them within the watch latency. The broker that wrote
 * answers once its own watch has delivered the write's revision, so it never applies its change
 * over a newer one from another broker (and a Describe right after sees it).
 */
import type { EtcdStore } from '../cluster/etcd.js';
import { reflect } from '../cluster/reflect.js';
import type { KeyValue, ReflectHandle, TxnOp } from '../cluster/etcd-types.js';
import { entityKey } from './entity.js';
import { parseRecords, type QuotaBackend, type QuotaRecord } from './quota-store.js';

const PREFIX = 'client-quotas/';
/** How long a write waits for the watch to deliver it before the store applies it itself. */
const WATCH_CATCH_UP_MS = 5000;

function recordsOf(kvs: readonly { value: Buffer }[]): QuotaRecord[] {
  const raw: unknown[] = [];
  for (const kv of kvs) {
    try {
      raw.push(JSON.parse(kv.value.toString('utf8')));
    } catch {
      // A value that does not parse is skipped, as parseRecords skips malformed records.
    }
  }
  return parseRecords(raw);
}

export class QuotaEtcd implements QuotaBackend {
  private handle: ReflectHandle | null = null;
  private delivered = 0;
  private readonly waiters = new Set<{ revision: number; done: (delivered: boolean) => void }>();

  constructor(private readonly store: EtcdStore) {}

  async load(): Promise<QuotaRecord[]> {
    return []; // follow() delivers the snapshot
  }

  async write(changed: readonly QuotaRecord[]): Promise<boolean> {
    const ops: TxnOp[] = changed.map((r) => {
      const key = PREFIX + entityKey(r.entity);
      return Object.keys(r.values).length === 0 ? { op: 'delete', key } : { op: 'put', key, value: JSON.stringify(r) };
    });
    const { revision } = await this.store.txn([], ops);
    if (this.delivered >= revision) return true;
    return new Promise<boolean>((resolve) => {
      const w = {
        revision,
        done: (ok: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => w.done(false), WATCH_CATCH_UP_MS);
      this.waiters.add(w);
    });
  }

  private caughtUp(revision: number): void {
    this.delivered = Math.max(this.delivered, revision);
    for (const w of [...this.waiters]) if (w.revision <= this.delivered) w.done(true);
  }

  async follow(apply: (records: readonly QuotaRecord[], reset: boolean, removed?: readonly string[]) => void): Promise<void> {
    this.handle = reflect(this.store, PREFIX, {
      snapshot: (kvs: KeyValue[], revision: number) => {
        apply(recordsOf(kvs), true);
        this.caughtUp(revision);
      },
      events: (batch) => {
        const records: QuotaRecord[] = [];
        const removed: string[] = [];
        for (const e of batch.events) {
          if (e.type === 'put') records.push(...recordsOf([e]));
          else if (e.key.startsWith(PREFIX)) removed.push(e.key.slice(PREFIX.length));
        }
        if (records.length > 0 || removed.length > 0) apply(records, false, removed);
        this.caughtUp(batch.revision);
      },
      progress: (revision) => this.caughtUp(revision),
    });
    await this.handle.ready;
  }

  async close(): Promise<void> {
    for (const w of [...this.waiters]) w.done(false);
    await this.handle?.close();
  }
}
