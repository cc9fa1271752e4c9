/**
 * Issue 14: the connection layer under hostile clients. Each case drives real sockets against a
 * broker and checks that (a) the offending connection gets Kafka's treatment (closed, or simply
 * not read any further), (b) the broker's memory stays bounded — measured as the child process's
 * VmRSS, so it is the broker we measure, not this test process — and (c) the broker keeps serving
 * everyone else: an ApiVersions canary on a fresh connection answers quickly and the process lives.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { REPO_ROOT, removeDir, spawnBroker, startTestBroker, tempDir, type ChildBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import { createLogger } from '../../src/logger.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import {
  newFetchRequest,
  newFetchRequestPartition,
  newFetchRequestTopic,
  newProduceRequest,
  newProduceRequestPartition,
  newProduceRequestTopic,
} from '../../protocol/generated/index.js';
import { rssMiB, settledRss } from '../helpers/rss.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything a case starts, stopped after it (sockets first, then brokers). */
const sockets: Array<Socket | RawClient> = [];
const children: ChildBroker[] = [];
const inProcess: TestBroker[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) (s instanceof RawClient ? s.socket : s).destroy();
  for (const b of children.splice(0)) {
    await b.kill('SIGKILL');
    removeDir(b.dataDir);
  }
  for (const b of inProcess.splice(0)) await b.cleanup();
});

async function spawn(flags: Record<string, string | number> = {}): Promise<ChildBroker> {
  const b = await spawnBroker(tempDir('limits'), flags);
  children.push(b);
  return b;
}

function alive(b: ChildBroker): boolean {
  return b.process.exitCode === null && b.process.signalCode === null;
}

async function rawConnect(host: string, port: number): Promise<RawClient> {
  const c = await RawClient.connect(host, port);
  sockets.push(c);
  return c;
}

/** A plain socket that never reads what the broker sends. */
function deafSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => {
      s.pause();
      resolve(s);
    });
    s.on('error', () => undefined);
    s.once('error', reject);
    sockets.push(s);
  });
}

/** ApiVersions on a fresh connection must answer within `withinMs`. */
async function canary(host: string, port: number, withinMs = 1000): Promise<void> {
  const t0 = performance.now();
  const c = await rawConnect(host, port);
  const res = await c.request(18, 0, {});
  expect(res?.errorCode).toBe(0);
  expect(performance.now() - t0).toBeLessThan(withinMs);
  c.close();
}

/** A frame header claiming `size` bytes. */
function prefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size, 0);
  return b;
}

async function createTopic(c: RawClient, name: string): Promise<void> {
  const res = await c.request(19, 4, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
  expect(res?.topics[0].errorCode).toBe(0);
}

/** A Produce v3 frame carrying `bytes` of (invalid) records for partition 0 of `topic`. */
function produceFrame(topic: string, bytes: number, correlationId: number): Buffer {
  const partitionData = [newProduceRequestPartition({ index: 0, records: Buffer.alloc(bytes) })];
  return RawClient.encodeRequest(0, 3, newProduceRequest({ acks: 1, timeoutMs: 1000, topicData: [newProduceRequestTopic({ name: topic, partitionData })] }), correlationId);
}

describe('frame reader', () => {
  it('closes a connection whose frame size is zero, and keeps serving (four zero bytes)', async () => {
    const b = await spawn();
    const c = await rawConnect(b.host, b.port);
    c.write(Buffer.alloc(4));
    await c.waitClosed();
    // The same with a valid request right behind it in the same write.
    const d = await rawConnect(b.host, b.port);
    d.write(Buffer.concat([Buffer.alloc(4), RawClient.encodeRequest(18, 0, {}, 1)]));
    await d.waitClosed();
    await sleep(100);
    expect(alive(b)).toBe(true);
    await canary(b.host, b.port);
  });

  it('closes frames shorter than any request header, each size in its own connection', async () => {
    const b = await spawn();
    for (let size = 1; size <= 9; size++) {
      const c = await rawConnect(b.host, b.port);
      c.write(Buffer.concat([prefix(size), Buffer.alloc(size, 0xff)]));
      await c.waitClosed();
    }
    expect(alive(b)).toBe(true);
    await canary(b.host, b.port);
  });

  it('survives mutated frames (sizes, keys, versions, bytes flipped) on many connections', async () => {
    const b = await spawn();
    const seeds = [RawClient.encodeRequest(18, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }, 1), RawClient.encodeRequest(3, 1, { topics: null }, 2), produceFrame('t', 100, 3)];
    // A deterministic generator keeps a failure reproducible.
    let seed = 0x2545f491;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    // One mutated frame per connection (a bad frame closes its connection, hiding what follows):
    // its size prefix alone, the frame alone, or the frame with a valid request behind it (the
    // frame reader's edge cases differ with what is buffered after the frame).
    const valid = RawClient.encodeRequest(18, 0, {}, 9);
    for (let conn = 0; conn < 300; conn++) {
      const f = Buffer.from(seeds[rnd(seeds.length)]!);
      const flips = 1 + rnd(3);
      for (let k = 0; k < flips; k++) {
        // Biased towards the size prefix and the header, where the parsing decisions are.
        const at = rnd(3) === 0 ? rnd(f.length) : rnd(12);
        f[at] = rnd(3) === 0 ? 0 : rnd(256);
      }
      const c = await rawConnect(b.host, b.port);
      // end(), not destroy(): the bytes must reach the broker before the FIN.
      c.socket.end(conn % 3 === 0 ? f.subarray(0, 4) : conn % 3 === 1 ? f : Buffer.concat([f, valid]));
      if (conn % 20 === 0) await sleep(5);
    }
    await sleep(200);
    expect(alive(b)).toBe(true);
    await canary(b.host, b.port);
  });
});

