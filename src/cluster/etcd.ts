/**
 * The etcd client of cluster mode (docs/cluster.md), and the only module that imports etcd3.
 *
 * Keys are relative to the cluster's prefix: `brokers/1` is `<runnel.etcd.prefix>/brokers/1` in
 * etcd. What this module adds to etcd3:
 * - A deadline on every call (runnel.etcd.request.timeout.ms); reads are retried within it, writes
 *   never (a write whose answer was lost may have happened: the caller re-reads and decides).
 * - Errors mapped to a few kinds (EtcdStoreError.kind, etcd-types.ts): Unavailable (retriable),
 *   CasFailed, LeaseNotFound, Compacted, Rejected, Closed.
 * - Typed key-values (revisions as numbers; lease ids stay decimal strings: they use all 63 bits).
 * - Transactions as plain data: compares (on mod_revision, create_revision, whole prefixes), then
 *   the ops of the branch taken.
 * - Watches that resume at the next revision after a dropped stream (etcd restarts, failover),
 *   counting revisions from the events themselves. reflect.ts builds the consistent
 *   get-at-a-revision + watch-from-revision+1 on top; election.ts the controller election.
 * - Leases, with a single keep-alive call so the caller knows when each renewal was sent.
 * - Endpoint failover: with several endpoints, one that keeps failing is skipped for a second
 *   (host-breakers.ts), but never all of them at once; with one endpoint there is no breaker.
 *
 * etcd3 (and gRPC under it) is imported on first connect, so a single broker never loads it:
 * every other import of etcd3 in this file is `import type`, erased at compile time.
 */
import type { Logger } from '../logger.js';
import type * as Etcd3Module from 'etcd3';
import { HostBreakers } from './host-breakers.js';
import {
  type Compare,
  type EtcdOptions,
  EtcdStoreError,
  type KeyValue,
  type TxnOp,
  type TxnResult,
  type WatchBatch,
  type WatchHandle,
  type WatchListener,
  isEtcdError,
  mapError,
  prefixEnd,
  revisionOf,
  sleep,
} from './etcd-types.js';

export * from './etcd-types.js';

