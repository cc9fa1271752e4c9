/**
 * A capturing TCP proxy for the Kafka protocol, for tests and for recording golden frames.
 *
 * Each client connection gets its own upstream connection. Bytes are cut into frames (4-byte
 * big-endian size, then the frame) in both directions and forwarded frame by frame, so the proxy
 * can record every request and response and can interfere at frame boundaries:
 * `cutAfterNextRequestOf(apiKey)` forwards the next such request, waits for the broker's response,
 * drops that response and closes both sockets — the client sees its request vanish after the
 * broker acted on it (what an idempotent producer's retry needs).
 *
 * A response frame carries only a correlation id: its api key and version come from the request
 * with that id on the same connection.
 *
 * Clients learn broker addresses from Metadata and FindCoordinator responses, and would then
 * bypass the proxy. Start the proxy first (port 0), then start the broker advertising the proxy's
 * address (`advertised.listeners`), and point the proxy at the broker with `setUpstream()`.
 * The proxy forwards frames unchanged unless a `transformResponse` hook is set.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';

export type Direction = 'request' | 'response';

export interface CapturedFrame {
  /** Sequence number of the client connection (1-based, in accept order). */
  connection: number;
  direction: Direction;
  /** -1 for a response whose request was not seen. */
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** From the request header (request header v1+); a response carries its request's. */
  clientId: string | null;
  /** The frame without its 4-byte size prefix: header and body. */
  payload: Buffer;
  /** Date.now() when the frame was complete. */
  at: number;
}

export interface ProxyOptions {
  upstreamHost?: string;
  upstreamPort?: number;
  /** Listen address (default 127.0.0.1) and port (default 0: a free port). */
  host?: string;
  port?: number;
  /** Keep frames in `frames` (default true). Turn off for long runs that only need cutting. */
  record?: boolean;
  /** Frames larger than this are forwarded but not kept (default 16 MiB). */
  maxRecordedFrame?: number;
  /** See KafkaProxy.transformResponse. */
  transformResponse?: ResponseTransform;
}

/**
 * Replaces a response frame (without size prefix) before it is forwarded to the client. The
 * recorded frame is always the broker's original.
 */
export type ResponseTransform = (frame: Buffer, info: { connection: number; apiKey: number; apiVersion: number; correlationId: number }) => Buffer;

export interface CutResult {
  connection: number;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  request: Buffer;
  /** The response the broker sent and the client never got (null if 'request' mode). */
  response: Buffer | null;
}

interface PendingCut {
  apiKey: number;
  mode: 'response' | 'request';
  resolve: (r: CutResult) => void;
  reject: (e: Error) => void;
}

/** Frames larger than this are a protocol error (the broker's limit is far lower). */
const MAX_FRAME = 1 << 30;