describe('write backpressure', () => {
  it('stops reading a client that never reads its responses (60,000 requests)', async () => {
    const b = await spawn();
    await canary(b.host, b.port);
    const before = await settledRss(b, 300);
    const s = await deafSocket(b.host, b.port);
    const one = RawClient.encodeRequest(18, 3, { clientSoftwareName: 'deaf', clientSoftwareVersion: '1' }, 1);
    s.write(Buffer.concat(Array.from({ length: 60_000 }, () => one)));
    await sleep(1500);
    const after = await settledRss(b);
    const grown = after - before;
    console.log(`60,000 unread requests: broker RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB (+${grown.toFixed(1)} MiB)`);
    expect(alive(b)).toBe(true);
    await canary(b.host, b.port);
    expect(grown).toBeLessThan(32);
  });
});

describe('queued request bytes', () => {
  it('bounds the bytes one connection queues behind a parked request (8 × 32 MiB Produce behind a Fetch)', async () => {
    const b = await spawn();
    const admin = await rawConnect(b.host, b.port);
    await createTopic(admin, 'parked');
    await canary(b.host, b.port);
    const before = await settledRss(b, 300);
    const s = await deafSocket(b.host, b.port);
    // Fetch v4 at the end of an empty partition, waiting 4 s for 1 MiB: it parks.
    const partitions = [newFetchRequestPartition({ partition: 0, fetchOffset: 0, partitionMaxBytes: MiB })];
    s.write(RawClient.encodeRequest(1, 4, newFetchRequest({ maxWaitMs: 4000, minBytes: MiB, maxBytes: 50 * MiB, topics: [newFetchRequestTopic({ topic: 'parked', partitions })] }), 1));
    const produce = produceFrame('parked', 32 * MiB, 2);
    for (let i = 0; i < 8; i++) s.write(produce);
    await sleep(1500);
    const after = await settledRss(b, 400, 2000);
    const grown = after - before;
    console.log(`8 x 32 MiB Produce behind a parked Fetch: broker RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB (+${grown.toFixed(1)} MiB)`);
    expect(alive(b)).toBe(true);
    await canary(b.host, b.port);
    expect(grown).toBeLessThan(48);
  });

  it('bounds unfinished frames broker-wide (100 connections trickling 2 MiB each of a 100 MiB frame)', async () => {
    const b = await spawn();
    await canary(b.host, b.port);
    const before = await settledRss(b, 300);
    const chunk = Buffer.alloc(2 * MiB, 7);
    for (let i = 0; i < 100; i++) {
      const s = await deafSocket(b.host, b.port);
      s.write(prefix(100 * MiB));
      s.write(chunk);
    }
    await sleep(1500);
    const after = await settledRss(b);
    const grown = after - before;
    console.log(`100 connections x 2 MiB of a 100 MiB frame: broker RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB (+${grown.toFixed(1)} MiB)`);
    expect(alive(b)).toBe(true);
    await canary(b.host, b.port);
    expect(grown).toBeLessThan(48);
  });

  it('still takes a frame larger than the per-connection budget, and a normal produce pipeline', async () => {
    const b = await spawn({ 'runnel.queued.max.request.bytes.per.connection': MiB, 'queued.max.request.bytes': 2 * MiB, 'message.max.bytes': 8 * MiB });
    const c = await rawConnect(b.host, b.port);
    await createTopic(c, 'big');
    // A 4 MiB frame alone exceeds both budgets; it is admitted because nothing else is queued.
    c.write(produceFrame('big', 4 * MiB, 99));
    expect((await c.readFrame())!.readInt32BE(0)).toBe(99);
    // Twenty pipelined 512 KiB requests all get answers, in order.
    const frames = Array.from({ length: 20 }, (_, i) => produceFrame('big', 512 * 1024, 100 + i));
    c.write(Buffer.concat(frames));
    for (let i = 0; i < 20; i++) {
      const f = await c.readFrame();
      expect(f!.readInt32BE(0)).toBe(100 + i);
    }
  });

  it('closes a connection whose frame does not complete within runnel.request.receive.timeout.ms', async () => {
    const b = await spawn({ 'runnel.request.receive.timeout.ms': 500 });
    const c = await rawConnect(b.host, b.port);
    const full = RawClient.encodeRequest(18, 0, {}, 1);
    c.write(full.subarray(0, full.length - 2));
    const t0 = Date.now();
    await c.waitClosed(3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    // A trickle (a byte every 100 ms) does not reset the deadline.
    const d = await rawConnect(b.host, b.port);
    d.write(prefix(1000));
    const trickle = setInterval(() => d.closed || d.write(Buffer.alloc(1)), 100);
    try {
      await d.waitClosed(3000);
    } finally {
      clearInterval(trickle);
    }
    // An idle connection between frames is not affected.
    const e = await rawConnect(b.host, b.port);
    await sleep(800);
    expect((await e.request(18, 0, {}))?.errorCode).toBe(0);
  });
});

describe('response slices', () => {
  it('reads the small file slices of a large Fetch response in a bounded window (50 × 1 MB, client not reading)', async () => {
    const dataDir = tempDir('limits');
    const writer = await spawnBroker(dataDir);
    children.push(writer);
    const c = await rawConnect(writer.host, writer.port);
    const topic = 'wide';
    const res = await c.request(19, 4, { topics: [{ name: topic, numPartitions: 50, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    expect(res?.topics[0].errorCode).toBe(0);
    // One ~1 MB batch per partition: each partition's part of the response is one small slice.
    const batch = buildBatchSync([{ value: Buffer.alloc(1_000_000, 1) }]);
    for (let i = 0; i < 50; i++) {
      const partitionData = [newProduceRequestPartition({ index: i, records: batch })];
      const produced = await c.request(0, 3, { ...newProduceRequest({ acks: 1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData })] }) });
      expect(produced!.responses[0].partitionResponses[0].errorCode).toBe(0);
    }
    c.close();
    // A fresh broker on the same data: memory freed by the produce path would mask the growth.
    await writer.kill('SIGTERM');
    const b = await spawnBroker(dataDir);
    children.push(b);
    await canary(b.host, b.port);
    const before = await settledRss(b, 400);
    const s = await deafSocket(b.host, b.port);
    const partitions = Array.from({ length: 50 }, (_, i) => newFetchRequestPartition({ partition: i, fetchOffset: 0, partitionMaxBytes: 2 * MiB }));
    s.write(RawClient.encodeRequest(1, 4, newFetchRequest({ maxWaitMs: 0, minBytes: 1, maxBytes: 52 * MiB, topics: [newFetchRequestTopic({ topic, partitions })] }), 1));
    await sleep(1000);
    const after = await settledRss(b, 400, 3000);
    const grown = after - before;
    console.log(`50 x 1 MB Fetch response, client not reading: broker RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB (+${grown.toFixed(1)} MiB)`);
    expect(alive(b)).toBe(true);
    await canary(b.host, b.port);
    expect(grown).toBeLessThan(24);
  });
});

describe('connection caps', () => {
  it('max.connections, max.connections.per.ip and its overrides refuse connections beyond them', async () => {
    let broker = await startTestBroker({ config: { 'max.connections': 3 } });
    inProcess.push(broker);
    const open = [await rawConnect(broker.host, broker.port), await rawConnect(broker.host, broker.port), await rawConnect(broker.host, broker.port)];
    const fourth = await rawConnect(broker.host, broker.port);
    await fourth.waitClosed(2000);
    open[0]!.close();
    await sleep(100);
    const again = await rawConnect(broker.host, broker.port);
    expect((await again.request(18, 0, {}))?.errorCode).toBe(0);
    for (const c of [...open, again]) c.close();
    await broker.cleanup();
    inProcess.pop();

    broker = await startTestBroker({ config: { 'max.connections.per.ip': 1, 'max.connections.per.ip.overrides': '10.1.2.3:5' } });
    inProcess.push(broker);
    const one = await rawConnect(broker.host, broker.port);
    const two = await rawConnect(broker.host, broker.port);
    await two.waitClosed(2000);
    expect((await one.request(18, 0, {}))?.errorCode).toBe(0);
    await broker.cleanup();
    inProcess.pop();

    broker = await startTestBroker({ config: { 'max.connections.per.ip': 1, 'max.connections.per.ip.overrides': '127.0.0.1:2' } });
    inProcess.push(broker);
    const a = await rawConnect(broker.host, broker.port);
    const b2 = await rawConnect(broker.host, broker.port);
    const c3 = await rawConnect(broker.host, broker.port);
    await c3.waitClosed(2000);
    expect((await a.request(18, 0, {}))?.errorCode).toBe(0);
    expect((await b2.request(18, 0, {}))?.errorCode).toBe(0);
  });
});

describe('request failures stay with their request', () => {
  /** An in-process broker whose log lines this test can read. */
  async function brokerWithLogs(): Promise<{ broker: TestBroker; lines: Array<Record<string, unknown>> }> {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const broker = await startTestBroker({ logger: createLogger('info', sink) });
    inProcess.push(broker);
    return { broker, lines };
  }

  it('a handler that throws fails that request with UNKNOWN_SERVER_ERROR, logged with API and client id', async () => {
    const { broker, lines } = await brokerWithLogs();
    const handler = broker.broker.handlers.get(10)!; // FindCoordinator
    const original = handler.handle;
    (handler as { handle: unknown }).handle = () => {
      throw new TypeError('boom in a handler');
    };
    try {
      const c = await rawConnect(broker.host, broker.port);
      const res = await c.request(10, 1, { key: 'g', keyType: 0 });
      expect(res?.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
      // The connection still serves.
      expect((await c.request(18, 0, {}))?.errorCode).toBe(0);
      await sleep(50);
      const entry = lines.find((l) => l.msg === 'request handler failed');
      expect(entry).toMatchObject({ level: 50, api: 'FindCoordinator', clientId: 'raw' });
    } finally {
      (handler as { handle: unknown }).handle = original;
    }
  });

  it('a failure after the handler (metrics, response encoding) closes only that connection', async () => {
    const { broker, lines } = await brokerWithLogs();
    const metrics = broker.broker.metrics;
    const original = metrics.requestDone;
    metrics.requestDone = () => {
      throw new Error('boom in metrics');
    };
    try {
      const c = await rawConnect(broker.host, broker.port);
      c.write(RawClient.encodeRequest(18, 0, {}, 1));
      await c.waitClosed(2000);
    } finally {
      metrics.requestDone = original;
    }
    const handler = broker.broker.handlers.get(10)!;
    const handle = handler.handle;
    // A response the encoder cannot write (a field of the wrong type).
    (handler as { handle: unknown }).handle = () => ({ errorCode: 'not a number' });
    try {
      const c = await rawConnect(broker.host, broker.port);
      c.write(RawClient.encodeRequest(10, 1, { key: 'g', keyType: 0 }, 1));
      await c.waitClosed(2000);
    } finally {
      (handler as { handle: unknown }).handle = handle;
    }
    await sleep(50);
    expect(lines.some((l) => l.level === 50 && l.msg === 'connection failed' && String(l.err && (l.err as { message?: string }).message).includes('boom in metrics'))).toBe(true);
    await canary(broker.host, broker.port);
  });
});

describe('process guards (runnel start)', () => {
  it('log an uncaught exception and an unhandled rejection at error, and the process lives on', () => {
    const dist = join(REPO_ROOT, 'dist', 'src');
    const script = `
      const { installProcessGuards } = await import(${JSON.stringify(join(dist, 'process-guards.js'))});
      const { createLogger } = await import(${JSON.stringify(join(dist, 'logger.js'))});
      installProcessGuards(createLogger('info'));
      setTimeout(() => { throw new Error('boom from a timer'); }, 10);
      Promise.reject(new Error('boom from a promise'));
      setTimeout(() => { console.log('still alive'); }, 200);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('still alive');
    const lines = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } });
    expect(lines.find((l) => l.err?.message === 'boom from a timer')).toMatchObject({ level: 50, msg: expect.stringContaining('uncaught exception') });
    expect(lines.find((l) => l.err?.message === 'boom from a promise')).toMatchObject({ level: 50, msg: expect.stringContaining('unhandled promise rejection') });
  });
});
