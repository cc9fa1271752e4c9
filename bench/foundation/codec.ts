/**
 * Codec throughput of the generated protocol code: Metadata (100 topics x 6 partitions) and
 * ApiVersions responses, encode and decode, at a flexible and a non-flexible version.
 *
 *   npx tsx bench/foundation/codec.ts
 */
import { Reader, Writer } from '../../protocol/primitives.js';
import {
  decodeApiVersionsResponse,
  decodeMetadataRequest,
  decodeMetadataResponse,
  encodeApiVersionsResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
  newApiVersionsResponse,
  newApiVersionsResponseApiVersion,
  newMetadataRequest,
  newMetadataRequestTopic,
  newMetadataResponse,
  newMetadataResponseBroker,
  newMetadataResponsePartition,
  newMetadataResponseTopic,
  sizeApiVersionsResponse,
  sizeMetadataRequest,
  sizeMetadataResponse,
} from '../../protocol/generated/index.js';

function bench(name: string, fn: () => void, bytes: number): void {
  for (let i = 0; i < 2000; i++) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`${name.padEnd(44)} ${Math.round(n / s).toLocaleString().padStart(12)} ops/s  ${((n * bytes) / s / 1e6).toFixed(0).padStart(6)} MB/s`);
}

const metadata = newMetadataResponse({
  brokers: [newMetadataResponseBroker({ nodeId: 1, host: '127.0.0.1', port: 9092 })],
  clusterId: 'abcdefghijklmnopqrstuv',
  controllerId: 1,
  topics: Array.from({ length: 100 }, (_, t) =>
    newMetadataResponseTopic({
      name: `topic-number-${t}`,
      topicId: Buffer.alloc(16, t),
      partitions: Array.from({ length: 6 }, (_, p) => newMetadataResponsePartition({ partitionIndex: p, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1] })),
    }),
  ),
});
const apiVersions = newApiVersionsResponse({ apiKeys: Array.from({ length: 40 }, (_, k) => newApiVersionsResponseApiVersion({ apiKey: k, minVersion: 0, maxVersion: 9 })) });
const metadataReq = newMetadataRequest({ topics: Array.from({ length: 10 }, (_, t) => newMetadataRequestTopic({ name: `topic-number-${t}` })) });

for (const v of [1, 12]) {
  const size = sizeMetadataResponse(v, metadata);
  const encoded = (() => {
    const w = new Writer(size);
    encodeMetadataResponse(w, v, metadata);
    return w.finish();
  })();
  bench(`Metadata v${v} response encode (600 partitions)`, () => {
    const w = new Writer(sizeMetadataResponse(v, metadata));
    encodeMetadataResponse(w, v, metadata);
  }, size);
  bench(`Metadata v${v} response decode (600 partitions)`, () => void decodeMetadataResponse(new Reader(encoded), v), size);
  const rsize = sizeMetadataRequest(v, metadataReq);
  const req = (() => {
    const w = new Writer(rsize);
    encodeMetadataRequest(w, v, metadataReq);
    return w.finish();
  })();
  bench(`Metadata v${v} request decode (10 topics)`, () => void decodeMetadataRequest(new Reader(req), v), rsize);
}
for (const v of [0, 3]) {
  const size = sizeApiVersionsResponse(v, apiVersions);
  const w0 = new Writer(size);
  encodeApiVersionsResponse(w0, v, apiVersions);
  const encoded = w0.finish();
  bench(`ApiVersions v${v} response encode (40 keys)`, () => {
    const w = new Writer(sizeApiVersionsResponse(v, apiVersions));
    encodeApiVersionsResponse(w, v, apiVersions);
  }, size);
  bench(`ApiVersions v${v} response decode (40 keys)`, () => void decodeApiVersionsResponse(new Reader(encoded), v), size);
}
