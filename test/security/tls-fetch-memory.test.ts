/**
 * Fetch over TLS streams (issue 20): a TLS response cannot hand file bytes to the socket as they
 * are, so the writer copies segment slices through its bounded buffers and the TLS socket
 * encrypts them. A 50 x 1 MB Fetch response to a TLS client that never reads must leave the
 * broker's memory bounded (as test/compat/server-limits.test.ts checks for plaintext), and a TLS
 * client that reads gets the whole response.
 */
import { readFileSync, rmSync } from 'node:fs';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { newFetchRequest, newFetchRequestPartition, newFetchRequestTopic, newProduceRequest, newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/index.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { RawClient } from '../helpers/raw-client.js';
import { rssMiB, settledRss } from '../helpers/rss.js';

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const children: ChildBroker[] = [];
const sockets: TLSSocket[] = [];
let certs: CertSet | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(children.map((c) => c.kill('SIGKILL')));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

function sslPort(b: ChildBroker): number {
  const started = JSON.parse(b.logs.find((l) => l.includes('"broker started"'))!) as { listeners: string[] };
  return Number(started.listeners.find((l) => l.startsWith('SSL://'))!.split(':').pop());
}

function tlsSocket(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(certs!.caCert) }, () => resolve(s));
    s.once('error', reject);
    sockets.push(s);
  });
}

describe('Fetch over TLS', () => {
  it('streams a 50 x 1 MB response with bounded memory to a client that does not read, and whole to one that does', async () => {
    certs = makeCerts('certs-fetch');
    dataDir = tempDir('tls-fetch');
    const flags = { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem };
    const writer = await spawnBroker(dataDir, flags);
    children.push(writer);
    const c = await RawClient.connect(writer.host, writer.port);
    const topic = 'wide-tls';
    const created = await c.request(19, 4, { topics: [{ name: topic, numPartitions: 50, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    expect(created?.topics[0].errorCode).toBe(0);
    const batch = buildBatchSync([{ value: Buffer.alloc(1_000_000, 1) }]);
    for (let i = 0; i < 50; i++) {
      const produced = await c.request(0, 3, { ...newProduceRequest({ acks: 1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: i, records: batch })] })] }) });
      expect(produced!.responses[0].partitionResponses[0].errorCode).toBe(0);
    }
    c.close();
    // A fresh broker on the same data: memory freed by the produce path would mask the growth.
    await writer.kill('SIGTERM');
    const b = await spawnBroker(dataDir, flags);
    children.push(b);
    const port = sslPort(b);
    const fetch = RawClient.encodeRequest(
      1,
      4,
      newFetchRequest({ maxWaitMs: 0, minBytes: 1, maxBytes: 52 * MiB, topics: [newFetchRequestTopic({ topic, partitions: Array.from({ length: 50 }, (_, i) => newFetchRequestPartition({ partition: i, fetchOffset: 0, partitionMaxBytes: 2 * MiB })) })] }),
      1,
    );
    await (await tlsSocket(port)).end(); // the TLS machinery warmed up before the baseline
    const before = await settledRss(b, 400);
    const deaf = await tlsSocket(port);
    deaf.pause();
    deaf.write(fetch);
    await sleep(1000);
    const after = await settledRss(b, 400, 3000);
    console.log(`50 x 1 MB Fetch over TLS, client not reading: broker RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB (+${(after - before).toFixed(1)} MiB)`);
    expect(after - before).toBeLessThan(24);

    const reader = await tlsSocket(port);
    let received = 0;
    const size = await new Promise<number>((resolve) => {
      reader.on('data', (d: Buffer) => {
        if (received === 0) resolve(d.readInt32BE(0));
        received += d.length;
      });
      reader.write(fetch);
    });
    for (let i = 0; i < 100 && received < size + 4; i++) await sleep(50);
    expect(size).toBeGreaterThan(50_000_000);
    expect(received).toBe(size + 4);
  }, 90_000);
});
