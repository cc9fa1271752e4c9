/**
 * Broker-bound throughput: a near-zero-cost client (raw sockets, our own codecs, batches built
 * once) so the numbers show what the broker process can take and serve, apart from any client
 * library's own CPU.
 *
 * - produce: the same pre-built ~1 MiB RecordBatch per partition (uncompressed, `size`-byte
 *   values) sent over one connection with up to `inFlight` Produce requests outstanding (acks=-1);
 *   the broker stamps offsets into its copy of the bytes, so re-sending one buffer is fine.
 * - consume: Fetch v12 for all partitions from offset 0 to the end, one request at a time (as
 *   librdkafka does per broker), partition_max_bytes 4 MiB; responses are read whole and only the
 *   batch headers are walked to find the next offsets.
 *
 *   npx tsx bench/data-path/raw-throughput.ts [--count 200000] [--size 1024]
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { Reader } from '../../protocol/primitives.js';
import { readResponseHeader } from '../../protocol/headers.js';
import { API_CODECS, newProduceRequestPartition, newProduceRequestTopic, type FetchResponse } from '../../protocol/generated/index.js';
import { RawClient } from '../../test/helpers/raw-client.js';
import { rawFetchFrame } from './clients.js';
import { createTopic, startBenchBroker, type Rate } from './produce-consume.js';
import { isMain } from '../is-main.js';

const PARTITIONS = 6;

class FrameSocket {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiting: (() => void) | null = null;
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.buffered += d.length;
      const w = this.waiting;
      this.waiting = null;
      w?.();
    });
  }
  /** A TCP connection, or TLS with `tls` options (bench/data-path/tls-throughput.ts). */
  static open(host: string, port: number, tls?: TlsConnectionOptions): Promise<FrameSocket> {
    return new Promise((resolve, reject) => {
      const s = tls ? tlsConnect({ host, port, ...tls }, () => resolve(new FrameSocket(s))) : connect({ host, port }, () => resolve(new FrameSocket(s)));
      s.setNoDelay(true);
      s.once('error', reject);
    });
  }
  private take(n: number): Buffer {
    const out = this.chunks.length === 1 && this.chunks[0]!.length >= n ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = out.length > n ? [out.subarray(n)] : [];
    this.buffered -= n;
    return out.subarray(0, n);
  }
  async frame(): Promise<Buffer> {
    for (;;) {
      if (this.buffered >= 4) {
        const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : Buffer.concat(this.chunks);
        const size = head.readInt32BE(0);
        if (this.buffered >= 4 + size) {
          this.take(4);
          return this.take(size);
        }
      }
      await new Promise<void>((r) => (this.waiting = r));
    }
  }
}

export async function rawProduceRate(host: string, port: number, topic: string, count: number, size: number, inFlight = 8, tls?: TlsConnectionOptions): Promise<Rate> {
  const perBatch = Math.max(1, Math.floor((1000 * 1024) / (size + 20)));
  const value = Buffer.alloc(size, 'v'.charCodeAt(0));
  const batchBuf = buildBatchSync(Array.from({ length: perBatch }, () => ({ value })));
  const requests = Math.ceil(count / perBatch);
  const sock = await FrameSocket.open(host, port, tls);
  const codec = API_CODECS.get(0)!;
  const t0 = performance.now();
  let sent = 0;
  let done = 0;
  let corr = 1;
  const send = (): void => {
    const partition = sent % PARTITIONS;
    const body = codec.newRequest({ acks: -1, timeoutMs: 30_000, transactionalId: null, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records: batchBuf })] })] });
    sock.socket.write(RawClient.encodeRequest(0, 9, body, corr++));
    sent++;
  };
  while (sent < Math.min(inFlight, requests)) send();
  while (done < requests) {
    const f = await sock.frame();
    const r = new Reader(f);
    readResponseHeader(r, true);
    const res = codec.decodeResponse(r, 9) as any;
    const p = res.responses[0].partitionResponses[0];
    if (p.errorCode !== 0) throw new Error(`produce error ${p.errorCode} ${p.errorMessage}`);
    done++;
    if (sent < requests) send();
  }
  const secs = (performance.now() - t0) / 1000;
  sock.socket.destroy();
  const n = requests * perBatch;
  return { secs, count: n, msgPerSec: n / secs, MBps: (n * size) / 1e6 / secs };
}

/** Next offset after the last whole batch in a record set (only batch headers are read). */
function nextOffset(records: Buffer, from: number): number {
  let at = 0;
  let next = from;
  while (at + 61 <= records.length) {
    const len = records.readInt32BE(at + 8) + 12;
    if (at + len > records.length) break;
    next = Number(records.readBigInt64BE(at)) + records.readInt32BE(at + 23) + 1;
    at += len;
  }
  return next;
}

export async function rawConsumeRate(host: string, port: number, topic: string, size: number, tls?: TlsConnectionOptions): Promise<Rate & { bytes: number }> {
  const sock = await FrameSocket.open(host, port, tls);
  const offsets = new Array(PARTITIONS).fill(0) as number[];
  const ends = new Array(PARTITIONS).fill(-1) as number[];
  const fetchCodec = API_CODECS.get(1)!;
  let bytes = 0;
  let records = 0;
  let corr = 1;
  const t0 = performance.now();
  for (;;) {
    // One request naming every partition not yet at its end, like a client's fetch loop.
    const parts = offsets.map((o, p) => [p, o] as const).filter(([p, o]) => ends[p] < 0 || o < ends[p]!);
    if (parts.length === 0) break;
    const frame = RawClient.encodeRequest(1, 12, fetchCodec.newRequest({
      replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, topicId: Buffer.alloc(16), partitions: parts.map(([p, o]) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: o, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 4 << 20 })) }],
      forgottenTopicsData: [], rackId: '',
    }), corr++);
    sock.socket.write(frame);
    const f = await sock.frame();
    const r = new Reader(f);
    readResponseHeader(r, true);
    const res = fetchCodec.decodeResponse(r, 12) as FetchResponse;
    for (const t of res.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
        ends[p.partitionIndex] = p.highWatermark;
        const recs = p.records as Buffer;
        bytes += recs.length;
        const before = offsets[p.partitionIndex]!;
        offsets[p.partitionIndex] = nextOffset(recs, before);
        records += offsets[p.partitionIndex]! - before;
      }
    }
  }
  const secs = (performance.now() - t0) / 1000;
  sock.socket.destroy();
  return { secs, count: records, bytes, msgPerSec: records / secs, MBps: (records * size) / 1e6 / secs };
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (n: string, d: number): number => (args.includes(`--${n}`) ? Number(args[args.indexOf(`--${n}`) + 1]) : d);
  const count = opt('count', 200_000);
  const size = opt('size', 1024);
  const broker = await startBenchBroker();
  const [host, port] = broker.bootstrap.split(':') as [string, string];
  try {
    for (let i = 0; i < 3; i++) {
      const topic = `raw-${i}`;
      await createTopic(broker.bootstrap, topic);
      const p = await rawProduceRate(host, Number(port), topic, count, size);
      const c = await rawConsumeRate(host, Number(port), topic, size);
      console.log(`raw ${count} x ${size} B: produce ${p.MBps.toFixed(0)} MB/s ${Math.round(p.msgPerSec)} msg/s; consume ${c.MBps.toFixed(0)} MB/s ${Math.round(c.msgPerSec)} msg/s (${c.count} records)`);
    }
  } finally {
    await broker.stop();
  }
}
