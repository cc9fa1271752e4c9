/**
 * Schema validation on Produce: throughput to a validated topic vs an unvalidated one, same
 * records, same broker, same run (issue 6 goal: validated ≥ 50% of unvalidated for 1 KiB Avro
 * records).
 *
 * The broker runs as its own process (`node dist/src/cli.js`; `npm run build` first). A raw client
 * (our own codecs over one socket, up to 8 Produce requests in flight, acks=-1) sends pre-built
 * RecordBatches of 1 KiB Avro records in Confluent's wire format — the client costs almost nothing,
 * so the numbers show what the broker can take. Rounds alternate plain / validated so machine
 * noise hits both; the best round of each is reported. The broker's CPU time (user + system, from
 * /proc) per 100 MB is measured per round too: on a shared machine wall-clock throughput swings
 * with other load, CPU per MB much less, and plain/validated CPU per MB is the throughput ratio
 * whenever the broker's CPU is the limit.
 *
 * Cases: uncompressed 1 MiB batches and 64 KiB batches, lz4 1 MiB batches (validation must
 * decompress what the plain path stores as is), each with the default fsync policy
 * (flush.messages=1: every append fsynced, group commit) and with fsync relaxed
 * (flush.messages=1e9: the broker's CPU is the limit, which shows validation's cost best).
 * Also in-process: the validator alone over one batch (records/s), and avsc's full decode of the
 * same records for reference.
 *
 *   npx tsx bench/schema/validation-bench.ts [--mb 200] [--rounds 3] [--json out.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import avsc from 'avsc';
import { buildBatch, buildBatchSync } from '../../protocol/records/builder.js';
import { recordsBlock } from '../../protocol/records/records.js';
import { CompressionType } from '../../protocol/records/batch.js';
import { Reader } from '../../protocol/primitives.js';
import { readResponseHeader } from '../../protocol/headers.js';
import { API_CODECS, newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/index.js';
import { RawClient } from '../../test/helpers/raw-client.js';
import { silentLogger } from '../../src/logger.js';
import { SchemaRegistry } from '../../src/schema/registry.js';
import { MemorySchemasLog } from '../../src/schema/schemas-log.js';
import { ProduceValidator } from '../../src/schema/validation.js';
import { createTopic, startBenchBroker } from '../data-path/produce-consume.js';
import { freePort } from '../data-path/clients.js';
import { isMain } from '../is-main.js';

const PARTITIONS = 6;

/** An order with lines, an address and tags: about 1 KiB encoded (see recordFor). */
export const BENCH_SCHEMA = {
  type: 'record',
  name: 'Order',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'customer', type: 'string' },
    { name: 'email', type: 'string' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] } },
    { name: 'createdAt', type: 'long' },
    {
      name: 'address',
      type: { type: 'record', name: 'Address', fields: [{ name: 'street', type: 'string' }, { name: 'city', type: 'string' }, { name: 'zip', type: 'string' }, { name: 'country', type: 'string' }] },
    },
    {
      name: 'lines',
      type: {
        type: 'array',
        items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'name', type: 'string' }, { name: 'qty', type: 'int' }, { name: 'price', type: 'double' }, { name: 'discount', type: ['null', 'double'], default: null }] },
      },
    },
    { name: 'tags', type: { type: 'map', values: 'string' } },
    { name: 'notes', type: ['null', 'string'], default: null },
  ],
};

const type = avsc.Type.forSchema(BENCH_SCHEMA as avsc.Schema);

const WORDS = 'amber basil cedar delta ember fjord grove harbor indigo juniper kelp lumen maple nectar opal pepper quartz raven sage thistle umber violet willow xenon yarrow zephyr'.split(' ');