/** Kafka API names by key (for file names and messages). */
export const KAFKA_API_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'Produce'], [1, 'Fetch'], [2, 'ListOffsets'], [3, 'Metadata'], [4, 'LeaderAndIsr'], [5, 'StopReplica'],
  [6, 'UpdateMetadata'], [7, 'ControlledShutdown'], [8, 'OffsetCommit'], [9, 'OffsetFetch'], [10, 'FindCoordinator'],
  [11, 'JoinGroup'], [12, 'Heartbeat'], [13, 'LeaveGroup'], [14, 'SyncGroup'], [15, 'DescribeGroups'], [16, 'ListGroups'],
  [17, 'SaslHandshake'], [18, 'ApiVersions'], [19, 'CreateTopics'], [20, 'DeleteTopics'], [21, 'DeleteRecords'],
  [22, 'InitProducerId'], [23, 'OffsetForLeaderEpoch'], [24, 'AddPartitionsToTxn'], [25, 'AddOffsetsToTxn'], [26, 'EndTxn'],
  [27, 'WriteTxnMarkers'], [28, 'TxnOffsetCommit'], [29, 'DescribeAcls'], [30, 'CreateAcls'], [31, 'DeleteAcls'],
  [32, 'DescribeConfigs'], [33, 'AlterConfigs'], [34, 'AlterReplicaLogDirs'], [35, 'DescribeLogDirs'], [36, 'SaslAuthenticate'],
  [37, 'CreatePartitions'], [38, 'CreateDelegationToken'], [39, 'RenewDelegationToken'], [40, 'ExpireDelegationToken'],
  [41, 'DescribeDelegationToken'], [42, 'DeleteGroups'], [43, 'ElectLeaders'], [44, 'IncrementalAlterConfigs'],
  [45, 'AlterPartitionReassignments'], [46, 'ListPartitionReassignments'], [47, 'OffsetDelete'], [48, 'DescribeClientQuotas'],
  [49, 'AlterClientQuotas'], [50, 'DescribeUserScramCredentials'], [51, 'AlterUserScramCredentials'], [52, 'Vote'],
  [53, 'BeginQuorumEpoch'], [54, 'EndQuorumEpoch'], [55, 'DescribeQuorum'], [56, 'AlterPartition'], [57, 'UpdateFeatures'],
  [58, 'Envelope'], [59, 'FetchSnapshot'], [60, 'DescribeCluster'], [61, 'DescribeProducers'], [62, 'BrokerRegistration'],
  [63, 'BrokerHeartbeat'], [64, 'UnregisterBroker'], [65, 'DescribeTransactions'], [66, 'ListTransactions'],
  [67, 'AllocateProducerIds'], [68, 'ConsumerGroupHeartbeat'], [69, 'ConsumerGroupDescribe'], [70, 'ControllerRegistration'],
  [71, 'GetTelemetrySubscriptions'], [72, 'PushTelemetry'], [73, 'AssignReplicasToDirs'], [74, 'ListConfigResources'],
  [75, 'DescribeTopicPartitions'], [76, 'ShareGroupHeartbeat'], [77, 'ShareGroupDescribe'], [78, 'ShareFetch'],
  [79, 'ShareAcknowledge'], [80, 'AddRaftVoter'], [81, 'RemoveRaftVoter'], [82, 'UpdateRaftVoter'],
  [83, 'InitializeShareGroupState'], [84, 'ReadShareGroupState'], [85, 'WriteShareGroupState'],
  [86, 'DeleteShareGroupState'], [87, 'ReadShareGroupStateSummary'], [88, 'StreamsGroupHeartbeat'],
  [89, 'StreamsGroupDescribe'], [90, 'DescribeShareGroupOffsets'], [91, 'AlterShareGroupOffsets'],
  [92, 'DeleteShareGroupOffsets'],
]);

export function apiName(key: number): string {
  return KAFKA_API_NAMES.get(key) ?? `Api${key}`;
}

/** Splits a byte stream into size-prefixed frames. */
class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds bytes; returns the frames now complete (without size prefix), or an error message. */
  push(data: Buffer): Buffer[] | string {
    this.chunks.push(data);
    this.buffered += data.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const size = head.readInt32BE(0);
      if (size < 0 || size > MAX_FRAME) return `bad frame size ${size}`;
      if (this.buffered < 4 + size) break;
      this.take(4);
      out.push(this.take(size));
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }

  private take(n: number): Buffer {
    const first = this.peek(n);
    const out = Buffer.from(first.subarray(0, n)); // copy: frames outlive the socket's buffers
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}

function sizePrefixed(frame: Buffer): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeInt32BE(frame.length, 0);
  return Buffer.concat([head, frame]);
}

/** api key, version, correlation id and client id of a request frame (null if too short). */
export function parseRequestHeader(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null } | null {
  if (frame.length < 8) return null;
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  let clientId: string | null = null;
  // ControlledShutdown v0 has request header v0 (no client id); every other request has v1+.
  if (frame.length >= 10 && !(apiKey === 7 && apiVersion === 0)) {
    const len = frame.readInt16BE(8);
    if (len >= 0 && frame.length >= 10 + len) clientId = frame.toString('utf8', 10, 10 + len);
  }
  return { apiKey, apiVersion, correlationId, clientId };
}

