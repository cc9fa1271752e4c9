/**
 * What the broker stored, read straight from a partition's .log files: the RecordBatch v2 headers
 * (offsets, codec, timestamp type, producer id, sequence, record count), so a test can check the
 * batches a client sent arrived as sent — compressed as asked, never re-encoded.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  codec: number;
  timestampType: number;
  producerId: number;
  baseSequence: number;
  maxTimestamp: number;
  records: number;
  size: number;
}

/** Walks the RecordBatch headers of a partition's .log files (what the broker stored). */
export function storedBatches(dataDir: string, topic: string, partition: number): StoredBatch[] {
  const dir = join(dataDir, `${topic}-${partition}`);
  const out: StoredBatch[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const b = readFileSync(join(dir, name));
    let at = 0;
    while (at + 61 <= b.length) {
      const size = b.readInt32BE(at + 8) + 12;
      if (size < 61 || at + size > b.length) break;
      const attrs = b.readInt16BE(at + 21);
      const base = Number(b.readBigInt64BE(at));
      out.push({
        baseOffset: base,
        lastOffset: base + b.readInt32BE(at + 23),
        codec: attrs & 7,
        timestampType: (attrs >> 3) & 1,
        maxTimestamp: Number(b.readBigInt64BE(at + 35)),
        producerId: Number(b.readBigInt64BE(at + 43)),
        baseSequence: b.readInt32BE(at + 53),
        records: b.readInt32BE(at + 57),
        size,
      });
      at += size;
    }
  }
  return out;
}