// ---- helpers ------------------------------------------------------------------------------------
const COMPARE_RESULT = { '=': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' } as const;
const COMPARE_TARGET = { mod: 'Mod', create: 'Create', version: 'Version', value: 'Value', lease: 'Lease' } as const;

/** Rows per page of a range read: each page is one gRPC message, far below its 4 MiB default. */
const RANGE_PAGE = 1000;
/** Watch streams reconnect after 100 ms, doubling to at most this. */
const MAX_BACKOFF_MS = 2000;


/**
 * A cockatiel-shaped policy that just runs the call: etcd3 must not retry writes on its own, and
 * a single endpoint gets no circuit breaker (there is no other host to go to: an open breaker
 * would only refuse every call, keep-alives included, for its whole open time).
 */
const RUN_ONCE = { execute: <T>(fn: (ctx: { signal: AbortSignal }) => T | Promise<T>) => Promise.resolve().then(() => fn({ signal: new AbortController().signal })) };

/** Several endpoints: one failing this many times in a row is skipped for ENDPOINT_SKIP_MS. */
const ENDPOINT_FAILURES = 3;
const ENDPOINT_SKIP_MS = 1000;

let etcd3Loaded: Promise<typeof Etcd3Module> | null = null;

/** Connects (lazily: gRPC channels open on first use) and checks etcd answers within the deadline. */
export async function connectEtcd(options: EtcdOptions): Promise<EtcdStore> {
  etcd3Loaded ??= import('etcd3');
  const etcd3 = await etcd3Loaded;
  const hosts = options.endpoints.map((e) => e.replace(/^http:\/\//i, ''));
  // Several endpoints: a host failing 3 times in a row is skipped for 1 s while another is usable
  // (host-breakers.ts). One: no breaker. The whole call is never retried by etcd3 (RUN_ONCE).
  const breakers = hosts.length > 1 ? new HostBreakers({ failures: ENDPOINT_FAILURES, openMs: ENDPOINT_SKIP_MS, isFailure: (e) => e instanceof Error && etcd3.isRecoverableError(e) }) : null;
  const client = new etcd3.Etcd3({
    hosts,
    dialTimeout: options.requestTimeoutMs,
    faultHandling: {
      host: (host: string) => (breakers ? breakers.policyFor(host) : RUN_ONCE) as never,
      global: RUN_ONCE as never,
    },
    // etcd3's own unary calls (an election's lease grant and reads) get the deadline too.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + options.requestTimeoutMs }),
    grpcOptions: {
      // A watch on a silent (frozen, partitioned) member would otherwise wait forever.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      // One transaction's watch events (a topic with all its partitions) in one message.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    },
  });
  const store = new EtcdStore(client, options);
  try {
    await store.currentRevision();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

// ---- the store ----------------------------------------------------------------------------------

export class EtcdStore {
  /** `<prefix>/`: every key of the cluster starts with it. */
  readonly root: string;
  readonly requestTimeoutMs: number;
  readonly log: Logger;
  private readonly watches = new Set<Watch>();
  private closed = false;

  constructor(
    private readonly client: Etcd3Module.Etcd3,
    options: EtcdOptions,
  ) {
    this.root = `${options.prefix}/`;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.log = options.log;
  }

  private full(key: string): Buffer {
    return Buffer.from(this.root + key);
  }

  private toKeyValue(kv: Etcd3Module.IKeyValue): KeyValue {
    const key = kv.key.toString();
    return {
      key: key.startsWith(this.root) ? key.slice(this.root.length) : key,
      value: kv.value,
      createRevision: revisionOf(kv.create_revision),
      modRevision: revisionOf(kv.mod_revision),
      version: revisionOf(kv.version),
      lease: String(kv.lease ?? '0'),
    };
  }

  private callOptions(timeoutMs = this.requestTimeoutMs) {
    return { deadline: Date.now() + timeoutMs };
  }

  /**
   * Runs one etcd call under a deadline. gRPC enforces it; the timer is a backstop for time spent
   * before the call reaches gRPC (connecting, an open circuit).
   */
  private async call<T>(what: string, fn: (timeoutMs: number) => Promise<T>, timeoutMs = this.requestTimeoutMs): Promise<T> {
    if (this.closed) throw new EtcdStoreError('Closed', `${what}: the etcd client is closed`);
    return withDeadline(what, fn(timeoutMs), timeoutMs + 250);
  }

  /** A read: retried while etcd is unavailable, until the deadline. */
  private async read<T>(what: string, fn: (timeoutMs: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.requestTimeoutMs;
    for (let backoff = 50; ; backoff = Math.min(backoff * 2, 500)) {
      const left = deadline - Date.now();
      try {
        return await this.call(what, fn, Math.max(left, 1));
      } catch (err) {
        const e = mapError(err, what);
        if (e.kind !== 'Unavailable' || Date.now() + backoff >= deadline) throw e;
        await sleep(backoff);
      }
    }
  }

  /** The store's current revision (a cheap read of one key). */
  async currentRevision(): Promise<number> {
    const res = await this.read('read revision', (t) => this.client.kv.range({ key: this.full('cluster'), count_only: true }, this.callOptions(t)));
    return revisionOf(res.header.revision);
  }

  /** One key, and the revision it was read at. */
  async get(key: string): Promise<{ kv: KeyValue | null; revision: number }> {
    const res = await this.read(`get ${key}`, (t) => this.client.kv.range({ key: this.full(key) }, this.callOptions(t)));
    return { kv: res.kvs[0] ? this.toKeyValue(res.kvs[0]) : null, revision: revisionOf(res.header.revision) };
  }

  /**
   * Every key under `prefix` at one revision (the current one unless given), read in pages at
   * that revision so the result is one consistent snapshot however large.
   */
  async range(prefix: string, options: { revision?: number } = {}): Promise<{ kvs: KeyValue[]; revision: number }> {
    const start = this.full(prefix);
    const end = prefixEnd(start);
    const kvs: KeyValue[] = [];
    let revision = options.revision ?? 0;
    let from = start;
    for (;;) {
      const res = await this.read(`range ${prefix}`, (t) =>
        this.client.kv.range({ key: from, range_end: end, limit: RANGE_PAGE, revision, sort_target: 'Key', sort_order: 'Ascend' }, this.callOptions(t)),
      );
      if (revision === 0) revision = revisionOf(res.header.revision);
      for (const kv of res.kvs) kvs.push(this.toKeyValue(kv));
      if (!res.more || res.kvs.length === 0) return { kvs, revision };
      from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
    }
  }

  /**
   * One transaction: if every compare holds, the `success` ops, else the `failure` ops. Never
   * retried: when it fails as Unavailable it may still have been applied.
   */
  async txn(compares: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[] = []): Promise<TxnResult> {
    const request: Etcd3Module.ITxnRequest = {
      compare: compares.map((c) => this.compare(c)),
      success: success.map((op) => this.requestOp(op)),
      failure: failure.map((op) => this.requestOp(op)),
    };
    const res = await this.call('transaction', (t) => this.client.kv.txn(request, this.callOptions(t)));
    const ops = res.succeeded ? success : failure;
    const gets: KeyValue[][] = [];
    res.responses.forEach((r, i) => {
      if (ops[i]?.op === 'get') gets.push((r.response_range?.kvs ?? []).map((kv) => this.toKeyValue(kv)));
    });
    return { succeeded: res.succeeded, revision: revisionOf(res.header.revision), gets };
  }

  /** A transaction that must succeed: CasFailed when a compare did not hold. Returns its revision. */
  async cas(compares: readonly Compare[], ops: readonly TxnOp[]): Promise<number> {
    const r = await this.txn(compares, ops);
    if (!r.succeeded) throw new EtcdStoreError('CasFailed', `the compared keys changed (${compares.map((c) => c.key).join(', ')})`);
    return r.revision;
  }

  private compare(c: Compare): Etcd3Module.ICompare {
    const key = this.full(c.key);
    const out: Etcd3Module.ICompare = { key, target: COMPARE_TARGET[c.target], result: COMPARE_RESULT[c.result] };
    if ('prefix' in c && c.prefix) out.range_end = prefixEnd(key);
    switch (c.target) {
      case 'mod':
        out.mod_revision = c.value;
        break;
      case 'create':
        out.create_revision = c.value;
        break;
      case 'version':
        out.version = c.value;
        break;
      case 'value':
        out.value = Buffer.from(c.value);
        break;
      case 'lease':
        out.lease = c.value;
        break;
    }
    return out;
  }

  private requestOp(op: TxnOp): Etcd3Module.IRequestOp {
    const key = this.full(op.key);
    switch (op.op) {
      case 'put':
        return { request_put: { key, value: Buffer.from(op.value), lease: op.lease ?? '0' } };
      case 'delete':
        return { request_delete_range: op.prefix ? { key, range_end: prefixEnd(key) } : { key } };
      case 'get':
        return { request_range: op.prefix ? { key, range_end: prefixEnd(key) } : { key } };
    }
  }

  // ---- leases ---------------------------------------------------------------------------------

  /** A new lease of `ttlSeconds`; returns its id. */
  async grantLease(ttlSeconds: number): Promise<{ id: string; ttlSeconds: number }> {
    const res = await this.call('lease grant', (t) => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 }, this.callOptions(t)));
    if (res.error) throw new EtcdStoreError('Rejected', `lease grant: ${res.error}`);
    return { id: String(res.ID), ttlSeconds: Number(res.TTL) };
  }

  /**
   * Renews a lease once and returns the TTL etcd gave it; LeaseNotFound when it is gone. The
   * caller notes the time before calling: etcd counts the TTL from when the renewal arrived.
   */
  async keepAliveOnce(leaseId: string, timeoutMs = this.requestTimeoutMs): Promise<number> {
    return this.call(
      'lease keep-alive',
      async (t) => {
        const stream = await this.client.leaseClient.leaseKeepAlive(this.callOptions(t));
        try {
          const res = await new Promise<Etcd3Module.ILeaseKeepAliveResponse>((resolve, reject) => {
            stream.on('data', resolve);
            stream.on('error', reject);
            stream.on('end', () => reject(new EtcdStoreError('Unavailable', 'lease keep-alive: stream ended')));
            stream.write({ ID: leaseId });
          });
          const ttl = Number(res.TTL);
          if (ttl <= 0) throw new EtcdStoreError('LeaseNotFound', `lease keep-alive: lease ${leaseId} has expired`);
          return ttl;
        } finally {
          endStream(stream);
        }
      },
      timeoutMs,
    );
  }

  /** Revokes a lease (deleting its keys); a lease already gone is fine. */
  async revokeLease(leaseId: string): Promise<void> {
    try {
      await this.call('lease revoke', (t) => this.client.leaseClient.leaseRevoke({ ID: leaseId }, this.callOptions(t)));
    } catch (err) {
      if (!isEtcdError(err, 'LeaseNotFound')) throw err;
    }
  }

  /** Seconds the lease has left, or -1 when it is gone. */
  async leaseTimeToLive(leaseId: string): Promise<number> {
    const res = await this.read('lease time-to-live', (t) => this.client.leaseClient.leaseTimeToLive({ ID: leaseId, keys: false }, this.callOptions(t)));
    return Number(res.TTL);
  }

  // ---- watches --------------------------------------------------------------------------------

  /**
   * Watches every key under `prefix` from `fromRevision` on. A dropped stream reconnects (backing
   * off to 2 s) and resumes at the first revision not yet delivered; when etcd has compacted that
   * revision the watch calls `compacted` and stops.
   */
  watchPrefix(prefix: string, fromRevision: number, listener: WatchListener): WatchHandle {
    if (this.closed) throw new EtcdStoreError('Closed', 'watch: the etcd client is closed');
    const w = new Watch(this.client, this.full(prefix), fromRevision, listener, this.log, (kv) => this.toKeyValue(kv));
    this.watches.add(w);
    w.done.finally(() => this.watches.delete(w));
    return w;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.watches].map((w) => w.close()));
    this.client.close();
  }

}

// ---- watch ------------------------------------------------------------------------------------

/**
 * One watch stream of its own (not etcd3's shared Watcher: that one resumes from the header
 * revision of the creation answer, which can skip events still being caught up on).
 */
class Watch implements WatchHandle {
  nextRevision: number;
  readonly done: Promise<void>;
  private stream: Etcd3Module.IDuplexStream<Etcd3Module.IWatchRequest, Etcd3Module.IWatchResponse> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly client: Etcd3Module.Etcd3,
    private readonly key: Buffer,
    fromRevision: number,
    private readonly listener: WatchListener,
    private readonly log: Logger,
    private readonly toKeyValue: (kv: Etcd3Module.IKeyValue) => KeyValue,
  ) {
    this.nextRevision = fromRevision;
    this.done = this.run();
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      const outcome = await this.once().catch((err) => {
        this.log.debug({ err: mapError(err, 'watch').message }, 'etcd watch stream failed');
        return 'retry' as const;
      });
      if (outcome === 'stopped' || this.stopped) return;
      if (typeof outcome === 'number') {
        this.stopped = true;
        this.listener.compacted(outcome);
        return;
      }
      if (outcome === 'progressed') backoff = 100;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, backoff);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /**
   * One stream, until it fails ('retry' / 'progressed' when it delivered something first), etcd
   * reports a compaction (the compact revision) or the watch is closed ('stopped').
   */
  private async once(): Promise<'retry' | 'progressed' | 'stopped' | number> {
    const stream = await this.client.watchClient.watch();
    if (this.stopped) {
      endStream(stream);
      return 'stopped';
    }
    this.stream = stream;
    let delivered = false;
    try {
      return await new Promise((resolve) => {
        stream.on('data', (res) => {
          try {
            const compactRevision = revisionOf(res.compact_revision);
            if (compactRevision > 0) return resolve(compactRevision);
            if (res.canceled) return resolve(delivered ? 'progressed' : 'retry');
            if (res.created) return; // its header revision says nothing about what was delivered
            if (res.events.length === 0) {
              // A progress notification: etcd sends them only to watchers that have caught up.
              const rev = revisionOf(res.header.revision);
              if (rev >= this.nextRevision) {
                this.nextRevision = rev + 1;
                this.listener.progress?.(rev);
              }
              return;
            }
            delivered = true;
            this.deliver(res.events);
          } catch (err) {
            // A listener that throws must not kill the stream handling; it is a bug to log loudly.
            this.log.error({ err }, 'etcd watch listener failed');
          }
        });
        stream.on('error', () => resolve(this.stopped ? 'stopped' : delivered ? 'progressed' : 'retry'));
        stream.on('end', () => resolve(this.stopped ? 'stopped' : delivered ? 'progressed' : 'retry'));
        stream.write({
          create_request: { key: this.key, range_end: prefixEnd(this.key), start_revision: this.nextRevision, progress_notify: true, prev_kv: true },
        });
      });
    } finally {
      this.stream = null;
      endStream(stream);
    }
  }

  /** Groups events by revision (a transaction's events share one) and drops any already delivered. */
  private deliver(events: Etcd3Module.IEvent[]): void {
    let batch: WatchBatch | null = null;
    for (const ev of events) {
      const kv = this.toKeyValue(ev.kv);
      if (kv.modRevision < this.nextRevision) continue;
      if (batch && batch.revision !== kv.modRevision) {
        this.flush(batch);
        batch = null;
      }
      batch ??= { revision: kv.modRevision, events: [] };
      batch.events.push({ type: ev.type === 'Delete' ? 'delete' : 'put', key: kv.key, value: kv.value, kv, prev: ev.prev_kv ? this.toKeyValue(ev.prev_kv) : null });
    }
    if (batch) this.flush(batch);
  }

  private flush(batch: WatchBatch): void {
    this.nextRevision = batch.revision + 1;
    this.listener.events(batch);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.stream) endStream(this.stream);
    this.wake?.();
    await this.done;
  }
}

/**
 * Ends a stream we are done with: half-close first, then cancel. etcd3 takes an error on a stream
 * that is still writable — and a cancel is one (CANCELLED) — for its host failing: it closes the
 * host's gRPC channels, so every other stream on them (the watches) is dropped when the transport
 * goes, and with several endpoints each of those errors counts toward the host's circuit breaker. Once ended the stream is not writable, and the
 * cancel that follows (for a server that has not finished yet) is ignored by etcd3.
 */
function endStream(stream: { end(): void; cancel(): void }): void {
  // etcd3's stream type omits it; at run time this is a grpc-js ClientDuplexStream (a Duplex).
  if ((stream as { writable?: boolean }).writable !== false) stream.end();
  stream.cancel();
}

/** Waits for an etcd3 promise at most `ms`; errors mapped to the kinds. */
async function withDeadline<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new EtcdStoreError('Unavailable', `${what}: no answer from etcd within ${ms} ms`)), ms);
      }),
    ]);
  } catch (err) {
    throw mapError(err, what);
  } finally {
    clearTimeout(timer);
  }
}
