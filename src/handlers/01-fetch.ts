/**
 * Fetch (key 1), versions 0-18.
 *
 * For each partition: the record batches from the one holding fetch_offset, bounded by the high
 * watermark, partition_max_bytes and the request's max_bytes — except that the first partition
 * with data always gets at least one whole batch, even when it is larger than both limits (KIP-74).
 * The bytes go from the segment files to the socket as file slices, never decoded or copied
 * through JS objects (see server/response-writer.ts).
 *
 * Limits: max_bytes is capped by the broker's `fetch.max.bytes` and min_bytes by the result, as
 * Kafka does (a request never waits for more than it may receive). A partition named more than
 * once is read once, with its last entry, at the place of its first — Kafka collects a request's
 * partitions in a LinkedHashMap.
 *
 * Long poll: with fewer than min_bytes read, the request parks for up to max_wait_ms (at most
 * `runnel.fetch.max.wait.ms`). Each partition whose read reached the readable end (high
 * watermark; last stable offset for read_committed) gets one waiter, woken when that end moves
 * past what was read — not past the fetch offset, which a partition holding some data has
 * passed already (waiting for that re-read the same bytes in a loop until max_wait_ms). A woken
 * partition alone is re-read, then waits again. No waiter for a partition that gave its
 * partition_max_bytes: more data could not go into this response. The fetch answers at once on a
 * partition error, or when a read stopped at a segment's end with data behind it (re-reading
 * would return the same bytes; Kafka's DelayedFetch completes then too).
 *
 * Fetch sessions (v7+, KIP-227): we decline to create sessions (session id 0 in every response),
 * which the protocol allows; clients then send full fetch requests. A request naming a session
 * id gets FETCH_SESSION_ID_NOT_FOUND, as it would after a broker restart.
 *
 * read_committed (isolation_level 1): data only below the last stable offset (the first offset of
 * the oldest open transaction, else the high watermark), and the aborted transactions (producer
 * id, first offset) that overlap the range, from the partition's producer state; the consumer
 * drops their records and skips the control batches (markers), which are served like any batch.
 * Only partitions that were ever part of a transaction (txn/txn-partitions.ts) have anything to
 * filter: others are read exactly as read_uncommitted. A read_committed fetch parked at the LSO
 * with data behind it is woken when a transaction ends, not by every append.
 *
 * Replica state first (the Partition's checks, src/replica/partition.ts, in Kafka's order): v9+
 * current_leader_epoch below the partition's leader epoch FENCED_LEADER_EPOCH, above it
 * UNKNOWN_LEADER_EPOCH (any negative value: not checked — Fetch's rule, where ListOffsets and
 * OffsetForLeaderEpoch take only -1 so), then NOT_LEADER_OR_FOLLOWER where this broker does not
 * lead; v12+ last_fetched_epoch (followers; -1: not given) answers a diverging epoch — the epoch and
 * end offset to truncate to — instead of records when the fetcher's log went past ours.
 * Consumers from v11 on (cluster mode): as Kafka since KIP-392 (FetchParams.fetchOnlyLeader is
 * false once the request carries client metadata), a follower serves them too, up to its own high
 * watermark, with only the epoch checks — a client whose metadata is stale reads on instead of
 * failing. read_committed still needs the leader (followers keep no producer state here), and
 * preferred_read_replica stays -1 (no replica.selector.class: Kafka's default).
 *
 * Followers (cluster mode only: replica_id ≥ 0 on a partition with a `replication` half; a single
 * node ignores replica ids, as before): the leader checks the replica is one of the partition's
 * other replicas (UNKNOWN_LEADER_EPOCH when the request has an epoch, else NOT_LEADER_OR_FOLLOWER),
 * reads up to its log's visible end rather than the high watermark (high_watermark still says the
 * leader's), long-polls on that end, and records the fetch offset as the follower's log end — on
 * the first read of the request only, as Kafka does — which may move the high watermark and expand
 * the ISR (src/replica/cluster-replica.ts). Follower bytes are not counted as BytesOut (Kafka counts
 * them as replication bytes). Replication throttling (src/replica/replication-quotas.ts, Kafka's
 * shouldLeaderThrottle): a partition listed in its topic's leader.replication.throttled.replicas
 * for this broker, fetched by a follower outside the ISR while leader.replication.throttled.rate is
 * exceeded, is answered with no records (and no waiter); the records sent for throttled partitions
 * are counted against that rate. One Map lookup per follower partition when nothing is throttled.
 *
 * Authorization (with an authorizer; authorizedReads): READ on each topic for consumers, CLUSTER_ACTION
 * on the cluster for followers, decided once per topic per request before anything is read;
 * refused partitions are TOPIC_AUTHORIZATION_FAILED.
 *
 * A partition that fails (those errors, OFFSET_OUT_OF_RANGE, a storage error) is answered, as Kafka
 * does, with high watermark, last stable offset and log start offset -1.
 * An empty record set is sent as empty bytes, never null (librdkafka 2.15 rejects null).
 * Version notes: v0-v3 (removed by Kafka 4.0, KIP-896) are served for old clients still shipped by
 * distributions (sarama 1.22 sends v0 with its default config.Version, v3 from V0_10_1_0 — the
 * consumer groups' minimum is V0_10_2_0). They get the stored record batches (magic 2) as they
 * are: Kafka 2.x down-converted them to message format v0/v1, which costs a decode and re-encode
 * of every record; the clients that still send these versions (sarama 1.22, kafka-python 2.0.2,
 * librdkafka) read the format from each batch's magic byte and accept v2 batches, so we never
 * convert. v0-v2 have no request max_bytes (fetch.max.bytes bounds them) and get the v3+ rule for
 * an oversized first batch (a whole batch rather than a truncated one). v1 throttle time, v3
 * max_bytes, v4 isolation level, LSO and aborted transactions; v5 log start offset; v7
 * sessions; v9 current leader epoch; v11 rack id / preferred read replica; v12 flexible.
 * v13 names topics by id (KIP-516): each topic entry's id is resolved to its name once per
 * request (a map read; topic-ids.ts), an unknown id is UNKNOWN_TOPIC_ID for its partitions
 * (watermarks -1; as Kafka resolves ids before the read, a request naming only unknown ids is
 * answered at once while the known partitions of a mixed one long-poll as usual), and the response names topics by
 * id. v14 may answer OFFSET_MOVED_TO_TIERED_STORAGE (never here: no remote storage). v15 moves
 * the replica id into the tagged ReplicaState (KIP-903; its epoch is not checked: etcd fences
 * brokers here). v16 adds KIP-951's leader hints: a partition refused with NOT_LEADER_OR_FOLLOWER
 * or FENCED_LEADER_EPOCH names the leader the cluster has, and the response lists those leaders'
 * endpoints (leader-hints.ts). v17's replica directory id and v18's follower high watermark are
 * read and ignored (Runnel has one log directory; followers learn the high watermark from the
 * leader's responses, and Runnel's own follower fetcher speaks v12).
 */
