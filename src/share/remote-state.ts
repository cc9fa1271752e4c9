/**
 * The persister's requests to a share coordinator on another broker (cluster mode):
 * ReadShareGroupState (84) and WriteShareGroupState (85) v0 for the share-partition leader,
 * InitializeShareGroupState (83), DeleteShareGroupState (86) v0 and ReadShareGroupStateSummary
 * (87) v1 for the group coordinator's administration, one share partition each, over a
 * connection of the bundled client to that broker's inter-broker listener, kept open for the next
 * request and dropped when it fails. The answer's per-partition error becomes a KafkaError, which
 * the persister retries while the coordinator moves (persister.ts). The same connections carry
 * the dead-letter copies to a dead-letter partition led there (request, remote-dead-letter.ts).
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ErrorCode, KafkaError, type ErrorCodeValue } from '../../protocol/errors.js';
import type {
  DeleteShareGroupStateResponse,
  InitializeShareGroupStateResponse,
  ReadShareGroupStateResponse,
  ReadShareGroupStateSummaryResponse,
  WriteShareGroupStateResponse,
} from '../../protocol/generated/index.js';
import { BrokerConnection } from '../client/connection.js';
import type { SaslCredentials } from '../client/sasl-login.js';
import type { RemoteShareState } from './persister.js';
import type { StoredShareState } from './state-log.js';
import type { ShareStateSummary } from './state-coordinator.js';

const INITIALIZE_SHARE_GROUP_STATE = 83;
const READ_SHARE_GROUP_STATE = 84;
const WRITE_SHARE_GROUP_STATE = 85;
const DELETE_SHARE_GROUP_STATE = 86;
const READ_SHARE_GROUP_STATE_SUMMARY = 87;

/** The one partition result of a single-partition answer; its error as a KafkaError. */
function only<P extends { errorCode: number; errorMessage: string | null }>(res: { results: Array<{ partitions: P[] }> }, api: string): P {
  const p = res.results[0]?.partitions[0];
  if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `${api} answered no partition`);
  if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode as ErrorCodeValue, p.errorMessage ?? `${api} failed`);
  return p;
}

export interface RemoteShareStateOptions {
  brokerId: number;
  leaderOf(statePartition: number): number;
  addressOf(brokerId: number): { host: string; port: number; sasl?: SaslCredentials | null } | null;
  requestTimeoutMs: () => number;
  tls?: (() => TlsConnectionOptions) | null;
}

export class BrokerShareState implements RemoteShareState {
  private readonly conns = new Map<number, { address: string; conn: Promise<BrokerConnection> }>();
  private closed = false;

  constructor(private readonly opts: RemoteShareStateOptions) {}

  leaderOf(statePartition: number): number {
    return this.opts.leaderOf(statePartition);
  }

  async read(broker: number, groupId: string, topicId: Buffer, partition: number, leaderEpoch: number): Promise<StoredShareState | null> {
    const res = await this.send<ReadShareGroupStateResponse>(broker, READ_SHARE_GROUP_STATE, { groupId, topics: [{ topicId, partitions: [{ partition, leaderEpoch }] }] });
    const p = only(res, 'ReadShareGroupState');
    if (p.stateEpoch < 0) return null; // never written (Runnel's answer for no state)
    return { startOffset: p.startOffset, stateEpoch: p.stateEpoch, leaderEpoch: -1, batches: p.stateBatches.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })) };
  }

  async write(broker: number, groupId: string, topicId: Buffer, partition: number, state: StoredShareState): Promise<void> {
    const res = await this.send<WriteShareGroupStateResponse>(broker, WRITE_SHARE_GROUP_STATE, {
      groupId,
      topics: [{ topicId, partitions: [{ partition, stateEpoch: state.stateEpoch ?? -1, leaderEpoch: state.leaderEpoch ?? -1, startOffset: state.startOffset, stateBatches: state.batches }] }],
    });
    only(res, 'WriteShareGroupState');
  }

  async initialize(broker: number, groupId: string, topicId: Buffer, partition: number, stateEpoch: number, startOffset: number): Promise<void> {
    const res = await this.send<InitializeShareGroupStateResponse>(broker, INITIALIZE_SHARE_GROUP_STATE, { groupId, topics: [{ topicId, partitions: [{ partition, stateEpoch, startOffset }] }] });
    only(res, 'InitializeShareGroupState');
  }

  async remove(broker: number, groupId: string, topicId: Buffer, partition: number): Promise<void> {
    const res = await this.send<DeleteShareGroupStateResponse>(broker, DELETE_SHARE_GROUP_STATE, { groupId, topics: [{ topicId, partitions: [{ partition }] }] });
    only(res, 'DeleteShareGroupState');
  }

  async summary(broker: number, groupId: string, topicId: Buffer, partition: number): Promise<ShareStateSummary | null> {
    const res = await this.send<ReadShareGroupStateSummaryResponse>(broker, READ_SHARE_GROUP_STATE_SUMMARY, { groupId, topics: [{ topicId, partitions: [{ partition, leaderEpoch: -1 }] }] });
    const p = only(res, 'ReadShareGroupStateSummary');
    // Kafka's answer for no state: start offset -1 at state epoch 0 (and Runnel's: -1).
    if (p.startOffset < 0 && p.stateEpoch <= 0) return null;
    return { stateEpoch: p.stateEpoch, leaderEpoch: p.leaderEpoch, startOffset: p.startOffset, deliveryCompleteCount: p.deliveryCompleteCount };
  }

  close(): void {
    this.closed = true;
    for (const { conn } of this.conns.values()) void conn.then((c) => c.close()).catch(() => undefined);
    this.conns.clear();
  }

  /** Any request to `broker` over the held connection (dead-letter Produce and Fetch); throws KafkaError. */
  request<T extends object>(broker: number, apiKey: number, body: object): Promise<T> {
    return this.send<T>(broker, apiKey, body);
  }

  private async send<T extends object>(broker: number, apiKey: number, body: object): Promise<T> {
    let conn: BrokerConnection;
    try {
      conn = await this.connection(broker);
      // The coordinator waits up to its request.timeout.ms for the write's acknowledgement: give it that on top.
      return await conn.send<T>(apiKey, body, { extraTimeoutMs: this.opts.requestTimeoutMs() });
    } catch (err) {
      this.drop(broker);
      throw err instanceof KafkaError ? err : new KafkaError(ErrorCode.NETWORK_EXCEPTION, (err as Error).message);
    }
  }

  private async connection(broker: number): Promise<BrokerConnection> {
    if (this.closed) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'the broker is shutting down');
    const a = this.opts.addressOf(broker);
    if (a === null) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `broker ${broker} is not registered`);
    const address = `${a.host}:${a.port}`;
    const held = this.conns.get(broker);
    if (held !== undefined && held.address === address) {
      const c = await held.conn.catch(() => null);
      if (c !== null && !c.closed) return c;
    }
    this.drop(broker);
    const t = this.opts.requestTimeoutMs();
    const entry = {
      address,
      conn: BrokerConnection.open(a.host, a.port, { clientId: `broker-${this.opts.brokerId}-share-state-${broker}`, connectTimeoutMs: t, requestTimeoutMs: t, tls: this.opts.tls?.(), sasl: a.sasl }),
    };
    this.conns.set(broker, entry);
    entry.conn.catch(() => {
      if (this.conns.get(broker) === entry) this.conns.delete(broker);
    });
    return entry.conn;
  }

  private drop(broker: number): void {
    const held = this.conns.get(broker);
    if (held === undefined) return;
    this.conns.delete(broker);
    void held.conn.then((c) => c.close()).catch(() => undefined);
  }
}
