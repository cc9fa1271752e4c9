/**
 * The vocabulary of the cluster's etcd client (etcd.ts), with no etcd3 in it: error kinds, key
 * values, transaction compares and operations, watch batches and listeners. Modules that only
 * describe what to read or write import these; etcd.ts is the one that talks to etcd.
 *
 * Keys are always relative to the cluster prefix (`brokers/1`, not `runnel/brokers/1`).
 */
import type { Logger } from '../logger.js';

// ---- errors -------------------------------------------------------------------------------------

export type EtcdErrorKind =
  /** etcd could not be reached or did not answer in time; retriable. A write may or may not have happened. */
  | 'Unavailable'
  /** A transaction's compares did not hold: the state moved, re-read it. */
  | 'CasFailed'
  /** The lease expired or was revoked. */
  | 'LeaseNotFound'
  /** The revision asked for was compacted away. */
  | 'Compacted'
  /** etcd refused the request itself (too large, too many operations, permission). */
  | 'Rejected'
  /** This client was closed. */
  | 'Closed';

export class EtcdStoreError extends Error {
  constructor(
    readonly kind: EtcdErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'EtcdStoreError';
  }
}

export function isEtcdError(err: unknown, kind?: EtcdErrorKind): err is EtcdStoreError {
  return err instanceof EtcdStoreError && (kind === undefined || err.kind === kind);
}

/** Maps whatever etcd3 or gRPC threw to one of the kinds, by etcd's messages and gRPC's codes. */
export function mapError(err: unknown, what: string): EtcdStoreError {
  if (err instanceof EtcdStoreError) return err;
  const e = err as { message?: string; code?: number; constructor?: { name?: string } };
  const message = String(e?.message ?? err);
  const type = e?.constructor?.name ?? '';
  const say = (kind: EtcdErrorKind) => new EtcdStoreError(kind, `${what}: ${message}`);
  if (message.includes('requested lease not found') || type === 'EtcdLeaseInvalidError') return say('LeaseNotFound');
  if (message.includes('required revision has been compacted')) return say('Compacted');
  if (type === 'ClientClosedError') return say('Closed');
  if (
    message.includes('too many operations in txn request') ||
    message.includes('request is too large') ||
    message.includes('duplicate key given in txn request') ||
    message.includes('permission denied') ||
    type === 'GRPCInvalidArgumentError' ||
    type === 'EtcdPermissionDeniedError' ||
    type === 'GRPCResourceExhastedError'
  ) {
    return say('Rejected');
  }
  // No leader, timeouts, refused connections, open circuits, streams cut: all "try again later".
  return say('Unavailable');
}

// ---- values -------------------------------------------------------------------------------------

/** One key with its etcd metadata. `key` is relative to the cluster prefix. */
export interface KeyValue {
  key: string;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  /** The lease the key is attached to ('0': none). */
  lease: string;
}

export type CompareResult = '=' | '!=' | '<' | '>';
/**
 * One condition of a transaction. With `prefix`, it must hold for every key under `key` (etcd's
 * range compare; for revisions and versions, no key there compares as 0).
 */
export type Compare =
  | { key: string; target: 'mod' | 'create' | 'version'; result: CompareResult; value: number; prefix?: boolean }
  | { key: string; target: 'value'; result: CompareResult; value: Buffer | string }
  | { key: string; target: 'lease'; result: CompareResult; value: string };

export type TxnOp =
  | { op: 'put'; key: string; value: Buffer | string; lease?: string }
  | { op: 'delete'; key: string; prefix?: boolean }
  | { op: 'get'; key: string; prefix?: boolean };

export interface TxnResult {
  succeeded: boolean;
  /** The store's revision after the transaction (its own revision when it wrote something). */
  revision: number;
  /** What each 'get' of the branch taken read, in order. */
  gets: KeyValue[][];
}

/** The key does not exist (its create revision is 0). */
export const absent = (key: string): Compare => ({ key, target: 'create', result: '=', value: 0 });
/** The key was not written since `modRevision` (0: it still does not exist). */
export const unchanged = (key: string, modRevision: number): Compare => ({ key, target: 'mod', result: '=', value: modRevision });
/** No key exists under `prefix`. */
export const noKeysUnder = (prefix: string): Compare => ({ key: prefix, target: 'create', result: '=', value: 0, prefix: true });
/** The key exists. */
export const present = (key: string): Compare => ({ key, target: 'create', result: '>', value: 0 });

/** One put or delete seen by a watch. */
export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** The new value (empty for a delete). */
  value: Buffer;
  /** The key's value before this event, when etcd still had it. */
  prev: KeyValue | null;
  kv: KeyValue;
}

/** All events of one etcd revision: a transaction's changes arrive together, never split. */
export interface WatchBatch {
  revision: number;
  events: WatchEvent[];
}

export interface WatchListener {
  /** The events of one revision; revisions arrive in increasing order, each once. */
  events(batch: WatchBatch): void;
  /** etcd no longer has the next revision this watch needs: it has stopped; re-list, then watch again. */
  compacted(compactRevision: number): void;
  /** Everything up to `revision` has been delivered (etcd's progress notifications). */
  progress?(revision: number): void;
}

export interface WatchHandle {
  /** The first revision not delivered yet. */
  readonly nextRevision: number;
  close(): Promise<void>;
}

export interface ReflectListener {
  /** The whole range at `revision`: the first read, and again after a compaction forced a re-list. */
  snapshot(kvs: KeyValue[], revision: number): void;
  events(batch: WatchBatch): void;
  progress?(revision: number): void;
}

export interface ReflectHandle {
  /** Resolves after the first snapshot was delivered. */
  readonly ready: Promise<void>;
  /** The revision everything delivered so far is at. */
  readonly revision: number;
  close(): Promise<void>;
}

export interface EtcdOptions {
  endpoints: string[];
  /** runnel.etcd.prefix, without a trailing '/'. */
  prefix: string;
  /** runnel.etcd.request.timeout.ms */
  requestTimeoutMs: number;
  log: Logger;
}

// ---- helpers ------------------------------------------------------------------------------------

/** etcd's prefix range end: the prefix with its last byte below 0xff incremented. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key after the prefix
}

export const revisionOf = (s: string | number | undefined): number => {
  const n = Number(s ?? 0);
  if (!Number.isSafeInteger(n)) throw new EtcdStoreError('Rejected', `etcd revision ${s} is beyond 2^53`);
  return n;
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());