class ProxyConnection {
  readonly pending = new Map<number, { apiKey: number; apiVersion: number; clientId: string | null }>();
  private readonly up = new FrameSplitter();
  private readonly down = new FrameSplitter();
  /** correlation id → the cut waiting for this response. */
  private readonly cutting = new Map<number, { cut: PendingCut; request: Buffer; apiKey: number; apiVersion: number }>();
  closed = false;

  constructor(
    readonly id: number,
    readonly client: net.Socket,
    readonly upstream: net.Socket,
    private readonly proxy: KafkaProxy,
  ) {
    client.on('data', (d: Buffer) => this.fromClient(d));
    upstream.on('data', (d: Buffer) => this.fromUpstream(d));
    const close = (): void => this.close();
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
    // Backpressure: a slow reader pauses the other side.
    client.on('drain', () => upstream.resume());
    upstream.on('drain', () => client.resume());
  }

  private fromClient(data: Buffer): void {
    const frames = this.up.push(data);
    if (typeof frames === 'string') return this.close();
    for (const frame of frames) {
      if (this.closed) return;
      const h = parseRequestHeader(frame);
      if (h !== null) this.pending.set(h.correlationId, { apiKey: h.apiKey, apiVersion: h.apiVersion, clientId: h.clientId });
      this.proxy.recordFrame({
        connection: this.id,
        direction: 'request',
        apiKey: h?.apiKey ?? -1,
        apiVersion: h?.apiVersion ?? -1,
        correlationId: h?.correlationId ?? -1,
        clientId: h?.clientId ?? null,
        payload: frame,
        at: Date.now(),
      });
      const cut = h === null ? undefined : this.proxy.takeCut(h.apiKey);
      if (!this.upstream.write(sizePrefixed(frame))) this.client.pause();
      if (cut !== undefined && h !== null) {
        if (cut.mode === 'request') {
          cut.resolve({ connection: this.id, apiKey: h.apiKey, apiVersion: h.apiVersion, correlationId: h.correlationId, request: frame, response: null });
          // Let the request reach the broker before closing (end() flushes what was written).
          this.upstream.end();
          this.client.destroy();
          this.closed = true;
          return;
        }
        this.cutting.set(h.correlationId, { cut, request: frame, apiKey: h.apiKey, apiVersion: h.apiVersion });
      }
    }
  }

  private fromUpstream(data: Buffer): void {
    const frames = this.down.push(data);
    if (typeof frames === 'string') return this.close();
    for (const frame of frames) {
      if (this.closed) return;
      const correlationId = frame.length >= 4 ? frame.readInt32BE(0) : -1;
      const req = this.pending.get(correlationId);
      this.pending.delete(correlationId);
      this.proxy.recordFrame({
        connection: this.id,
        direction: 'response',
        apiKey: req?.apiKey ?? -1,
        apiVersion: req?.apiVersion ?? -1,
        correlationId,
        clientId: req?.clientId ?? null,
        payload: frame,
        at: Date.now(),
      });
      const cutting = this.cutting.get(correlationId);
      if (cutting !== undefined) {
        this.cutting.delete(correlationId);
        this.close();
        cutting.cut.resolve({
          connection: this.id,
          apiKey: cutting.apiKey,
          apiVersion: cutting.apiVersion,
          correlationId,
          request: cutting.request,
          response: frame,
        });
        return;
      }
      const transform = this.proxy.transformResponse;
      const forward = transform === undefined ? frame : transform(frame, { connection: this.id, apiKey: req?.apiKey ?? -1, apiVersion: req?.apiVersion ?? -1, correlationId });
      if (!this.client.write(sizePrefixed(forward))) this.upstream.pause();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.upstream.destroy();
    for (const { cut } of this.cutting.values()) cut.reject(new Error('connection closed before the response to the cut request arrived'));
    this.cutting.clear();
    this.proxy.forget(this);
  }
}

export class KafkaProxy extends EventEmitter {
  /** Every frame seen since start (or the last clear()), in order, when recording is on. */
  readonly frames: CapturedFrame[] = [];
  private server: net.Server | null = null;
  private readonly connections = new Set<ProxyConnection>();
  private readonly cuts: PendingCut[] = [];
  private nextConnection = 1;
  private upstreamHost: string | undefined;
  private upstreamPort: number | undefined;
  private readonly record: boolean;
  private readonly maxRecordedFrame: number;
  host: string;
  port: number;
  /** When set, every response passes through it on its way to the client (tests may swap it). */
  transformResponse: ResponseTransform | undefined;

