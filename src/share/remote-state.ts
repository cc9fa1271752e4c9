/**
 * The persister's requests to a share coordinator on another broker (cluster mode):
 * ReadShareGroupState (84) and WriteShareGroupState (85) v0, one share partition each, over a
 * connection of the bundled client to that broker's inter-broker listener, kept open for the next
 * request and dropped when it fails. The answer's per-partition error becomes a KafkaError, which
 * the persister retries while the coordinator moves (persister.ts). The same connections carry
 * the dead-letter copies to a dead-letter partition led there (request, remote-dead-letter.ts).
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ErrorCode, KafkaError, type ErrorCodeValue } from '../../protocol/errors.js';
import type { ReadShareGroupStateResponse, WriteShareGroupStateResponse } from '../../protocol/generated/index.js';
import { BrokerConnection } from '../client/connection.js';
import type { SaslCredentials } from '../client/sasl-login.js';
import type { RemoteShareState } from './persister.js';
import type { StoredShareState } from './state-log.js';

const READ_SHARE_GROUP_STATE = 84;
const WRITE_SHARE_GROUP_STATE = 85;

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
    const p = res.results[0]?.partitions[0];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'ReadShareGroupState answered no partition');
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode as ErrorCodeValue, p.errorMessage ?? 'ReadShareGroupState failed');
    if (p.startOffset < 0) return null; // never written
    return { startOffset: p.startOffset, leaderEpoch: -1, batches: p.stateBatches.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })) };
  }

  async write(broker: number, groupId: string, topicId: Buffer, partition: number, state: StoredShareState): Promise<void> {
    const res = await this.send<WriteShareGroupStateResponse>(broker, WRITE_SHARE_GROUP_STATE, {
      groupId,
      topics: [{ topicId, partitions: [{ partition, stateEpoch: 0, leaderEpoch: state.leaderEpoch ?? -1, startOffset: state.startOffset, stateBatches: state.batches }] }],
    });
    const p = res.results[0]?.partitions[0];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'WriteShareGroupState answered no partition');
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode as ErrorCodeValue, p.errorMessage ?? 'WriteShareGroupState failed');
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