/** Deterministic pseudo-random content, so records compress like real data (about 2-3x with lz4), not 10x. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function recordFor(i: number): Record<string, unknown> {
  const r = rng(i + 1);
  const word = (): string => WORDS[Math.floor(r() * WORDS.length)]!;
  const code = (n: number): string => Array.from({ length: n }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[Math.floor(r() * 32)]).join('');
  return {
    id: Math.floor(r() * 2 ** 40),
    customer: `${word()} ${word()} ${code(4)}`,
    email: `${word()}.${code(6).toLowerCase()}@${word()}.example`,
    status: ['NEW', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'][Math.floor(r() * 5)],
    createdAt: 1_700_000_000_000 + Math.floor(r() * 1e10),
    address: { street: `${Math.floor(r() * 999)} ${word()} ${word()} street`, city: `${word()}ville`, zip: code(5), country: code(2) },
    lines: Array.from({ length: 10 }, () => ({ sku: `SKU-${code(10)}`, name: `${word()} ${word()} ${word()} ${code(3)}`, qty: 1 + Math.floor(r() * 9), price: Math.round(r() * 100000) / 100, discount: r() < 0.3 ? Math.round(r() * 50) / 100 : null })),
    tags: { channel: word(), campaign: `${word()}-${code(4)}`, region: code(3), tier: word() },
    notes: Array.from({ length: 8 }, word).join(' '),
  };
}

/** Confluent wire format: magic 0, schema id, Avro payload; padded by the note to exactly `size` bytes. */
export function avroRecords(id: number, count: number, size = 1024): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const r = recordFor(i);
    const note = r['notes'] as string;
    let pad = Math.max(0, size - 5 - type.toBuffer(r).length);
    let payload = type.toBuffer({ ...r, notes: note + '.'.repeat(pad) });
    // A longer note can need one more length byte: shave the padding until it fits.
    while (payload.length + 5 > size && pad > 0) payload = type.toBuffer({ ...r, notes: note + '.'.repeat(--pad) });
    const head = Buffer.alloc(5);
    head.writeInt32BE(id, 1);
    return Buffer.concat([head, payload]);
  });
}

interface Rate {
  MBps: number;
  msgPerSec: number;
  secs: number;
  /** Broker CPU (user + system) per 100 MB of records: what the work costs, whatever else runs on the machine. */
  cpuMsPer100MB?: number;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

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
  static open(host: string, port: number): Promise<FrameSocket> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new FrameSocket(s)));
      s.setNoDelay(true);
      s.once('error', reject);
    });
  }
  async frame(): Promise<Buffer> {
    for (;;) {
      if (this.buffered >= 4) {
        const all = Buffer.concat(this.chunks);
        const size = all.readInt32BE(0);
        if (all.length >= 4 + size) {
          this.chunks = all.length > 4 + size ? [all.subarray(4 + size)] : [];
          this.buffered = all.length - 4 - size;
          return all.subarray(4, 4 + size);
        }
      }
      await new Promise<void>((r) => (this.waiting = r));
    }
  }
}

/** Sends `requests` Produce requests of `batch` round-robin over the partitions, 8 in flight. */
export async function produceRate(host: string, port: number, topic: string, batch: Buffer, recordsPerBatch: number, requests: number, recordSize: number): Promise<Rate> {
  const sock = await FrameSocket.open(host, port);
  const codec = API_CODECS.get(0)!;
  let sent = 0;
  let done = 0;
  let corr = 1;
  const send = (): void => {
    const body = codec.newRequest({ acks: -1, timeoutMs: 30_000, transactionalId: null, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: sent % PARTITIONS, records: batch })] })] });
    sock.socket.write(RawClient.encodeRequest(0, 9, body, corr++));
    sent++;
  };
  const t0 = performance.now();
  while (sent < Math.min(8, requests)) send();
  while (done < requests) {
    const r = new Reader(await sock.frame());
    readResponseHeader(r, true);
    const p = (codec.decodeResponse(r, 9) as any).responses[0].partitionResponses[0];
    if (p.errorCode !== 0) throw new Error(`produce to ${topic} failed: ${p.errorCode} ${p.errorMessage}`);
    done++;
    if (sent < requests) send();
  }
  const secs = (performance.now() - t0) / 1000;
  sock.socket.destroy();
  const n = requests * recordsPerBatch;
  return { secs, msgPerSec: n / secs, MBps: (n * recordSize) / 1e6 / secs };
}