import {
  newFetchResponse,
  newFetchResponsePartition,
  newFetchResponseTopic,
  type FetchRequest,
  type FetchRequestPartition,
  type FetchResponse,
  type FetchResponsePartition,
  type FetchResponseTopic,
} from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { EMPTY } from '../../protocol/codec-support.js';
import type { FileSlice, RecordSlices } from '../../protocol/primitives.js';
import { type FollowerFetchServing, NO_CURRENT_LEADER_EPOCH, type Partition } from '../data/partitions.js';
import type { PartitionProducerState } from '../txn/producer-state.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, canCluster, topicDecisions } from './authz.js';
import { LeaderHints } from './leader-hints.js';
import { resolveTopicIds } from './topic-ids.js';

/** One partition of the request and what was last read from it. */
interface PartitionRead {
  /** The topic's name ('' for an unknown v13+ topic id). */
  topic: string;
  /** The request's topic id (v13+; all zero before), echoed in the response. */
  topicId: Buffer;
  /** A v13+ topic id no topic has: answered UNKNOWN_TOPIC_ID. */
  unknownId: boolean;
  /** The request's (last) entry for this partition. */
  req: FetchRequestPartition;
  res: FetchResponsePartition;
  slices: FileSlice[];
  size: number;
  /** The readable end this read reached: more data is there once the end passes it. Null: no need to wait. */
  waitFrom: number | null;
  /** Cancels the partition's waiter while one is registered. */
  cancelWait: (() => void) | null;
  /** A follower's fetch was recorded (on the first read only). */
  recorded: boolean;
  /** A follower's read of a partition throttled on this leader: the bytes sent count against the leader quota. */
  throttledBy: FollowerFetchServing | null;
}

