/**
 * Zero-copy plaintext Fetch (src/server/zero-copy.ts, native/sendfile.c) and the read+write path it
 * replaces, over real sockets:
 *  - the same data directory served by both paths gives byte-identical Fetch responses: many
 *    partitions per response, ranges across segment boundaries, limits that cut partitions, and
 *    other requests pipelined between the Fetches (their bytes must not interleave);
 *  - with each path (runnel.fetch.zero.copy.enable true / false): kafkajs and librdkafka
 *    (confluent-kafka-python) read everything while it is produced; a slow reader gets every byte;
 *    a segment truncated under a stalled send closes the connection (the response size was sent);
 *    a segment unlinked under it is still sent whole (the fd keeps the file, as for Kafka);
 *    a client that disconnects mid-send frees the send; clients that stop reading neither starve
 *    the broker's other I/O nor stay connected past connections.max.idle.ms.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { existsSync, readFileSync, readdirSync, rmSync, truncateSync, unlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, spawnBroker, startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { connectRaw, createTopics } from '../helpers/topic-admin.js';
import { makeCerts } from '../helpers/certs.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { newFetchRequest, newFetchRequestPartition, newFetchRequestTopic } from '../../protocol/generated/index.js';
import { kafkajsFetch, pyConsumeRecords, rawProduce } from '../../bench/data-path/clients.js';
import { sendfileBinding, zeroCopyStats } from '../../src/server/zero-copy.js';

const SMALL_SEGMENTS = { 'segment.bytes': String(256 * 1024) };
const PARTITIONS = 8;
/** One ~1,000,000-byte record per batch (under message.max.bytes). */
const BIG_VALUE = 1_000_000;
/** Batches of the "big" topics: a ~24 MB response, more than the loopback socket buffers hold. */
const BIG_BATCHES = 24;

function fetchFrame(correlationId: number, topics: Array<{ topic: string; partitions: Array<[number, number, number]> }>, maxBytes: number): Buffer {
  const body = newFetchRequest({
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: topics.map((t) =>
      newFetchRequestTopic({
        topic: t.topic,
        partitions: t.partitions.map(([partition, fetchOffset, partitionMaxBytes]) => newFetchRequestPartition({ partition, fetchOffset, partitionMaxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })),
      }),
    ),
  });
  return RawClient.encodeRequest(1, 12, body, correlationId);
}

/** Batch `i` of partition `p`: 1-20 records of 100 B - 4 KiB, values naming partition and index. */
function smallBatch(p: number, i: number, first: number): Buffer {
  const n = 1 + ((i * 7 + p) % 20);
  const size = 100 + ((i * 131 + p * 17) % 4000);
  return buildBatchSync(Array.from({ length: n }, (_, k) => ({ key: `k${k}`, value: `p${p}-${first + k}-`.padEnd(size, 'v'), timestamp: 1_700_000_000_000 + i })));
}

/** Produces `batches` small batches to every partition; returns the records per partition. */
async function produceSmall(bootstrap: string, topic: string, batches: number): Promise<number[]> {
  const c = await connectRaw(bootstrap);
  const counts = new Array<number>(PARTITIONS).fill(0);
  try {
    for (let i = 0; i < batches; i++) {
      for (let p = 0; p < PARTITIONS; p++) {
        const batch = smallBatch(p, i, counts[p]!);
        const r = await rawProduce(c, topic, p, batch, -1);
        expect(r.errorCode).toBe(0);
        counts[p] = counts[p]! + 1 + ((i * 7 + p) % 20);
      }
    }
  } finally {
    c.close();
  }
  return counts;
}

async function produceBig(bootstrap: string, topic: string): Promise<void> {
  const c = await connectRaw(bootstrap);
  try {
    for (let i = 0; i < BIG_BATCHES; i++) {
      const value = Buffer.alloc(BIG_VALUE, i % 251);
      expect((await rawProduce(c, topic, 0, buildBatchSync([{ value }]), -1)).errorCode).toBe(0);
    }
  } finally {
    c.close();
  }
}