export interface CaseResult {
  case: string;
  fsync: string;
  plain: Rate;
  validated: Rate;
  /** validated / plain throughput (best rounds). */
  ratio: number;
  /** plain / validated broker CPU per MB (lowest rounds): the throughput ratio when the broker's CPU is the limit. */
  cpuRatio: number;
}

export async function register(url: string): Promise<number> {
  const res = await fetch(`${url}/subjects/validated-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema: JSON.stringify(BENCH_SCHEMA) }) });
  const body = (await res.json()) as { id?: number; message?: string };
  if (!body.id) throw new Error(`registration failed: ${body.message}`);
  return body.id;
}

async function brokerCases(mb: number, rounds: number, flushMessages: number): Promise<CaseResult[]> {
  const regPort = await freePort();
  const broker = await startBenchBroker({ 'runnel.schema.registry.listener': `127.0.0.1:${regPort}`, 'log.flush.interval.messages': flushMessages });
  const [host, port] = broker.bootstrap.split(':') as [string, string];
  const out: CaseResult[] = [];
  try {
    const id = await register(`http://127.0.0.1:${regPort}`);
    const cases: Array<{ name: string; records: number; compression: CompressionType }> = [
      { name: '1 MiB batches, uncompressed', records: 1000, compression: CompressionType.None },
      { name: '64 KiB batches, uncompressed', records: 64, compression: CompressionType.None },
      { name: '1 MiB batches, lz4', records: 1000, compression: CompressionType.Lz4 },
    ];
    for (const c of cases) {
      const values = avroRecords(id, c.records);
      const batch = c.compression === CompressionType.None ? buildBatchSync(values.map((value) => ({ value }))) : await buildBatch(values.map((value) => ({ value })), { compression: c.compression });
      const requests = Math.max(PARTITIONS, Math.round((mb * 1e6) / (c.records * 1024)));
      const best = { plain: null as Rate | null, validated: null as Rate | null };
      for (let round = 0; round < rounds; round++) {
        for (const kind of ['plain', 'validated'] as const) {
          const topic = `${kind}-${c.records}-${c.compression}-${round}`;
          // The validated topics bind to subject validated-value through TopicNameStrategy.
          await createTopic(broker.bootstrap, topic, PARTITIONS, kind === 'validated' ? [{ name: 'confluent.value.schema.validation', value: 'true' }] : []);
          if (kind === 'validated') await fetch(`http://127.0.0.1:${regPort}/subjects/${topic}-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema: JSON.stringify(BENCH_SCHEMA) }) });
          const cpu0 = cpuSeconds(broker.process.pid!);
          const r = await produceRate(host, Number(port), topic, batch, c.records, requests, 1024);
          const cpuMs = (cpuSeconds(broker.process.pid!) - cpu0) * 1000;
          r.cpuMsPer100MB = (cpuMs / (requests * c.records * 1024)) * 1e8;
          if (!best[kind] || r.MBps > best[kind]!.MBps) best[kind] = { ...r, cpuMsPer100MB: Math.min(r.cpuMsPer100MB, best[kind]?.cpuMsPer100MB ?? Infinity) };
          else best[kind]!.cpuMsPer100MB = Math.min(best[kind]!.cpuMsPer100MB!, r.cpuMsPer100MB);
        }
      }
      const row: CaseResult = {
        case: c.name,
        fsync: flushMessages === 1 ? 'every append (default)' : 'relaxed',
        plain: best.plain!,
        validated: best.validated!,
        ratio: best.validated!.MBps / best.plain!.MBps,
        cpuRatio: best.plain!.cpuMsPer100MB! / best.validated!.cpuMsPer100MB!,
      };
      console.log(
        `${row.case.padEnd(30)} fsync ${row.fsync.padEnd(22)} plain ${row.plain.MBps.toFixed(0).padStart(4)} MB/s ${row.plain.cpuMsPer100MB!.toFixed(0).padStart(4)} cpu-ms/100MB  ` +
          `validated ${row.validated.MBps.toFixed(0).padStart(4)} MB/s ${row.validated.cpuMsPer100MB!.toFixed(0).padStart(4)} cpu-ms/100MB  ratio ${(row.ratio * 100).toFixed(0)}% (cpu ${(row.cpuRatio * 100).toFixed(0)}%)`,
      );
      out.push(row);
    }
  } finally {
    await broker.stop();
  }
  return out;
}

/** CPU ms (user + system, all threads of this process) per 100 MB of 1 KiB records while `fn` runs for ~1.5 s. */
async function cpuPer100MB(fn: () => unknown, recordsPerCall: number): Promise<number> {
  for (let i = 0; i < 50; i++) await fn();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 1500) {
    await fn();
    n += recordsPerCall;
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) / 1000 / (n * 1024)) * 1e8;
}

/**
 * In this process, over one 1,000-record batch: the validator alone (records/s and CPU per
 * 100 MB), avsc's full decode for reference, and the decompression a compressed batch needs
 * before it can be checked (lz4, zstd), in CPU per 100 MB of records.
 */
export async function validatorMicro(): Promise<{ validatorRecordsPerSec: number; validatorCpuMsPer100MB: number; avscDecodeRecordsPerSec: number; lz4DecompressCpuMsPer100MB: number; zstdDecompressCpuMsPer100MB: number }> {
  const registry = new SchemaRegistry(new MemorySchemasLog(), silentLogger());
  const { id } = await registry.register('t-value', { schema: JSON.stringify(BENCH_SCHEMA) });
  const values = avroRecords(id, 1000);
  const b = buildBatchSync(values.map((value) => ({ value })));
  const validator = new ProduceValidator(registry);
  const policy = { topic: 't', key: null, value: 'TopicNameStrategy' as const };
  const block = b.subarray(61);
  if (validator.checkBlock(block, 1000, policy) !== null) throw new Error('bench batch does not validate');
  const validatorCpu = await cpuPer100MB(() => validator.checkBlock(block, 1000, policy), 1000);
  let t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 1500) {
    validator.checkBlock(block, 1000, policy);
    n += 1000;
  }
  const vSecs = (performance.now() - t0) / 1000;
  t0 = performance.now();
  let m = 0;
  while (performance.now() - t0 < 1500) {
    for (const v of values) type.decode(v, 5);
    m += values.length;
  }
  const dSecs = (performance.now() - t0) / 1000;
  const lz4 = await buildBatch(values.map((value) => ({ value })), { compression: CompressionType.Lz4 });
  const zstd = await buildBatch(values.map((value) => ({ value })), { compression: CompressionType.Zstd });
  return {
    validatorRecordsPerSec: n / vSecs,
    validatorCpuMsPer100MB: validatorCpu,
    avscDecodeRecordsPerSec: m / dSecs,
    lz4DecompressCpuMsPer100MB: await cpuPer100MB(() => recordsBlock(lz4, { verifyCrc: false }), 1000),
    zstdDecompressCpuMsPer100MB: await cpuPer100MB(() => recordsBlock(zstd, { verifyCrc: false }), 1000),
  };
}

export async function runSchemaBench(mb: number, rounds: number): Promise<{ micro: Awaited<ReturnType<typeof validatorMicro>>; cases: CaseResult[] }> {
  const micro = await validatorMicro();
  console.log(
    `validator alone: ${Math.round(micro.validatorRecordsPerSec)} records/s, ${micro.validatorCpuMsPer100MB.toFixed(0)} cpu-ms/100MB; avsc decode: ${Math.round(micro.avscDecodeRecordsPerSec)} records/s; ` +
      `decompression before checking: lz4 ${micro.lz4DecompressCpuMsPer100MB.toFixed(0)}, zstd ${micro.zstdDecompressCpuMsPer100MB.toFixed(0)} cpu-ms/100MB`,
  );
  const cases = [...(await brokerCases(mb, rounds, 1)), ...(await brokerCases(mb, rounds, 1_000_000_000))];
  return { micro, cases };
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (n: string, d: number): number => (args.includes(`--${n}`) ? Number(args[args.indexOf(`--${n}`) + 1]) : d);
  const res = await runSchemaBench(opt('mb', 200), opt('rounds', 3));
  if (args.includes('--json')) writeFileSync(args[args.indexOf('--json') + 1]!, JSON.stringify(res, null, 2));
}