/** The request's limits, after the broker's caps. */
interface FetchLimits {
  readCommitted: boolean;
  /** The fetching broker's id (followers), -1 for consumers. */
  replicaId: number;
  /** A consumer's fetch any replica may serve: v11+ (client metadata, KIP-392) in cluster mode. */
  anyReplica: boolean;
  maxBytes: number;
  minBytes: number;
  maxWaitMs: number;
}

const READ_COMMITTED = 1;

/** The request's current leader epoch; Fetch means "none" by any negative value (Kafka's FetchRequest.optionalEpoch). */
function currentLeaderEpochOf(p: FetchRequestPartition): number {
  return p.currentLeaderEpoch < 0 ? NO_CURRENT_LEADER_EPOCH : p.currentLeaderEpoch;
}

/** The fetching replica: v15+ carries it in the tagged ReplicaState, older versions in replica_id. */
function replicaIdOf(ctx: RequestContext, req: FetchRequest): number {
  return ctx.version >= 15 ? req.replicaState.replicaId : req.replicaId;
}

function limitsOf(ctx: RequestContext, req: FetchRequest): FetchLimits {
  const config = ctx.config;
  const replicaId = replicaIdOf(ctx, req);
  // A consumer with a consumer_byte_rate gets at most what its quota allows over the window in one
  // response (Kafka's getMaxValueInQuotaWindow): a throttle time is capped, a response is not.
  const quotaBytes = replicaId < 0 ? ctx.clientQuotas.fetchWindowBytes(ctx.conn.principal.name, ctx.header.clientId) : Infinity;
  const maxBytes = Math.min(req.maxBytes, config.int('fetch.max.bytes'), quotaBytes);
  return {
    readCommitted: req.isolationLevel === READ_COMMITTED,
    replicaId,
    anyReplica: ctx.version >= 11 && replicaId < 0 && ctx.node.partitionState !== undefined,
    maxBytes,
    minBytes: Math.min(req.minBytes, maxBytes),
    maxWaitMs: Math.min(Math.max(req.maxWaitMs, 0), config.int('runnel.fetch.max.wait.ms')),
  };
}

/**
 * Each partition once, topics in first-seen order: a repeated partition keeps its place and takes
 * the later entry. v13+: topics are keyed by id, each id resolved to its name once.
 */
function distinctPartitions(ctx: RequestContext, req: FetchRequest): PartitionRead[] {
  const unknownIds = ctx.version >= 13 ? resolveTopicIdsOf(ctx, req) : null;
  const byTopic = new Map<string, { topicId: Buffer; unknownId: boolean; partitions: Map<number, FetchRequestPartition> }>();
  for (const t of req.topics) {
    const unknownId = unknownIds?.has(t) === true;
    // Unknown ids have no name: keyed apart from every name (and from each other) by the id.
    const key = unknownId ? `\u0000${t.topicId.toString('hex')}` : t.topic;
    let entry = byTopic.get(key);
    if (!entry) byTopic.set(key, (entry = { topicId: t.topicId, unknownId, partitions: new Map() }));
    for (const p of t.partitions) entry.partitions.set(p.partition, p);
  }
  const reads: PartitionRead[] = [];
  for (const [key, { topicId, unknownId, partitions }] of byTopic) {
    const topic = unknownId ? '' : key;
    for (const p of partitions.values()) {
      const res = newFetchResponsePartition({ partitionIndex: p.partition, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, records: EMPTY });
      reads.push({ topic, topicId, unknownId, req: p, res, slices: [], size: 0, waitFrom: null, cancelWait: null, recorded: false, throttledBy: null });
    }
  }
  return reads;
}