  constructor(private readonly opts: ProxyOptions = {}) {
    super();
    this.upstreamHost = opts.upstreamHost;
    this.upstreamPort = opts.upstreamPort;
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.record = opts.record ?? true;
    this.maxRecordedFrame = opts.maxRecordedFrame ?? 16 << 20;
    this.transformResponse = opts.transformResponse;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /** Where new client connections are forwarded (existing ones keep their upstream). */
  setUpstream(host: string, port: number): void {
    this.upstreamHost = host;
    this.upstreamPort = port;
  }

  async start(): Promise<{ host: string; port: number }> {
    if (this.server !== null) throw new Error('proxy already started');
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as net.AddressInfo).port;
    return { host: this.host, port: this.port };
  }

  private accept(client: net.Socket): void {
    client.setNoDelay(true);
    if (this.upstreamPort === undefined) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: this.upstreamHost ?? '127.0.0.1', port: this.upstreamPort });
    upstream.setNoDelay(true);
    // Hold the client's bytes until the upstream connects (net buffers writes before connect).
    const conn = new ProxyConnection(this.nextConnection++, client, upstream, this);
    this.connections.add(conn);
    this.emit('connection', conn.id);
  }

  /** @internal */
  recordFrame(f: CapturedFrame): void {
    if (this.record && f.payload.length <= this.maxRecordedFrame) this.frames.push(f);
    this.emit('frame', f);
  }

  /** @internal */
  takeCut(apiKey: number): PendingCut | undefined {
    const i = this.cuts.findIndex((c) => c.apiKey === apiKey);
    if (i < 0) return undefined;
    return this.cuts.splice(i, 1)[0];
  }

  /** @internal */
  forget(conn: ProxyConnection): void {
    this.connections.delete(conn);
  }

  /**
   * Arms a one-shot cut: the next request with this api key (on any connection) is forwarded to
   * the broker; by default ('response') the proxy then waits for the broker's response, drops it
   * and closes the client and upstream sockets. With mode 'request' it closes right after
   * forwarding the request (the broker may or may not process it). Resolves once the cut happened.
   */
  cutAfterNextRequestOf(apiKey: number, mode: 'response' | 'request' = 'response'): Promise<CutResult> {
    return new Promise((resolve, reject) => this.cuts.push({ apiKey, mode, resolve, reject }));
  }

  /** Frames kept so far, filtered. */
  framesOf(filter: { apiKey?: number; direction?: Direction; connection?: number } = {}): CapturedFrame[] {
    return this.frames.filter(
      (f) =>
        (filter.apiKey === undefined || f.apiKey === filter.apiKey) &&
        (filter.direction === undefined || f.direction === filter.direction) &&
        (filter.connection === undefined || f.connection === filter.connection),
    );
  }

  clear(): void {
    this.frames.length = 0;
  }

  /** Number of open client connections. */
  get openConnections(): number {
    return this.connections.size;
  }

  /** Closes every client connection (the listener stays open). */
  dropConnections(): void {
    for (const c of [...this.connections]) c.close();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.dropConnections();
    for (const c of this.cuts.splice(0)) c.reject(new Error('proxy stopped'));
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
