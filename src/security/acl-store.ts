/**
 * Where the ACLs live, so that they survive restarts and, in a cluster, every broker sees them.
 *
 * Single node (FileAclStore): `<data dir>/runnel-acls.json`, rewritten whole and atomically
 * (temp + fsync + rename through the StorageFs seam) on every change; writes are serialized and
 * memory changes only after the write succeeded (a failed write leaves the old set in force):
 *
 *   { "version": 1, "acls": [ [2, "orders", 3, "User:alice", "*", 3, 3] ] }
 *
 * each binding a tuple [resourceType, resourceName, patternType, principal, host, operation,
 * permissionType] with Kafka's codes (compact: in a cluster the whole set is one etcd value).
 *
 * Cluster (EtcdAclStore): one etcd key, `acls` under the cluster prefix, holding the same JSON;
 * a change is a compare-and-swap on the key's mod revision (retried on a lost race), and every
 * broker watches the key and applies the set it holds (revision order, so a late event never
 * undoes a newer one). One key keeps a change atomic; runnel.authorizer.max.acls bounds its size
 * (about 40 bytes plus the names per binding: 10,000 short bindings fit etcd's default 1.5 MiB
 * request limit; past etcd's limit a change is refused and the ACLs stay as they were).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { type StorageFs, readTextIfExists, writeFileAtomic } from '../../storage/fs.js';
import { join } from 'node:path';
import type { EtcdStore } from '../cluster/etcd.js';
import { sleep, unchanged } from '../cluster/etcd-types.js';
import type { Logger } from '../logger.js';
import type { AclBinding } from './acl-model.js';

export interface AclStore {
  load(): Promise<AclBinding[]>;
  /**
   * Applies `change` to the stored set atomically and returns the set now stored. `change` may run
   * more than once (a lost race in a cluster); null means "nothing to change".
   */
  update(change: (current: readonly AclBinding[]) => AclBinding[] | null): Promise<readonly AclBinding[]>;
  /** Cluster: `fn` gets the whole set whenever another broker changed it. */
  onChange?(fn: (acls: readonly AclBinding[]) => void): void;
  close(): Promise<void>;
}

export const ACL_FILE = 'runnel-acls.json';
export const ACLS_KEY = 'acls';

function encode(acls: readonly AclBinding[]): string {
  return JSON.stringify({ version: 1, acls: acls.map((b) => [b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permissionType]) });
}

/** Parses the stored JSON, checking each field's type: a corrupt file fails loudly rather than authorizing wrongly. */
function decode(text: string, where: string): AclBinding[] {
  const fail = (why: string): never => {
    throw new Error(`${where} is not a valid ACL file (${why}); fix or remove it`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return fail((e as Error).message);
  }
  const doc = parsed as { version?: unknown; acls?: unknown };
  if (doc?.version !== 1 || !Array.isArray(doc.acls)) return fail('expected {"version":1,"acls":[...]}');
  const types = ['number', 'string', 'number', 'string', 'string', 'number', 'number'];
  return doc.acls.map((a: unknown, i: number) => {
    if (!Array.isArray(a) || a.length !== types.length || a.some((v, j) => typeof v !== types[j])) return fail(`acls[${i}] is not [type, name, pattern, principal, host, operation, permission]`);
    const [resourceType, resourceName, patternType, principal, host, operation, permissionType] = a as [number, string, number, string, string, number, number];
    return { resourceType, resourceName, patternType, principal, host, operation, permissionType };
  });
}

export class FileAclStore implements AclStore {
  private current: readonly AclBinding[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly fs: StorageFs,
    private readonly dir: string,
  ) {}

  async load(): Promise<AclBinding[]> {
    const path = join(this.dir, ACL_FILE);
    const text = await readTextIfExists(this.fs, path);
    const acls = text === null ? [] : decode(text, path);
    this.current = acls;
    return acls;
  }

  update(change: (current: readonly AclBinding[]) => AclBinding[] | null): Promise<readonly AclBinding[]> {
    const run = this.queue.then(async () => {
      const next = change(this.current);
      if (next === null) return this.current;
      await writeFileAtomic(this.fs, this.dir, ACL_FILE, encode(next));
      this.current = next;
      return next;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
  }
}

const MAX_ATTEMPTS = 20;

export class EtcdAclStore implements AclStore {
  private revision = 0;
  private listeners: ((acls: readonly AclBinding[]) => void)[] = [];
  private watch: { close(): Promise<void> } | null = null;

  constructor(
    private readonly store: EtcdStore,
    private readonly log: Logger,
  ) {}

  async load(): Promise<AclBinding[]> {
    const { kv, revision } = await this.store.get(ACLS_KEY);
    const acls = kv ? decode(kv.value.toString('utf8'), `etcd key ${this.store.root}${ACLS_KEY}`) : [];
    this.revision = kv?.modRevision ?? 0;
    this.startWatch(revision + 1);
    return acls;
  }

  private startWatch(from: number): void {
    this.watch = this.store.watchPrefix(ACLS_KEY, from, {
      events: (batch) => {
        for (const e of batch.events) {
          if (e.key !== ACLS_KEY) continue;
          this.applyRemote(e.kv.modRevision, e.type === 'delete' ? '{"version":1,"acls":[]}' : e.value.toString('utf8'));
        }
      },
      compacted: () => {
        // Missed revisions: re-read the key, then watch from there.
        void this.store
          .get(ACLS_KEY)
          .then(({ kv, revision }) => {
            if (kv) this.applyRemote(kv.modRevision, kv.value.toString('utf8'));
            this.startWatch(revision + 1);
          })
          .catch((err) => this.log.error({ err: (err as Error).message }, 'could not re-read the ACLs after a compaction; ACL changes of other brokers are not seen until restart'));
      },
    });
  }

  private applyRemote(modRevision: number, text: string): void {
    if (modRevision <= this.revision) return;
    try {
      const acls = decode(text, `etcd key ${ACLS_KEY}`);
      this.revision = modRevision;
      for (const fn of this.listeners) fn(acls);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'ignoring an ACL set that does not parse');
    }
  }

  onChange(fn: (acls: readonly AclBinding[]) => void): void {
    this.listeners.push(fn);
  }

  async update(change: (current: readonly AclBinding[]) => AclBinding[] | null): Promise<readonly AclBinding[]> {
    for (let attempt = 1; ; attempt++) {
      const { kv } = await this.store.get(ACLS_KEY);
      const current = kv ? decode(kv.value.toString('utf8'), `etcd key ${ACLS_KEY}`) : [];
      const next = change(current);
      if (next === null) return current;
      const r = await this.store.txn([unchanged(ACLS_KEY, kv?.modRevision ?? 0)], [{ op: 'put', key: ACLS_KEY, value: Buffer.from(encode(next)) }]);
      if (r.succeeded) {
        // The watch delivers this revision too; applied here first so the caller sees it at once.
        if (r.revision > this.revision) this.revision = r.revision;
        return next;
      }
      if (attempt >= MAX_ATTEMPTS) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `lost ${MAX_ATTEMPTS} races updating the ACLs; retry`);
      await sleep(Math.floor(Math.random() * 10 * attempt));
    }
  }

  async close(): Promise<void> {
    await this.watch?.close();
  }
}
