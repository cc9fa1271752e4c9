/**
 * Batches we build, read back by kafka-python 2.0.2's own parser and codecs. Runs where Debian's
 * python3-kafka and its optional codecs are installed (apt-get install python3-kafka
 * python3-snappy python3-lz4 python3-zstandard); skipped elsewhere. The Java client's check
 * (GoldenJava read) is a manual step: see fixtures/gen/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompressionType } from '../../../protocol/records/batch.js';
import { buildBatch } from '../../../protocol/records/builder.js';
import { SAMPLE_BASE_TIMESTAMP, jsonish, sampleRecords } from './sample-records.js';

const PYTHON = '/usr/bin/python3';
const READER = fileURLToPath(new URL('./fixtures/gen/read_kafka_python.py', import.meta.url));

function pythonCodecs(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import kafka.codec as c, sys; sys.exit(0 if c.has_snappy() and c.has_lz4() and c.has_zstd() else 1)'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!pythonCodecs())('kafka-python reads our batches', () => {
  it('every codec, including multi-block payloads past 1 MiB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runnel-interop-'));
    try {
      const big = jsonish(1_500_000).toString();
      const files: string[] = [];
      for (const codec of [0, 1, 2, 3, 4] as CompressionType[]) {
        const small = join(dir, `sample-${codec}.bin`);
        writeFileSync(small, await buildBatch(sampleRecords(), { compression: codec, baseOffset: 10, producerId: 3, producerEpoch: 0, baseSequence: 0 }));
        const large = join(dir, `large-${codec}.bin`);
        writeFileSync(large, await buildBatch([{ key: 'big', value: big, timestamp: 1 }], { compression: codec }));
        files.push(small, large);
      }
      const lines = execFileSync(PYTHON, [READER, ...files], { maxBuffer: 64 << 20 }).toString().trim().split('\n');
      const batches = lines.map((l) => JSON.parse(l) as { crc_ok: boolean; codec: number; base_offset: number; records: { offset: number; timestamp: number; key: string | null; value: string | null; headers: [string, string | null][] }[] });
      expect(batches).toHaveLength(10);
      const want = sampleRecords().map((r, i) => ({
        offset: 10 + i,
        timestamp: r.timestamp,
        key: r.key,
        value: r.value,
        headers: r.headers.map((h) => [h.key, h.value]),
      }));
      for (let c = 0; c < 5; c++) {
        const [sample, large] = [batches[2 * c]!, batches[2 * c + 1]!];
        expect(sample.crc_ok && large.crc_ok).toBe(true);
        expect(sample.codec).toBe(c);
        expect(sample.records).toEqual(want);
        expect(large.records[0]!.value).toBe(big);
      }
      expect(want[0]!.timestamp).toBe(SAMPLE_BASE_TIMESTAMP);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