/** The pipelined plan: Fetches of many shapes with ApiVersions and Metadata between them. */
function plan(topic: string): Buffer[] {
  const all = (offset: number, pmax: number): Array<[number, number, number]> => Array.from({ length: PARTITIONS }, (_, p) => [p, offset, pmax]);
  return [
    fetchFrame(1, [{ topic, partitions: all(0, 300 * 1024) }], 8 << 20),
    RawClient.encodeRequest(18, 3, { clientSoftwareName: 'zc', clientSoftwareVersion: '1' }, 2),
    fetchFrame(3, [{ topic, partitions: all(37, 1 << 20) }], 2 << 20),
    RawClient.encodeRequest(3, 12, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 4),
    fetchFrame(5, [{ topic, partitions: all(100, 1024) }], 8 << 20), // partition max below a batch: first batch only
    fetchFrame(6, [{ topic, partitions: all(5, 700 * 1024) }], 900 * 1024), // max_bytes cuts the later partitions
    fetchFrame(7, [{ topic, partitions: [[3, 1_000_000, 1 << 20], [4, 250, 64 << 10]] }], 8 << 20), // out of range + one
  ];
}

async function runPlan(bootstrap: string, frames: Buffer[]): Promise<Buffer[]> {
  const c = await connectRaw(bootstrap);
  try {
    c.write(Buffer.concat(frames));
    const out: Buffer[] = [];
    for (let i = 0; i < frames.length; i++) {
      const f = await c.readFrame(10_000);
      if (f === null) throw new Error(`closed after ${i} responses`);
      out.push(Buffer.from(f));
    }
    return out;
  } finally {
    c.close();
  }
}

