/**
 * Issue 2 acceptance: hostile and malformed input gets Kafka's behaviour (an error response or
 * the connection closed), the broker keeps serving everyone else, and memory does not grow by
 * the size a frame claims.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.cleanup();
});

async function stillServes(): Promise<void> {
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  expect(cluster.brokers[0]!.port).toBe(broker.port);
  await admin.disconnect();
}

function frame(body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

describe('malformed input', () => {
  it('closes on a 2 GiB length prefix without allocating it', async () => {
    const before = process.memoryUsage().rss;
    const c = await RawClient.connect(broker.host, broker.port);
    const b = Buffer.alloc(64, 1);
    b.writeInt32BE(0x7fffffff, 0);
    c.write(b);
    await c.waitClosed();
    const grown = process.memoryUsage().rss - before;
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    await stillServes();
  });

  it('closes on a negative length prefix', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const b = Buffer.alloc(8);
    b.writeInt32BE(-5, 0);
    c.write(b);
    await c.waitClosed();
  });

  it('closes on a 1 MiB frame of random bytes', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await RawClient.connect(broker.host, broker.port);
      const body = randomBytes(1024 * 1024);
      // Keep the api key unknown in half the runs and a real one (Metadata) in the other half, so
      // both the key check and the body decoder see garbage.
      if (i % 2 === 1) body.writeInt16BE(3, 0), body.writeInt16BE(1, 2);
      c.write(frame(body));
      await c.waitClosed();
    }
    await stillServes();
  });

  it('survives a truncated frame (client gives up mid-frame)', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const full = RawClient.encodeRequest(3, 1, { topics: null }, 7);
    c.write(full.subarray(0, full.length - 5));
    await new Promise((r) => setTimeout(r, 100));
    c.close();
    await stillServes();
  });

  it('closes when a frame is complete but its body is cut short', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const full = RawClient.encodeRequest(3, 1, { topics: [{ name: 'some-topic-name' }] }, 8);
    const cut = full.subarray(4, full.length - 6);
    c.write(frame(cut));
    await c.waitClosed();
  });

  it('closes on an unknown API key', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const body = Buffer.alloc(10);
    body.writeInt16BE(999, 0);
    body.writeInt16BE(0, 2);
    body.writeInt32BE(1, 4);
    body.writeInt16BE(-1, 8);
    c.write(frame(body));
    await c.waitClosed();
    await stillServes();
  });

  it('closes on an unsupported version of a known API', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const body = Buffer.alloc(10);
    body.writeInt16BE(3, 0);
    body.writeInt16BE(99, 2);
    body.writeInt32BE(1, 4);
    body.writeInt16BE(-1, 8);
    c.write(frame(body));
    await c.waitClosed();
  });

  it('answers ApiVersions at an unknown version with UNSUPPORTED_VERSION and our ranges as v0', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const body = Buffer.alloc(20, 0);
    body.writeInt16BE(18, 0);
    body.writeInt16BE(77, 2);
    body.writeInt32BE(42, 4);
    body.writeInt16BE(-1, 8);
    c.write(frame(body));
    const res = await c.readFrame();
    expect(res).not.toBeNull();
    expect(res!.readInt32BE(0)).toBe(42);
    expect(res!.readInt16BE(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const count = res!.readInt32BE(6);
    expect(count).toBeGreaterThan(5);
    const keys = [];
    for (let i = 0; i < count; i++) keys.push(res!.readInt16BE(10 + i * 6));
    expect(keys).toContain(18);
    expect(keys).toContain(3);
    c.close();
  });

  it('closes on HTTP sent to the Kafka port', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    c.write(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    await c.waitClosed();
    await stillServes();
  });

  it('keeps serving a well-behaved connection while others misbehave', async () => {
    const good = await RawClient.connect(broker.host, broker.port);
    const bad = await RawClient.connect(broker.host, broker.port);
    bad.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    const res = await good.request(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    expect(res.errorCode).toBe(0);
    await bad.waitClosed();
    good.close();
  });
});
