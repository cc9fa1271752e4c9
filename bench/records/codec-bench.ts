/**
 * Records micro-benchmark: compress/decompress throughput per codec on a 1 MiB records block of
 * JSON-ish records (what a batching producer sends), the same on a 4 KiB block (a small batch:
 * per-call overhead, where the sync fast path matters), CRC32C throughput, and record iteration.
 *
 *   npx tsx bench/records/codec-bench.ts
 */
import os from 'node:os';
import { BATCH_HEADER_SIZE, CompressionType } from '../../protocol/records/batch.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { compress, decompress } from '../../protocol/records/compression.js';
import { crc32c } from '../../protocol/records/crc32c.js';
import { forEachRecord, validateBatch } from '../../protocol/records/records.js';

const CODECS: [string, CompressionType][] = [
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
  ['zstd', CompressionType.Zstd],
];

/** A batch of JSON-ish records whose records block is about `size` bytes. */
function jsonBatch(size: number): Buffer {
  const events = ['click', 'view', 'purchase', 'scroll'];
  const records = [];
  let bytes = 0;
  for (let i = 0; bytes < size; i++) {
    const value = JSON.stringify({
      id: 100000 + i,
      user: `user-${(i * 7919) % 10007}`,
      event: events[i % 4],
      ts: 1700000000000 + i * 13,
      page: `/products/${(i * 31) % 977}`,
      price: ((i * 7) % 1000) / 10,
      tags: ['web', `ab-${i % 3}`],
    });
    records.push({ key: `user-${(i * 7919) % 10007}`, value, timestamp: 1700000000000 + i });
    bytes += value.length + 25;
  }
  return buildBatchSync(records);
}

/** Runs `fn` for at least `ms` (after a warm-up) and returns operations per second. */
async function opsPerSecond(fn: () => unknown, ms = 1500): Promise<number> {
  const warmEnd = performance.now() + 200;
  while (performance.now() < warmEnd) await fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn();
    n++;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

const mb = (bytes: number, ops: number): string => ((bytes * ops) / (1 << 20)).toFixed(0);

const big = jsonBatch(1 << 20);
const bigBlock = big.subarray(BATCH_HEADER_SIZE);
const small = jsonBatch(4096);
const smallBlock = small.subarray(BATCH_HEADER_SIZE);

console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`);
console.log(`1 MiB block: ${bigBlock.length} bytes; small block: ${smallBlock.length} bytes\n`);
console.log('| codec | ratio (1 MiB) | compress MB/s | decompress MB/s | 4 KiB compress µs/op | 4 KiB decompress µs/op |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, codec] of CODECS) {
  const packed = await compress(codec, bigBlock);
  const packedSmall = await compress(codec, smallBlock);
  const c = await opsPerSecond(() => compress(codec, bigBlock));
  const d = await opsPerSecond(() => decompress(codec, packed));
  const cs = await opsPerSecond(() => compress(codec, smallBlock), 800);
  const ds = await opsPerSecond(() => decompress(codec, packedSmall), 800);
  const ratio = (bigBlock.length / packed.length).toFixed(2);
  console.log(`| ${name} | ${ratio} | ${mb(bigBlock.length, c)} | ${mb(bigBlock.length, d)} | ${(1e6 / cs).toFixed(1)} | ${(1e6 / ds).toFixed(1)} |`);
}

const crcBuf = Buffer.alloc(16 << 20, 0x5a);
const crcOps = await opsPerSecond(() => crc32c(crcBuf));
console.log(`\nCRC32C (16 MiB buffer): ${((crcBuf.length * crcOps) / 1e9).toFixed(1)} GB/s`);
const crcSmallOps = await opsPerSecond(() => crc32c(smallBlock), 800);
console.log(`CRC32C (4 KiB batch): ${(1e9 / crcSmallOps).toFixed(0)} ns/op`);

let n = 0;
await forEachRecord(big, () => void n++);
const iterOps = await opsPerSecond(() => forEachRecord(big, () => {}));
console.log(`forEachRecord, uncompressed 1 MiB batch (${n} records): ${((n * iterOps) / 1e6).toFixed(2)} M records/s`);
const validateOps = await opsPerSecond(() => validateBatch(big, { verifyCrc: false }));
console.log(`validateBatch (no CRC), same batch: ${((n * validateOps) / 1e6).toFixed(2)} M records/s`);