function segmentFiles(dataDir: string, topic: string, partition: number): string[] {
  const dir = join(dataDir, `${topic}-${partition}`);
  return readdirSync(dir).filter((f) => f.endsWith('.log')).sort().map((f) => join(dir, f));
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sends a Fetch of the whole big partition and stops reading: the broker's send stalls. */
async function stalledFetch(b: TestBroker, topic: string): Promise<RawClient> {
  const c = await connectRaw(b.bootstrap);
  c.socket.pause();
  c.write(fetchFrame(1, [{ topic, partitions: [[0, 0, 64 << 20]] }], 64 << 20));
  return c;
}

/**
 * Reads one whole response frame (without its size prefix), collecting the pieces (RawClient
 * concatenates per piece: quadratic for 24 MB), or null when the connection closes first.
 */
function readBigFrame(c: RawClient, timeoutMs = 20_000): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  let got = 0;
  let want = -1;
  c.socket.removeAllListeners('data');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no whole frame in ${timeoutMs} ms (${got} bytes)`)), timeoutMs);
    const done = (v: Buffer | null): void => {
      clearTimeout(timer);
      resolve(v);
    };
    c.socket.on('close', () => done(null));
    c.socket.on('data', (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (want < 0 && got >= 4) want = 4 + Buffer.concat(parts).readInt32BE(0);
      if (want >= 0 && got >= want) done(Buffer.concat(parts).subarray(4, want));
    });
    c.socket.resume();
  });
}

/** Reads one whole frame (with its size prefix) in small sips with pauses. */
function readSlowly(c: RawClient): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  let want = -1;
  c.socket.removeAllListeners('data');
  return new Promise((resolve, reject) => {
    c.socket.on('close', () => reject(new Error(`closed after ${got} bytes`)));
    c.socket.on('data', (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (want < 0 && got >= 4) want = 4 + Buffer.concat(parts).readInt32BE(0);
      if (want >= 0 && got >= want) return resolve(Buffer.concat(parts).subarray(0, want));
      c.socket.pause();
      setTimeout(() => c.socket.resume(), 1);
    });
    c.socket.resume();
  });
}

describe('the binding', () => {
  it('is built in this checkout (npm run build:native)', () => {
    expect(sendfileBinding().binding, sendfileBinding().reason).not.toBeNull();
  });

  it('the build script never fails an install: without a compiler it says why and exits 0', () => {
    const dir = tempDir('zc-build');
    const out = join(dir, 'b.node');
    const script = join(REPO_ROOT, 'scripts', 'build-native.mjs');
    const none = spawnSync(process.execPath, [script, '--out', out], { env: { ...process.env, CC: '/nonexistent/cc' }, encoding: 'utf8' });
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('not built (/nonexistent/cc: no C compiler)');
    expect(existsSync(out)).toBe(false);
    const built = spawnSync(process.execPath, [script, '--out', out], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a broker says at start which Fetch path it uses; without the binding it serves by read+write', async () => {
    for (const [env, expected] of [
      [undefined, 'fetch responses: zero-copy sendfile on plaintext listeners'],
      ['none', 'fetch responses: read + write (zero-copy sendfile binding unavailable)'],
    ] as const) {
      const saved = process.env.RUNNEL_SENDFILE_BINDING;
      if (env === undefined) delete process.env.RUNNEL_SENDFILE_BINDING;
      else process.env.RUNNEL_SENDFILE_BINDING = env;
      const dataDir = tempDir('zc-spawn');
      let broker;
      try {
        broker = await spawnBroker(dataDir, { 'num.partitions': 1 });
      } finally {
        if (saved === undefined) delete process.env.RUNNEL_SENDFILE_BINDING;
        else process.env.RUNNEL_SENDFILE_BINDING = saved;
      }
      try {
        expect(broker.logs.filter((l) => l.includes('"fetch responses:')).map((l) => JSON.parse(l).msg)).toEqual([expected]);
        const c = await connectRaw(broker.bootstrap);
        expect((await createTopics(c, [{ name: 't' }]))[0]!.errorCode).toBe(0);
        expect((await rawProduce(c, 't', 0, buildBatchSync([{ value: 'v'.repeat(300_000) }]), -1)).errorCode).toBe(0);
        c.write(fetchFrame(5, [{ topic: 't', partitions: [[0, 0, 1 << 20]] }], 1 << 20));
        expect((await readBigFrame(c))!.length).toBeGreaterThan(300_000);
        c.close();
      } finally {
        await broker.kill('SIGTERM');
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }, 60_000);
});

describe('zero copy and read+write serve the same bytes', () => {
  let dataDir: string;
  let frames: Buffer[];
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  beforeAll(async () => {
    dataDir = tempDir('zc-same');
    const b = await startTestBroker({ dataDir, keepData: true });
    try {
      const c = await connectRaw(b.bootstrap);
      expect((await createTopics(c, [{ name: 'same', numPartitions: PARTITIONS, configs: SMALL_SEGMENTS }]))[0]!.errorCode).toBe(0);
      c.close();
      await produceSmall(b.bootstrap, 'same', 40);
      expect(segmentFiles(dataDir, 'same', 0).length).toBeGreaterThan(2);
    } finally {
      await b.stop();
    }
    frames = plan('same');
  }, 60_000);

  it('byte-identical pipelined responses across segment boundaries, many partitions per response', async () => {
    const zc = await startTestBroker({ dataDir, keepData: true });
    const before = zeroCopyStats.responses;
    let viaZeroCopy: Buffer[];
    try {
      viaZeroCopy = await runPlan(zc.bootstrap, frames);
    } finally {
      await zc.stop();
    }
    expect(zeroCopyStats.responses - before).toBeGreaterThanOrEqual(5);
    const rw = await startTestBroker({ dataDir, config: { 'runnel.fetch.zero.copy.enable': false } });
    const mid = zeroCopyStats.responses;
    let viaReadWrite: Buffer[];
    try {
      viaReadWrite = await runPlan(rw.bootstrap, frames);
    } finally {
      await rw.cleanup();
    }
    expect(zeroCopyStats.responses).toBe(mid);
    expect(viaZeroCopy.map((f) => f.length)).toEqual(viaReadWrite.map((f) => f.length));
    // Fetches byte for byte; ApiVersions and Metadata (which names each broker's port) by correlation id.
    for (const i of [0, 2, 4, 5, 6]) expect(viaZeroCopy[i]!.equals(viaReadWrite[i]!), `response ${i}`).toBe(true);
    for (let i = 0; i < frames.length; i++) expect(viaZeroCopy[i]!.readInt32BE(0)).toBe(i + 1);
    expect(viaZeroCopy[0]!.length).toBeGreaterThan(1 << 20);
  }, 60_000);
});

describe('TLS listeners', () => {
  it('keep the read+write path and serve the same records as the plaintext listener beside them', async () => {
    const certs = makeCerts('zc-tls');
    const b = await startTestBroker({
      host: undefined,
      port: undefined,
      config: { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem },
    });
    try {
      const at = (name: string) => b.broker.advertised.find((a) => a.name === name)!;
      const plain = await RawClient.connect(at('PLAINTEXT').host, at('PLAINTEXT').port);
      expect((await createTopics(plain, [{ name: 'tls', numPartitions: 1 }]))[0]!.errorCode).toBe(0);
      for (let i = 0; i < 4; i++) expect((await rawProduce(plain, 'tls', 0, buildBatchSync([{ value: Buffer.alloc(500_000, i) }]), -1)).errorCode).toBe(0);
      const frame = fetchFrame(3, [{ topic: 'tls', partitions: [[0, 0, 8 << 20]] }], 8 << 20);
      let before = zeroCopyStats.responses;
      plain.write(frame);
      const viaPlain = await readBigFrame(plain);
      plain.close();
      expect(zeroCopyStats.responses).toBe(before + 1);
      const tls = await RawClient.connectTls(at('SSL').host, at('SSL').port, { ca: [readFileSync(certs.caCert)], servername: 'localhost' });
      before = zeroCopyStats.responses;
      tls.write(frame);
      const viaTls = await readBigFrame(tls);
      tls.close();
      expect(zeroCopyStats.responses).toBe(before);
      expect(viaTls!.length).toBeGreaterThan(2_000_000);
      expect(viaTls!.equals(viaPlain!)).toBe(true);
    } finally {
      await b.cleanup();
      rmSync(certs.dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.each([
  { path: 'zero copy', enable: true },
  { path: 'read+write', enable: false },
])('$path', ({ enable }) => {
  let b: TestBroker;
  const idleMs = 8000;
  beforeAll(async () => {
    b = await startTestBroker({ config: { 'runnel.fetch.zero.copy.enable': enable, 'connections.max.idle.ms': idleMs } });
    const c = await connectRaw(b.bootstrap);
    const topics = [{ name: 'live', numPartitions: PARTITIONS, configs: SMALL_SEGMENTS }, ...['big1', 'big2', 'big3'].map((name) => ({ name, numPartitions: 1 }))];
    for (const r of await createTopics(c, topics)) expect(r.errorCode).toBe(0);
    c.close();
    for (const t of ['big1', 'big2', 'big3']) await produceBig(b.bootstrap, t);
  }, 60_000);
  afterAll(async () => {
    await b?.cleanup();
  });

  it('kafkajs and librdkafka read everything while it is produced', async () => {
    const batches = 25;
    const producing = produceSmall(b.bootstrap, 'live', batches);
    const expected = Array.from({ length: PARTITIONS }, (_, p) => Array.from({ length: batches }, (_, i) => 1 + ((i * 7 + p) % 20)).reduce((a, n) => a + n, 0));
    const total = expected.reduce((a, n) => a + n, 0);
    const responsesBefore = zeroCopyStats.responses;
    const dumpDir = tempDir('zc-dump');
    onTestFinished(() => rmSync(dumpDir, { recursive: true, force: true }));
    const [js, ck] = await Promise.all([
      kafkajsFetch(b.bootstrap, 'live', new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, 0])), { expect: total, idleMs: 5000, timeoutMs: 60_000, partitionMaxBytes: 200 * 1024 }),
      pyConsumeRecords('ck', b.bootstrap, 'live', join(dumpDir, 'ck.tsv'), { assign: Array.from({ length: PARTITIONS }, (_, p) => [p, 'earliest']), expect: total, idleMs: 5000, timeoutMs: 60_000 }),
      producing,
    ]);
    expect(ck.result.errors).toEqual([]);
    for (const [name, records] of [['kafkajs', js.records], ['ck', ck.records]] as const) {
      expect(records.length, name).toBe(total);
      for (let p = 0; p < PARTITIONS; p++) {
        const values = records.filter((r) => r.partition === p).map((r) => r.value!.split('-').slice(0, 2).join('-'));
        expect(values, `${name} partition ${p}`).toEqual(Array.from({ length: expected[p]! }, (_, i) => `p${p}-${i}`));
      }
    }
    if (enable) expect(zeroCopyStats.responses).toBeGreaterThan(responsesBefore);
    else expect(zeroCopyStats.responses).toBe(responsesBefore);
  }, 120_000);

  it('a slow reader gets every byte of a response larger than the socket buffers', async () => {
    const fast = await connectRaw(b.bootstrap);
    fast.write(fetchFrame(1, [{ topic: 'big1', partitions: [[0, 0, 64 << 20]] }], 64 << 20));
    const whole = await readBigFrame(fast);
    fast.close();
    expect(whole!.length).toBeGreaterThan(BIG_BATCHES * BIG_VALUE);
    const slow = await stalledFetch(b, 'big1');
    await new Promise((r) => setTimeout(r, 300));
    const frame = await readSlowly(slow);
    slow.close();
    expect(frame.subarray(4).equals(whole!)).toBe(true);
  }, 60_000);

  it('a segment truncated under a stalled send closes the connection; the broker serves on', async () => {
    const c = await stalledFetch(b, 'big2');
    if (enable) await until(() => zeroCopyStats.open > 0, 5000, 'the zero-copy send');
    await new Promise((r) => setTimeout(r, 300));
    const [file] = segmentFiles(b.dataDir, 'big2', 0);
    truncateSync(file!, 2 * BIG_VALUE);
    expect(await readBigFrame(c)).toBeNull(); // the promised size never arrives
    const other = await connectRaw(b.bootstrap);
    other.write(fetchFrame(2, [{ topic: 'big1', partitions: [[0, 0, 2 << 20]] }], 2 << 20));
    expect((await other.readFrame(10_000))!.length).toBeGreaterThan(BIG_VALUE);
    other.close();
  }, 60_000);

  it('a segment unlinked under a stalled send is still sent whole (the open fd keeps it)', async () => {
    const fast = await connectRaw(b.bootstrap);
    fast.write(fetchFrame(1, [{ topic: 'big3', partitions: [[0, 0, 64 << 20]] }], 64 << 20));
    const whole = await readBigFrame(fast);
    fast.close();
    const c = await stalledFetch(b, 'big3');
    await new Promise((r) => setTimeout(r, 300));
    unlinkSync(segmentFiles(b.dataDir, 'big3', 0)[0]!);
    c.socket.resume();
    const frame = await readBigFrame(c);
    c.close();
    expect(frame!.equals(whole!)).toBe(true);
  }, 60_000);

  it('a client that disconnects mid-send frees the send', async () => {
    const c = await stalledFetch(b, 'big1');
    if (enable) await until(() => zeroCopyStats.open > 0, 5000, 'the zero-copy send');
    await new Promise((r) => setTimeout(r, 200));
    c.close();
    await until(() => zeroCopyStats.open === 0, 5000, 'the send to end');
    const other = await connectRaw(b.bootstrap);
    other.write(fetchFrame(2, [{ topic: 'big1', partitions: [[0, 0, 64 << 20]] }], 64 << 20));
    expect((await readBigFrame(other))!.length).toBeGreaterThan(BIG_BATCHES * BIG_VALUE);
    other.close();
  }, 60_000);

  it('clients that stop reading neither starve produce and fetch nor outlive connections.max.idle.ms', async () => {
    // Produce (appends and fsyncs on the threadpool) and a big fetch, timed without and with six
    // stalled sends (more than libuv's 4 threads): a send that kept its thread while the client
    // does not read would hold them until connections.max.idle.ms.
    const work = async (): Promise<number> => {
      const t = Date.now();
      const c = await connectRaw(b.bootstrap);
      for (let i = 0; i < 20; i++) expect((await rawProduce(c, 'live', i % PARTITIONS, buildBatchSync([{ value: `during-stall-${i}` }]), -1)).errorCode).toBe(0);
      c.write(fetchFrame(9, [{ topic: 'big1', partitions: [[0, 0, 64 << 20]] }], 64 << 20));
      expect((await readBigFrame(c))!.length).toBeGreaterThan(BIG_BATCHES * BIG_VALUE);
      c.close();
      return Date.now() - t;
    };
    const alone = await work();
    const stalled = await Promise.all(Array.from({ length: 6 }, () => stalledFetch(b, 'big1')));
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    const withStalls = await work();
    expect(withStalls, `alone ${alone} ms`).toBeLessThan(Math.max(3 * alone, 1000) + 2000);
    await until(() => zeroCopyStats.open === 0, idleMs + 5000, 'the stalled sends to end');
    await new Promise((r) => setTimeout(r, idleMs + 500 - (Date.now() - t0)));
    // Closed by the broker: reading on, each client finds its response cut short (a paused socket
    // notices the close only when it reads).
    for (const s of stalled) expect(await readBigFrame(s)).toBeNull();
  }, 60_000);
});
