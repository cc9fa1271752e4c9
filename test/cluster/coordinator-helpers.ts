/**
 * Building blocks for the coordinator failover tests (coordinators.test.ts): finding a group's or
 * transactional id's coordinator, reading committed offsets and the last stable offset over raw
 * sockets, a transaction's state at its coordinator, the brokers' schema registry URLs (from their
 * registrations in etcd) and registry requests. Every wait polls state with a deadline.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { type ClusterTarget, upBrokers, waitUntil, withBroker } from '../helpers/cluster-target.js';
import type { RunnelCluster } from './cluster-harness.js';
import { brokerInEtcd } from './cluster-helpers.js';

export const GROUP_KEY = 0;
export const TXN_KEY = 1;

/** The coordinator of `key` as a running broker answers FindCoordinator; undefined on an error (or a coordinator that is down). */
export async function coordinatorOf(c: ClusterTarget, key: string, keyType: number, from = upBrokers(c)[0]!): Promise<number | undefined> {
  const r: any = await withBroker(c, from, (raw) => raw.request(10, 3, { key, keyType }));
  if (r === null || r.errorCode !== ErrorCode.NONE || !c.isUp(r.nodeId)) return undefined;
  return r.nodeId as number;
}

/** Waits until every running broker names the same running coordinator for `key`. */
export function waitCoordinator(c: ClusterTarget, key: string, keyType: number, ok: (id: number) => boolean = () => true, timeoutMs = 60_000): Promise<number> {
  return waitUntil(
    `the coordinator of ${key}`,
    async () => {
      const ids = await Promise.all(upBrokers(c).map((id) => coordinatorOf(c, key, keyType, id)));
      const first = ids[0];
      return first !== undefined && ids.every((x) => x === first) && ok(first) ? first : undefined;
    },
    timeoutMs,
  );
}

/** OffsetFetch v5 at broker `id`: committed offset per partition, or undefined while it answers an error (NOT_COORDINATOR, loading). */
export async function committedOffsets(c: ClusterTarget, id: number, group: string, topic: string, partitions: number[]): Promise<Map<number, number> | undefined> {
  const r: any = await withBroker(c, id, (raw) => raw.request(9, 5, { groupId: group, topics: [{ name: topic, partitionIndexes: partitions }] }));
  if (r === null || r.errorCode !== ErrorCode.NONE) return undefined;
  const out = new Map<number, number>();
  for (const p of r.topics[0]?.partitions ?? []) {
    if (p.errorCode !== ErrorCode.NONE) return undefined;
    out.set(p.partitionIndex, Number(p.committedOffset));
  }
  return out;
}

/** ListOffsets v7 latest at broker `id` as a consumer: the high watermark (isolation 0) or the last stable offset (1); undefined on an error. */
export async function latestOffset(c: ClusterTarget, id: number, topic: string, partition: number, isolationLevel: 0 | 1): Promise<number | undefined> {
  const r: any = await withBroker(c, id, (raw) =>
    raw.request(2, 7, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }] }),
  );
  const p = r?.topics?.[0]?.partitions?.[0];
  return p && p.errorCode === ErrorCode.NONE ? Number(p.offset) : undefined;
}

/** DescribeTransactions at broker `id`: the transaction's state ('Ongoing' ...), or undefined on an error (NOT_COORDINATOR, loading). */
export async function txnStateAt(c: ClusterTarget, id: number, transactionalId: string): Promise<string | undefined> {
  const r: any = await withBroker(c, id, (raw) => raw.request(65, 0, { transactionalIds: [transactionalId] }));
  const s = r?.transactionStates?.[0];
  return s && s.errorCode === ErrorCode.NONE ? (s.transactionState as string) : undefined;
}

/** Each running broker's schema registry URL, as it logged it at startup. */
export function servedRegistryUrls(c: RunnelCluster): Map<number, string> {
  const out = new Map<number, string>();
  for (const id of upBrokers(c)) {
    const line = c.process(id)?.logs.find((l) => l.includes('"broker started"'));
    const url = line ? (JSON.parse(line) as { schemaRegistry?: string | null }).schemaRegistry : null;
    if (url) out.set(id, url);
  }
  return out;
}

/** Each running broker's schema registry URL, from its registration in etcd (where other brokers forward writes). */
export async function registeredRegistryUrls(c: RunnelCluster): Promise<Map<number, string>> {
  const store = await c.etcd.connect(c.prefix, 2000);
  try {
    const out = new Map<number, string>();
    for (const id of upBrokers(c)) {
      const url = (await brokerInEtcd(store, id))?.schemaRegistry;
      if (url) out.set(id, url);
    }
    return out;
  } finally {
    await store.close();
  }
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** One registry request: status and parsed body. */
export async function registry(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(path, url), { method, headers: { 'content-type': CONTENT_TYPE }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

/** An Avro record schema named `name` (distinct names: distinct schemas, distinct ids). */
export const avroRecord = (name: string): string => JSON.stringify({ type: 'record', name, fields: [{ name: 'f', type: 'string' }] });