/** v13+ topic entries carry ids, not names: the generated request keeps the name in `topic`. */
function resolveTopicIdsOf(ctx: RequestContext, req: FetchRequest): Set<unknown> | null {
  const entries = req.topics.map((t) => ({ name: '', topicId: t.topicId, t }));
  const unknown = resolveTopicIds(ctx, entries);
  for (const e of entries) e.t.topic = e.name;
  return unknown === null ? null : new Set([...unknown].map((e) => e.t));
}

/**
 * Authorization, once per topic of the request (never per record): a consumer needs READ on the
 * topic, a follower (replica_id >= 0) CLUSTER_ACTION on the cluster; refused partitions get
 * TOPIC_AUTHORIZATION_FAILED (Kafka answers a refused follower so too) and are not read. Returns
 * the reads allowed.
 */
function authorizedReads(ctx: RequestContext, reads: PartitionRead[], replicaId: number): PartitionRead[] {
  if (!ctx.authorizer.enabled) return reads;
  const allowed = replicaId >= 0 ? (canCluster(ctx, AclOperation.CLUSTER_ACTION) ? () => true : () => false) : topicDecisions(ctx, AclOperation.READ);
  const ok: PartitionRead[] = [];
  for (const r of reads) {
    // An unknown topic id is answered UNKNOWN_TOPIC_ID whoever asks (as Kafka), by readPartition.
    if (r.unknownId || allowed(r.topic)) ok.push(r);
    else {
      failed(r, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      // Kafka answers a refused partition with an empty list, not null (FetchResponse.partitionResponse).
      r.res.abortedTransactions = [];
    }
  }
  return ok;
}

/** The producer state of a partition that may hold transactions (read_committed), else null. */
function txnState(ctx: RequestContext, log: Partition): PartitionProducerState | Promise<PartitionProducerState> | null {
  if (!ctx.txn.partitions.has(log.topic, log.partition)) return null;
  return ctx.producers.peek(log) ?? ctx.producers.get(log);
}

function release(read: PartitionRead): void {
  for (const s of read.slices) s.release?.();
  read.slices = [];
  read.size = 0;
}

function failed(read: PartitionRead, code: number): void {
  read.res.errorCode = code;
  read.res.highWatermark = read.res.lastStableOffset = read.res.logStartOffset = -1;
}

/**
 * (Re-)reads one partition with `limit` bytes (at least one batch when `minOneBatch`). Returns
 * true when the fetch must answer at once: a partition error, or data left behind a segment end.
 */
async function readPartition(ctx: RequestContext, read: PartitionRead, limit: number, minOneBatch: boolean, limits: FetchLimits): Promise<boolean> {
  const p = read.req;
  const res = read.res;
  release(read);
  read.waitFrom = null;
  if (read.unknownId) {
    failed(read, ErrorCode.UNKNOWN_TOPIC_ID);
    res.abortedTransactions = []; // as Kafka answers an unknown topic id
    return false; // no reason to answer early: handle() answers at once only when no id is known
  }
  const log = ctx.partitions.get(read.topic, p.partition);
  if (!log) {
    res.errorCode = ctx.partitions.missingPartitionError?.(read.topic, p.partition) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    res.abortedTransactions = []; // as Kafka answers an unknown partition
    return true;
  }
  const follower = limits.replicaId >= 0 ? log.replication : null;
  if (follower !== null) return readForFollower(read, log, follower, limit, minOneBatch, limits.replicaId);
  const readCommitted = limits.readCommitted;
  // KIP-392: from v11 a consumer may read a follower (read_uncommitted only here: followers keep
  // no producer state to place the last stable offset).
  const leaderOnly = !limits.anyReplica || readCommitted;
  const refused = leaderOnly ? log.checkLeader(currentLeaderEpochOf(p)) : log.checkReplica(currentLeaderEpochOf(p));
  if (refused !== ErrorCode.NONE) {
    failed(read, refused);
    return true;
  }
  let state: PartitionProducerState | null = null;
  if (readCommitted) {
    res.abortedTransactions = [];
    const s = txnState(ctx, log);
    try {
      state = s instanceof Promise ? await s : s;
    } catch (err) {
      failed(read, err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR);
      return true;
    }
  } else state = ctx.producers.peek(log) ?? null;
  const stable = readCommitted && state !== null;
  const hw = log.highWatermark;
  const lso = state ? state.lastStableOffset(hw) : hw;
  res.highWatermark = hw;
  res.lastStableOffset = lso;
  res.logStartOffset = log.logStartOffset;
  if (p.lastFetchedEpoch >= 0 && divergedAt(read, log)) return true;
  // A fetch at the very end (including an empty partition after DeleteRecords) is not out of range.
  if (p.fetchOffset === hw && p.fetchOffset >= log.logStartOffset) {
    if (limit > 0) read.waitFrom = p.fetchOffset;
    return false;
  }
  if (limit <= 0 && !minOneBatch) return false; // max_bytes is spent
  try {
    const r = await log.read(p.fetchOffset, Math.max(limit, 0), stable ? { minOneBatch, maxOffset: lso } : { minOneBatch, leaderOnly });
    res.highWatermark = r.highWatermark;
    res.lastStableOffset = state ? state.lastStableOffset(r.highWatermark) : r.highWatermark;
    res.logStartOffset = r.logStartOffset;
    if (stable && r.size > 0) {
      res.abortedTransactions = state!.abortedBetween(p.fetchOffset, lso, r.logStartOffset).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
    }
    read.slices = r.slices;
    read.size = r.size;
    if (r.size >= limit) return false; // all it may give
    if (r.more) return true; // stopped at a segment's end
    read.waitFrom = Math.max(p.fetchOffset, stable ? lso : r.highWatermark);
    return false;
  } catch (err) {
    // Kafka answers a failed read (OFFSET_OUT_OF_RANGE ...) without watermarks.
    failed(read, err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR);
    if (!(err instanceof KafkaError)) ctx.log.error({ err, topic: read.topic, partition: p.partition }, 'fetch read failed');
    return true;
  }
}

/**
 * readPartition for a follower (cluster mode): up to the leader's visible end, the fetch recorded
 * as the follower's log end once the read is known good (Kafka: after the read, with the leader's
 * end from before it; not for an answer with a diverging epoch or an error).
 */
async function readForFollower(read: PartitionRead, log: Partition, follower: FollowerFetchServing, limit: number, minOneBatch: boolean, replicaId: number): Promise<boolean> {
  const p = read.req;
  const res = read.res;
  const refused = follower.checkFollowerFetch(replicaId, currentLeaderEpochOf(p));
  if (refused !== ErrorCode.NONE) {
    failed(read, refused);
    return true;
  }
  const end = follower.followerFetchEnd;
  const now = Date.now();
  res.highWatermark = res.lastStableOffset = log.highWatermark;
  res.logStartOffset = log.logStartOffset;
  if (p.lastFetchedEpoch >= 0 && divergedAt(read, log)) return true;
  const record = (): void => {
    if (read.recorded) return;
    read.recorded = true;
    follower.updateFollowerFetchState(replicaId, p.fetchOffset, p.logStartOffset, end, now);
  };
  if (p.fetchOffset === end && p.fetchOffset >= log.logStartOffset) {
    record();
    if (limit > 0) read.waitFrom = end;
    return false;
  }
  read.throttledBy = follower.leaderThrottled ? follower : null;
  if (read.throttledBy !== null && follower.shouldLeaderThrottle(replicaId)) {
    // Kafka's readFromLog: no records while the leader quota is exceeded (the fetch still counts
    // as the follower's position), and no waiter: DelayedFetch does not count throttled bytes, so
    // the request long-polls on its other partitions or until max_wait_ms — the follower's pace.
    record();
    return false;
  }
  if (limit <= 0 && !minOneBatch) return false;
  try {
    const r = await log.read(p.fetchOffset, Math.max(limit, 0), { minOneBatch, upToLogEnd: true });
    record();
    res.highWatermark = res.lastStableOffset = r.highWatermark;
    res.logStartOffset = r.logStartOffset;
    read.slices = r.slices;
    read.size = r.size;
    if (r.size >= limit) return false;
    if (r.more) return true;
    read.waitFrom = Math.max(p.fetchOffset, end);
    return false;
  } catch (err) {
    failed(read, err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR);
    return true;
  }
}

/**
 * Fetch v12+ last_fetched_epoch: true when the partition is answered now — with the diverging
 * epoch the fetcher must truncate to (no records, watermarks as read), or with the error that
 * check gave (OFFSET_OUT_OF_RANGE when the epoch cannot be placed, or the offset is below the log
 * start). False: the logs agree, read on.
 */
function divergedAt(read: PartitionRead, log: Partition): boolean {
  const p = read.req;
  try {
    const diverging = log.divergingEpoch(p.fetchOffset, p.lastFetchedEpoch, currentLeaderEpochOf(p));
    if (diverging === null) return false;
    read.res.divergingEpoch.epoch = diverging.epoch;
    read.res.divergingEpoch.endOffset = diverging.endOffset;
  } catch (err) {
    if (!(err instanceof KafkaError)) throw err;
    failed(read, err.code);
  }
  return true;
}

/**
 * Registers `cb` for when data past `offset` becomes readable: for read_committed on a partition
 * with transactions, when the LSO passes it (a transaction ending, or appends while none is open).
 */
function waitReadable(ctx: RequestContext, log: Partition, offset: number, limits: FetchLimits, cb: () => void): () => void {
  const follower = limits.replicaId >= 0 ? log.replication : null;
  if (follower !== null) return follower.waitForEnd(offset, cb);
  const readCommitted = limits.readCommitted;
  const state = readCommitted && ctx.txn.partitions.has(log.topic, log.partition) ? ctx.producers.peek(log) : undefined;
  if (!state) return log.waitForData(offset, cb);
  const hw = log.highWatermark;
  if (state.lastStableOffset(hw) > offset) {
    queueMicrotask(cb);
    return () => undefined;
  }
  // Data below the high watermark but past the LSO waits for its transaction to end.
  if (hw <= offset) return log.waitForData(offset, cb);
  return state.onTxnComplete(cb);
}

/**
 * Parks until min_bytes are read, the deadline passes, a partition must be answered at once or
 * the connection closes. Each waiting partition has one waiter; a woken partition is re-read with
 * what the others leave of max_bytes and, if it could still give more, waits again.
 */
async function longPoll(ctx: RequestContext, reads: PartitionRead[], bytes: number, limits: FetchLimits, deadline: number): Promise<void> {
  const woken: PartitionRead[] = [];
  let wake: (() => void) | null = null;
  const arm = (read: PartitionRead): void => {
    const log = ctx.partitions.get(read.topic, read.req.partition);
    let armed = true;
    const fire = (): void => {
      if (!armed) return; // a waiter may run after its cancel (queued microtask)
      armed = false;
      read.cancelWait = null;
      woken.push(read);
      wake?.();
    };
    if (!log) return fire(); // deleted meanwhile: the re-read answers UNKNOWN_TOPIC_OR_PARTITION
    const cancel = waitReadable(ctx, log, read.waitFrom!, limits, fire);
    read.cancelWait = () => {
      armed = false;
      cancel();
    };
  };
  const offClose = ctx.conn.onClose(() => wake?.());
  try {
    for (const read of reads) if (read.waitFrom !== null) arm(read);
    while (bytes < limits.minBytes && !ctx.conn.closed) {
      if (woken.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => wake?.(), left);
          wake = () => {
            wake = null;
            clearTimeout(timer);
            resolve();
          };
        });
        if (woken.length === 0) continue; // timer or close: the loop condition decides
      }
      for (const read of woken.splice(0)) {
        bytes -= read.size;
        const answerNow = await readPartition(ctx, read, Math.min(read.req.partitionMaxBytes, limits.maxBytes - bytes), bytes === 0, limits);
        bytes += read.size;
        if (answerNow) return;
        if (read.waitFrom !== null) arm(read);
      }
    }
  } finally {
    for (const read of reads) read.cancelWait?.();
    offClose();
  }
}

