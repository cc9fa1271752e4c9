/**
 * The MarkerSender of a cluster (markers.ts; Kafka's TransactionMarkerChannelManager, written from
 * its behaviour): a transaction's COMMIT/ABORT markers go to each partition's leader.
 *
 * - A partition this broker leads gets its marker appended here (appendMarkerLocally), as on one
 *   node.
 * - The others are grouped by their leader in the metadata image, and each leader gets one
 *   WriteTxnMarkers request (the version both speak, v1) with the marker and its partitions (split
 *   at runnel.request.max.entries partitions, which a broker serves at most per request), over
 *   a connection of the bundled client (src/client/connection.ts) to its inter-broker listener,
 *   kept open for the next markers. That broker appends them as its handler does for any
 *   WriteTxnMarkers (acks=all semantics, bounded by its request.timeout.ms) and answers one error
 *   code per partition, which is what this sender resolves with.
 * - A partition without a leader now (an election under way), or one the image says this broker
 *   leads before the replica manager made it leader, answers NOT_LEADER_OR_FOLLOWER; a leader not
 *   reachable (connection refused or closed, request timed out) NETWORK_EXCEPTION, and its
 *   connection is dropped. The coordinator retries every such code (txn-completion.ts), by which
 *   time the image names the new leader — the port's contract.
 * - INVALID_PRODUCER_EPOCH from a leader means a newer epoch of the producer already reached the
 *   partition, so this transaction there was ended by the newer epoch's abort: there is nothing
 *   left to mark (Kafka's coordinator stops sending such a marker too), answered NONE.
 * - A topic unknown here (deleted) answers UNKNOWN_TOPIC_OR_PARTITION: nothing left to mark.
 *
 * The same connections carry the other broker-to-broker transaction request, KIP-890 part 2's
 * implicit add (addToTransaction): a partition led here receiving a transaction-version-2 write of
 * a transactional id coordinated elsewhere asks that coordinator, AddPartitionsToTxn v5 without
 * verify_only, before appending; a write of an older client is verified there the same way, with
 * verify_only (KIP-890 part 1).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/generated/index.js';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { BrokerConnection } from '../client/connection.js';
import type { SaslCredentials } from '../client/sasl-login.js';
import type { Logger } from '../logger.js';
import { appendMarkerLocally, type LocalMarkerDeps, type MarkerSender, type TxnMarker } from './markers.js';

const WRITE_TXN_MARKERS = 27;
const ADD_PARTITIONS_TO_TXN = 24;
const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Where partitions are led and how other brokers are reached (the broker wires them from the metadata image). */
export interface MarkerRouting {
  /** This broker's node.id. */
  readonly brokerId: number;
  /** The partition's leader in the metadata image; -1 when it has none now. */
  leaderOf(topic: string, partition: number): number;
  /** A broker's inter-broker listener; null when it is not registered now. */
  addressOf(brokerId: number): { host: string; port: number; sasl?: SaslCredentials | null } | null;
}

/** What a connection to another broker must do (BrokerConnection satisfies it; tests fake it). */
export interface MarkerConnection {
  send<T extends object>(apiKey: number, body: object, options?: { extraTimeoutMs?: number }): Promise<T>;
  close(): void;
  readonly closed: boolean;
}

export type MarkerConnect = (brokerId: number, address: { host: string; port: number }) => Promise<MarkerConnection>;

export interface ClusterMarkerOptions {
  /** What appending a marker here needs (config's request.timeout.ms also bounds the remote requests). */
  local: LocalMarkerDeps;
  routing: MarkerRouting;
  log: Logger;
  /** Tests: replaces the connections to other brokers. */
  connect?: MarkerConnect;
  /** tls.connect options when the inter-broker listener uses TLS (read per connection: certificates reload). */
  tls?: (() => TlsConnectionOptions) | null;
}

export class ClusterMarkerSender implements MarkerSender {
  private readonly conns = new Map<number, { address: string; conn: Promise<MarkerConnection> }>();
  private readonly connect: MarkerConnect;
  private closed = false;

  constructor(private readonly opts: ClusterMarkerOptions) {
    this.connect = opts.connect ?? ((id, a) => this.open(id, a));
  }

  async send(marker: TxnMarker, partitions: ReadonlyArray<readonly [string, number]>): Promise<number[]> {
    const { local, routing } = this.opts;
    const codes = new Array<number>(partitions.length).fill(ErrorCode.UNKNOWN_SERVER_ERROR);
    const work: Array<Promise<void>> = [];
    const byLeader = new Map<number, number[]>();
    partitions.forEach(([topic, partition], i) => {
      if (local.partitions.get(topic, partition)?.isLeader) {
        work.push(
          appendMarkerLocally(local, topic, partition, marker, false).then(
            (code) => void (codes[i] = code),
            (err: unknown) => void (codes[i] = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR),
          ),
        );
        return;
      }
      const t = local.topics.get(topic);
      if (!t || partition < 0 || partition >= t.partitions) {
        codes[i] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        return;
      }
      const leader = routing.leaderOf(topic, partition);
      if (leader < 0 || leader === routing.brokerId) {
        codes[i] = ErrorCode.NOT_LEADER_OR_FOLLOWER;
        return;
      }
      const list = byLeader.get(leader) ?? [];
      byLeader.set(leader, list);
      list.push(i);
    });
    // A leader closes the connection on a request listing more than runnel.request.max.entries
    // partitions: a transaction with more partitions there gets several requests.
    const chunk = Math.max(1, this.opts.local.config.int('runnel.request.max.entries'));
    for (const [leader, indexes] of byLeader) {
      for (let i = 0; i < indexes.length; i += chunk) work.push(this.sendTo(leader, marker, partitions, indexes.slice(i, i + chunk), codes));
    }
    await Promise.all(work);
    return codes;
  }

