/**
 * A running multi-broker cluster as the cluster scenarios (test/differential/cluster-kafka.test.ts)
 * and the cluster bench (bench/cluster/) see it: brokers with ids, each on a fixed loopback
 * address, that can be SIGKILLed and restarted on their data. Apache Kafka implements it in
 * test/helpers/apache-kafka-cluster.ts; a Runnel cluster (etcd + N `dist/runnel.mjs` processes,
 * docs/cluster.md) plugs in by implementing the same interface.
 *
 * The helpers below it speak only the Kafka protocol (our codecs over a raw socket), so they work
 * the same against any implementation: where a partition's leader is, waiting for a leader or a
 * full ISR, creating a topic once every broker knows it.
 */
import { newCreateTopicsRequestConfig, newCreateTopicsRequestTopic } from '../../protocol/generated/19-create-topics.js';
import { newMetadataRequestTopic } from '../../protocol/generated/03-metadata.js';
import { newListOffsetsRequestPartition, newListOffsetsRequestTopic } from '../../protocol/generated/02-list-offsets.js';
import { RawClient } from './raw-client.js';

export interface BrokerEndpoint {
  host: string;
  port: number;
}

/** What a scenario or benchmark needs from a cluster; see the file header. */
export interface ClusterTarget {
  /** A label for reports: 'kafka', 'runnel' ... */
  readonly kind: string;
  /** The broker software version, '' when unknown. */
  readonly version: string;
  /** The brokers' node ids (Kafka's script: 1, 2, 3). */
  readonly brokerIds: readonly number[];
  /** Every broker's host:port, comma-separated, in id order. */
  readonly bootstrap: string;
  /** Where broker `id` listens; the same after a restart. */
  endpoint(id: number): BrokerEndpoint;
  /** Whether broker `id` runs (killBroker/startBroker keep this current). */
  isUp(id: number): boolean;
  /** SIGKILLs broker `id`; resolves once its process is gone. Its data stays. */
  killBroker(id: number): Promise<void>;
  /** Restarts broker `id` on its data and address; resolves once it serves requests. */
  startBroker(id: number): Promise<void>;
  /** The OS process id of broker `id` (CPU readings), null when it is down. */
  pid(id: number): number | null;
  /** Stops every process of the cluster and deletes its state. */
  stop(): Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined; throws `what` after timeoutMs. */
export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

/** A raw connection to broker `id` (close it when done). */
export function connectBroker(c: ClusterTarget, id: number): Promise<RawClient> {
  const e = c.endpoint(id);
  return RawClient.connect(e.host, e.port);
}

/** Runs fn on a fresh connection to broker `id`. */
export async function withBroker<T>(c: ClusterTarget, id: number, fn: (raw: RawClient) => Promise<T>): Promise<T> {
  const raw = await connectBroker(c, id);
  try {
    return await fn(raw);
  } finally {
    raw.close();
  }
}

/** The ids of the brokers that run, in id order. */
export function upBrokers(c: ClusterTarget): number[] {
  return c.brokerIds.filter((id) => c.isUp(id));
}

export interface PartitionState {
  partition: number;
  errorCode: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

/** Metadata v12 for the topics, from broker `id` (null: all topics). */
export async function metadataFrom(c: ClusterTarget, id: number, topics: string[] | null): Promise<any> {
  return withBroker(c, id, async (raw) => {
    const r = await raw.request(3, 12, {
      topics: topics === null ? null : topics.map((name) => newMetadataRequestTopic({ name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    if (r === null) throw new Error(`broker ${id} closed the connection on Metadata`);
    return r;
  });
}

/** A topic's partitions as broker `id` (default: the first one up) knows them. */
export async function partitions(c: ClusterTarget, topic: string, id = upBrokers(c)[0]!): Promise<PartitionState[]> {
  const m = await metadataFrom(c, id, [topic]);
  const t = m.topics[0];
  if (!t || t.errorCode !== 0) throw new Error(`Metadata for ${topic} from broker ${id}: error ${t?.errorCode}`);
  return t.partitions
    .map((p: any) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas }))
    .sort((a: PartitionState, b: PartitionState) => a.partition - b.partition);
}

/**
 * Waits until each of `ids` (default: every running broker) lists exactly those brokers and names
 * one controller, and returns their Metadata answers. A broker serves before its registration is in
 * every image, and a CreateTopics in that window gets INVALID_REPLICATION_FACTOR.
 */
export async function waitRegistered(c: ClusterTarget, ids: readonly number[] = upBrokers(c), timeoutMs = 30_000): Promise<any[]> {
  return waitUntil(
    `brokers ${ids.join(',')} to list each other and one controller`,
    async () => {
      const all = await Promise.all(ids.map((id) => metadataFrom(c, id, [])));
      return all.every((m) => m.brokers.length === ids.length && m.controllerId === all[0].controllerId && m.controllerId > 0) ? all : undefined;
    },
    timeoutMs,
  );
}

/** Whether broker `id` answers ListOffsets for the partition as its leader. */
export async function leads(c: ClusterTarget, id: number, topic: string, partition: number): Promise<boolean> {
  return withBroker(c, id, async (raw) => {
    const r: any = await raw.request(2, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [newListOffsetsRequestTopic({ name: topic, partitions: [newListOffsetsRequestPartition({ partitionIndex: partition, timestamp: -1 })] })],
    });
    return r !== null && r.topics[0].partitions[0].errorCode === 0;
  });
}

/**
 * Waits until every running broker's Metadata agrees on the partition (same leader and epoch),
 * the state satisfies `ok`, and the leader answers as leader. Returns that state.
 */
export async function waitPartition(c: ClusterTarget, topic: string, partition: number, ok: (p: PartitionState) => boolean, timeoutMs = 30_000, what = 'a partition state'): Promise<PartitionState> {
  return waitUntil(
    `${topic}-${partition}: ${what}`,
    async () => {
      const views = await Promise.all(upBrokers(c).map(async (id) => (await partitions(c, topic, id)).find((p) => p.partition === partition)));
      const first = views[0];
      if (!first || views.some((v) => !v || v.leader !== first.leader || v.leaderEpoch !== first.leaderEpoch || v.isr.join() !== first.isr.join())) return undefined;
      if (first.leader < 0 || !ok(first) || !c.isUp(first.leader)) return undefined;
      return (await leads(c, first.leader, topic, partition)) ? first : undefined;
    },
    timeoutMs,
  );
}

/** Waits until the partition's ISR holds all of its replicas (after a broker came back). */
export function waitIsrFull(c: ClusterTarget, topic: string, partition: number, timeoutMs = 60_000): Promise<PartitionState> {
  return waitPartition(c, topic, partition, (p) => p.isr.length === p.replicas.length, timeoutMs, 'the full ISR');
}

export interface ClusterTopicSpec {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  /** Explicit replica lists per partition (then partitions and replicationFactor are -1). */
  assignments?: number[][];
  configs?: Record<string, string>;
}

/** CreateTopics errors an admin client retries (REQUEST_TIMED_OUT, NOT_CONTROLLER). */
const RETRIABLE_CREATE = new Set([7, 41]);
const TOPIC_ALREADY_EXISTS = 36;
const INVALID_REPLICA_ASSIGNMENT = 39;
const INVALID_REPLICATION_FACTOR = 38;

/**
 * CreateTopics v7 through the first running broker; throws on an error code. A retriable error is
 * retried for up to 30 s, as an admin client would (a busy cluster's metadata store can time out);
 * TOPIC_ALREADY_EXISTS after such a retry means the first attempt got through.
 */
export async function createTopic(c: ClusterTarget, spec: ClusterTopicSpec): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let retried = false; ; retried = true) {
    const code = await createTopicOnce(c, spec, retried);
    if (code === null) return;
    if (Date.now() > deadline) throw new Error(`CreateTopics ${spec.name}: still error ${code} after 30 s of retries`);
    await sleep(500);
  }
}

/** null when created (or created by an earlier attempt), else the retriable error code; throws on others. */
async function createTopicOnce(c: ClusterTarget, spec: ClusterTopicSpec, retried: boolean): Promise<number | null> {
  const r: any = await withBroker(c, upBrokers(c)[0]!, (raw) =>
    raw.request(19, 7, {
      timeoutMs: 30_000,
      validateOnly: false,
      topics: [
        newCreateTopicsRequestTopic({
          name: spec.name,
          numPartitions: spec.assignments ? -1 : (spec.partitions ?? 1),
          replicationFactor: spec.assignments ? -1 : (spec.replicationFactor ?? 3),
          assignments: (spec.assignments ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
          configs: Object.entries(spec.configs ?? {}).map(([name, value]) => newCreateTopicsRequestConfig({ name, value })),
        }),
      ],
    }),
  );
  const t = r?.topics?.[0];
  if (t && (t.errorCode === 0 || (retried && t.errorCode === TOPIC_ALREADY_EXISTS))) return null;
  if (t && RETRIABLE_CREATE.has(t.errorCode)) return t.errorCode;
  // An explicit assignment is checked against the answering broker's metadata image, which can
  // trail etcd by a moment on a loaded machine (its Metadata lists itself even before its own
  // registration reaches its image): the test's assignment is valid, so wait for the image.
  if (t?.errorCode === INVALID_REPLICA_ASSIGNMENT && /no such broker is registered/.test(t.errorMessage ?? '')) return t.errorCode;
  // The same lag without an assignment: the answering broker's image can miss its own registration
  // (its Metadata lists itself regardless, so waitRegistered cannot see it), and places replicas on
  // fewer brokers than are up. Fewer than the running brokers is that lag; otherwise a real refusal.
  const placed = t?.errorCode === INVALID_REPLICATION_FACTOR ? /because only (\d+) broker\(s\) are registered/.exec(t.errorMessage ?? '') : null;
  if (placed && Number(placed[1]) < upBrokers(c).length) return t.errorCode;
  throw new Error(`CreateTopics ${spec.name}: error ${t?.errorCode} ${t?.errorMessage ?? ''}`);
}

/** createTopic, then waits until every running broker knows a leader and the full ISR of each partition. */
export async function createTopicReady(c: ClusterTarget, spec: ClusterTopicSpec, timeoutMs = 30_000): Promise<PartitionState[]> {
  await createTopic(c, spec);
  const n = spec.assignments?.length ?? spec.partitions ?? 1;
  const out: PartitionState[] = [];
  for (let p = 0; p < n; p++) out.push(await waitIsrFull(c, spec.name, p, timeoutMs));
  return out;
}