function respond(ctx: RequestContext, reads: PartitionRead[], fromFollower: boolean): FetchResponse {
  const responses: FetchResponseTopic[] = [];
  let topic: FetchResponseTopic | null = null;
  let topicOf: PartitionRead | null = null;
  const hints = ctx.version >= 16 ? new LeaderHints(ctx) : null;
  for (const r of reads) {
    if (r.size > 0) {
      const records: RecordSlices = { slices: r.slices, size: r.size };
      r.res.records = records;
      if (!fromFollower || !r.recorded) ctx.metrics.bytesOut(r.topic, r.size);
      r.throttledBy?.recordLeaderThrottledBytes(r.size);
    }
    if (hints !== null && r.res.errorCode !== ErrorCode.NONE) {
      const hint = hints.forError(r.topic, r.req.partition, r.res.errorCode);
      if (hint) r.res.currentLeader = { leaderId: hint.leaderId, leaderEpoch: hint.leaderEpoch };
    }
    // Reads come grouped by topic (distinctPartitions); v13+ names the topic by id only.
    if (topic === null || topicOf!.topic !== r.topic || topicOf!.topicId !== r.topicId) {
      responses.push((topic = newFetchResponseTopic({ topic: r.topic, topicId: r.topicId, partitions: [] })));
      topicOf = r;
    }
    topic.partitions.push(r.res);
  }
  return newFetchResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses, nodeEndpoints: hints?.endpoints() ?? [] });
}

