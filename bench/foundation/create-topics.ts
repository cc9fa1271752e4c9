/**
 * Topic creation cost: N single-partition topics (default 3,000) created
 *   a) in one CreateTopics request,
 *   b) by Metadata requests that auto-create 100 unknown topics each,
 * against an in-process broker on a fresh data dir on disk (bench/.work). Each topic costs a
 * partition directory (mkdir + directory fsync); the topic store write is what used to grow with
 * every topic already stored.
 *
 *   npx tsx bench/foundation/create-topics.ts [--topics 3000]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { API_CODECS, newCreateTopicsRequestTopic, newMetadataRequestTopic } from '../../protocol/generated/index.js';
import { Reader } from '../../protocol/primitives.js';
import { readResponseHeader, responseHeaderFlexible } from '../../protocol/headers.js';
import { startBroker } from '../../src/index.js';
import { RawClient } from '../../test/helpers/raw-client.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const WORK = join(ROOT, 'bench', '.work');
const arg = process.argv.indexOf('--topics');
const N = arg > 0 ? Number(process.argv[arg + 1]) : 3000;

let correlation = 1;

/** RawClient.request without its 5 s answer timeout (one request may create thousands of topics). */
async function request(c: RawClient, apiKey: number, version: number, body: object): Promise<any> {
  const codec = API_CODECS.get(apiKey)!;
  const id = correlation++;
  c.write(RawClient.encodeRequest(apiKey, version, codec.newRequest(body), id));
  const frame = await c.readFrame(600_000);
  if (!frame) throw new Error('connection closed');
  const r = new Reader(frame);
  readResponseHeader(r, responseHeaderFlexible(apiKey, codec.flexibleFrom >= 0 && version >= codec.flexibleFrom));
  return codec.decodeResponse(r, version);
}

async function withBroker(label: string, fn: (c: RawClient) => Promise<void>): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const dataDir = mkdtempSync(join(WORK, 'create-topics-'));
  const broker = await startBroker({ dataDir, port: 0, logLevel: 'warn' });
  const c = await RawClient.connect(broker.host, broker.port);
  try {
    const t0 = performance.now();
    await fn(c);
    const ms = performance.now() - t0;
    console.log(`${label}: ${N} topics in ${(ms / 1000).toFixed(2)} s (${(ms / N).toFixed(2)} ms/topic)`);
  } finally {
    c.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await withBroker('one CreateTopics request', async (c) => {
  const topics = Array.from({ length: N }, (_, i) => newCreateTopicsRequestTopic({ name: `bench-${i}`, numPartitions: 1, replicationFactor: 1 }));
  const r = await request(c, 19, 5, { topics, timeoutMs: 600_000, validateOnly: false });
  const failed = r.topics.filter((t: { errorCode: number }) => t.errorCode !== 0);
  if (failed.length) throw new Error(`${failed.length} topics failed: ${JSON.stringify(failed[0])}`);
});

await withBroker('Metadata auto-create, 100 topics per request', async (c) => {
  for (let i = 0; i < N; i += 100) {
    const topics = Array.from({ length: Math.min(100, N - i) }, (_, j) => newMetadataRequestTopic({ name: `auto-${i + j}` }));
    const r = await request(c, 3, 12, { topics, allowAutoTopicCreation: true });
    const failed = r.topics.filter((t: { errorCode: number }) => t.errorCode !== 0);
    if (failed.length) throw new Error(`${failed.length} topics failed: ${JSON.stringify(failed[0])}`);
  }
});