  async addToTransaction(stateLogPartition: number, transactionalId: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>, verifyOnly = false): Promise<number> {
    const coordinator = this.opts.routing.leaderOf(TRANSACTION_STATE_TOPIC, stateLogPartition);
    if (coordinator < 0 || coordinator === this.opts.routing.brokerId) return ErrorCode.NOT_COORDINATOR;
    const topics = new Map<string, number[]>();
    for (const [topic, partition] of parts) topics.set(topic, [...(topics.get(topic) ?? []), partition]);
    const request: Partial<AddPartitionsToTxnRequest> = {
      transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly, topics: [...topics].map(([name, partitions]) => ({ name, partitions })) }],
    };
    try {
      const conn = await this.connection(coordinator);
      const res = await conn.send<AddPartitionsToTxnResponse>(ADD_PARTITIONS_TO_TXN, request, { extraTimeoutMs: this.requestTimeoutMs });
      if (res.errorCode !== ErrorCode.NONE) return res.errorCode;
      const codes = res.resultsByTransaction.flatMap((t) => t.topicResults.flatMap((r) => r.resultsByPartition.map((p) => p.partitionErrorCode)));
      return codes.find((c) => c !== ErrorCode.NONE) ?? (codes.length > 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_SERVER_ERROR);
    } catch (err) {
      this.opts.log.debug({ coordinator, transactionalId, err: (err as Error).message }, 'implicit add to a transaction not delivered; the producer retries');
      this.drop(coordinator);
      return err instanceof KafkaError ? err.code : ErrorCode.NETWORK_EXCEPTION;
    }
  }

  /** Closes the connections (broker shutdown); later sends answer NETWORK_EXCEPTION. */
  close(): void {
    this.closed = true;
    for (const { conn } of this.conns.values()) void conn.then((c) => c.close()).catch(() => undefined);
    this.conns.clear();
  }

  /** One WriteTxnMarkers to `leader` for the partitions at `indexes`; fills their codes. Never rejects. */
  private async sendTo(leader: number, marker: TxnMarker, partitions: ReadonlyArray<readonly [string, number]>, indexes: number[], codes: number[]): Promise<void> {
    const topics = new Map<string, number[]>();
    for (const i of indexes) {
      const [topic, partition] = partitions[i]!;
      const list = topics.get(topic) ?? [];
      topics.set(topic, list);
      list.push(partition);
    }
    const request: Partial<WriteTxnMarkersRequest> = {
      markers: [
        {
          producerId: marker.producerId,
          producerEpoch: marker.producerEpoch,
          transactionResult: marker.commit,
          coordinatorEpoch: marker.coordinatorEpoch,
          topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        },
      ],
    };
    let res: WriteTxnMarkersResponse;
    try {
      const conn = await this.connection(leader);
      // The leader waits up to its request.timeout.ms for the markers' acknowledgement: give it that on top.
      res = await conn.send<WriteTxnMarkersResponse>(WRITE_TXN_MARKERS, request, { extraTimeoutMs: this.requestTimeoutMs });
    } catch (err) {
      this.opts.log.debug({ leader, err: (err as Error).message }, 'transaction markers not delivered; the coordinator retries');
      this.drop(leader);
      for (const i of indexes) codes[i] = err instanceof KafkaError ? err.code : ErrorCode.NETWORK_EXCEPTION;
      return;
    }
    const answered = new Map<string, number>();
    for (const m of res.markers) {
      for (const t of m.topics) for (const p of t.partitions) answered.set(`${p.partitionIndex}:${t.name}`, p.errorCode);
    }
    for (const i of indexes) {
      const [topic, partition] = partitions[i]!;
      const code = answered.get(`${partition}:${topic}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      codes[i] = code === ErrorCode.INVALID_PRODUCER_EPOCH ? ErrorCode.NONE : code;
    }
  }

  private get requestTimeoutMs(): number {
    return this.opts.local.config.int('request.timeout.ms');
  }

  /** The open connection to `brokerId` at its current address (a new one when it moved or closed). */
  private async connection(brokerId: number): Promise<MarkerConnection> {
    if (this.closed) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'the broker is shutting down');
    const a = this.opts.routing.addressOf(brokerId);
    if (a === null) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `broker ${brokerId} is not registered`);
    const address = `${a.host}:${a.port}`;
    const held = this.conns.get(brokerId);
    if (held !== undefined) {
      const c = await held.conn.catch(() => null);
      if (c !== null && !c.closed && held.address === address) return c;
      if (this.conns.get(brokerId) === held) {
        this.conns.delete(brokerId);
        c?.close();
      }
      const other = this.conns.get(brokerId);
      if (other !== undefined && other.address === address) return other.conn;
    }
    const entry = { address, conn: this.connect(brokerId, a) };
    this.conns.set(brokerId, entry);
    entry.conn.catch(() => {
      if (this.conns.get(brokerId) === entry) this.conns.delete(brokerId);
    });
    return entry.conn;
  }

  private drop(brokerId: number): void {
    const held = this.conns.get(brokerId);
    if (held === undefined) return;
    this.conns.delete(brokerId);
    void held.conn.then((c) => c.close()).catch(() => undefined);
  }

  private open(brokerId: number, a: { host: string; port: number; sasl?: SaslCredentials | null }): Promise<MarkerConnection> {
    const t = this.requestTimeoutMs;
    return BrokerConnection.open(a.host, a.port, { clientId: `broker-${this.opts.routing.brokerId}-txn-markers-${brokerId}`, connectTimeoutMs: t, requestTimeoutMs: t, tls: this.opts.tls?.(), sasl: a.sasl });
  }
}