export default defineHandler<FetchRequest, FetchResponse>({
  key: 1,
  minVersion: 0,
  maxVersion: 18,
  async handle(ctx, req) {
    if (ctx.version >= 7) {
      if (req.sessionId !== 0) return newFetchResponse({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
      if (req.sessionEpoch !== 0 && req.sessionEpoch !== -1) return newFetchResponse({ errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] });
    }
    const limits = limitsOf(ctx, req);
    const deadline = Date.now() + limits.maxWaitMs;
    const all = distinctPartitions(ctx, req);
    const reads = authorizedReads(ctx, all, limits.replicaId);
    try {
      let bytes = 0;
      // Kafka resolves topic ids (and authorization) before the read: with nothing left to read
      // it answers at once; the known partitions of a mixed request long-poll as usual.
      let answerNow = !reads.some((r) => !r.unknownId);
      for (const read of reads) {
        if (await readPartition(ctx, read, Math.min(read.req.partitionMaxBytes, limits.maxBytes - bytes), bytes === 0, limits)) answerNow = true;
        bytes += read.size;
      }
      if (!answerNow && bytes < limits.minBytes) await longPoll(ctx, reads, bytes, limits, deadline);
    } catch (err) {
      for (const read of reads) release(read);
      throw err;
    }
    if (ctx.conn.closed) {
      // Nobody will write the slices: unpin their segments now.
      for (const read of reads) release(read);
    }
    return respond(ctx, all, limits.replicaId >= 0);
  },
  externalBytes(res) {
    let n = 0;
    for (const t of res.responses) for (const p of t.partitions) if (p.records !== null && !Buffer.isBuffer(p.records)) n += p.records.size;
    return n;
  },
  errorResponse(_ctx, _req, code) {
    return newFetchResponse({ errorCode: code, sessionId: 0, responses: [] });
  },
});
