/**
 * The controller election (docs/cluster.md, `P/controller/<lease>`): etcd's election recipe,
 * written on Runnel's own etcd primitives rather than etcd3's Election, so that a candidacy lives
 * under the broker's own registration lease. A broker whose lease expires (it died, or it lost
 * etcd) thereby stops being a candidate at the moment it stops being a broker.
 *
 * The recipe:
 * - Each candidate writes `controller/<its lease id>` (create-if-absent) under that lease.
 * - The candidate whose key has the lowest create revision leads; the others watch the prefix and
 *   take over when the keys before theirs are gone (lease expired, revoked, resigned).
 * - Leadership is fenced: `Leadership.fence` is a compare that holds only while the leader's key
 *   exists with its create revision. Every controller write carries it, so a controller whose
 *   lease etcd expired cannot write even before it learns that it lost.
 *
 * Events: 'elected' (Leadership) once it leads; 'lost' (reason) when its key is gone, leading or
 * not. A candidacy is over after 'lost': campaign again with a new lease.
 */
import { EventEmitter } from 'node:events';
import type { EtcdStore } from './etcd.js';
import { type Compare, type KeyValue, type ReflectHandle, type WatchBatch, absent } from './etcd-types.js';
import { reflect } from './reflect.js';
import { CONTROLLER_PREFIX, controllerKey, encodeControllerCandidate } from './records.js';

export interface Leadership {
  /** The leader's key, relative to the cluster prefix. */
  key: string;
  createRevision: number;
  /** Holds only while this leadership exists: add it to every write made as the leader. */
  fence: Compare;
}

/** The candidate that leads among `candidates` (key → create revision): the lowest create revision. */
export function leadingCandidate(candidates: ReadonlyMap<string, number>): string | null {
  let best: string | null = null;
  let bestRevision = Infinity;
  for (const [key, rev] of candidates) {
    if (rev < bestRevision) {
      best = key;
      bestRevision = rev;
    }
  }
  return best;
}

export class ElectionCandidate extends EventEmitter {
  readonly key: string;
  private createRevision = 0;
  private readonly candidates = new Map<string, number>();
  private view: ReflectHandle | null = null;
  private elected = false;
  private over = false;

  constructor(
    private readonly store: EtcdStore,
    private readonly leaseId: string,
    private readonly brokerId: number,
  ) {
    super();
    this.key = controllerKey(leaseId);
  }

  /**
   * Enters the election: writes this candidate's key (or finds it there from an earlier
   * campaign under the same lease) and starts watching the candidates. Throws LeaseNotFound when
   * the lease is gone, Unavailable when etcd is.
   */
  async campaign(): Promise<void> {
    const r = await this.store.txn(
      [absent(this.key)],
      [{ op: 'put', key: this.key, value: encodeControllerCandidate(this.brokerId), lease: this.leaseId }],
      [{ op: 'get', key: this.key }],
    );
    this.createRevision = r.succeeded ? r.revision : (r.gets[0]?.[0]?.createRevision ?? 0);
    if (this.over) return;
    this.view = reflect(this.store, CONTROLLER_PREFIX, {
      snapshot: (kvs: KeyValue[]) => {
        this.candidates.clear();
        for (const kv of kvs) this.candidates.set(kv.key, kv.createRevision);
        this.evaluate();
      },
      events: (batch: WatchBatch) => {
        for (const ev of batch.events) {
          if (ev.type === 'delete') this.candidates.delete(ev.key);
          else this.candidates.set(ev.key, ev.kv.createRevision);
        }
        this.evaluate();
      },
    });
    await this.view.ready;
  }

  /** The leadership while this candidate leads, else null. */
  get leadership(): Leadership | null {
    if (!this.elected || this.over) return null;
    return { key: this.key, createRevision: this.createRevision, fence: { key: this.key, target: 'create', result: '=', value: this.createRevision } };
  }

  private evaluate(): void {
    if (this.over) return;
    const mine = this.candidates.get(this.key);
    if (mine === undefined || mine !== this.createRevision) {
      this.end(this.elected ? 'the leader key is gone (lease expired or revoked)' : 'the candidate key is gone (lease expired or revoked)');
      return;
    }
    if (!this.elected && leadingCandidate(this.candidates) === this.key) {
      this.elected = true;
      this.emit('elected', this.leadership);
    }
  }

  private end(reason: string): void {
    if (this.over) return;
    this.over = true;
    this.elected = false;
    const view = this.view;
    this.view = null;
    void view?.close();
    this.emit('lost', reason);
  }

  /**
   * Leaves the election: stops watching and deletes the key (only this candidacy's, by its create
   * revision), so that the next candidate leads at once. Best effort when etcd is unreachable:
   * the lease then takes the key with it.
   */
  async resign(): Promise<void> {
    const wasOver = this.over;
    this.over = true;
    this.elected = false;
    const view = this.view;
    this.view = null;
    await view?.close();
    if (!wasOver && this.createRevision > 0) {
      await this.store
        .txn([{ key: this.key, target: 'create', result: '=', value: this.createRevision }], [{ op: 'delete', key: this.key }])
        .catch(() => undefined);
    }
  }
}
