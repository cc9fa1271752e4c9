import { describe, expect, it } from 'vitest';
import { BATCH_HEADER_SIZE, OFF_RECORD_COUNT, batch, restampCrc } from '../../../protocol/records/batch.js';
import { buildBatchSync } from '../../../protocol/records/builder.js';
import {
  ControlRecordType,
  checkBatchHeader,
  forEachRecord,
  forEachRecordSync,
  parseControlKey,
  parseEndTxnMarker,
  readRecords,
  validateBatch,
  type BatchRecord,
} from '../../../protocol/records/records.js';
import { SAMPLE_BASE_TIMESTAMP, fixture, plain, plainInput, sampleRecords } from './sample-records.js';

const expected = sampleRecords().map((r) => plainInput(r, SAMPLE_BASE_TIMESTAMP));

async function records(b: Buffer): Promise<BatchRecord[]> {
  const result = await readRecords(b);
  expect(result.error).toBeNull();
  return result.value!;
}

async function readError(b: Buffer, options = {}): Promise<string> {
  const result = await readRecords(b, options);
  expect(result.value).toBeNull();
  expect(await validateBatch(b, options)).toBe(result.error);
  return result.error!;
}

describe('golden batches', () => {
  const producers = ['java', 'kafka-python'];
  for (const producer of producers) {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      it(`${producer} ${codec}`, async () => {
        const b = fixture(`${producer}-${codec}.bin`);
        expect(batch.baseTimestamp(b)).toBe(SAMPLE_BASE_TIMESTAMP);
        expect(batch.maxTimestamp(b)).toBe(SAMPLE_BASE_TIMESTAMP + 240);
        expect((await records(b)).map(plain)).toEqual(expected);
      });
    }
  }

  it('java batches with several compressed blocks', async () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const [r] = await records(fixture(`java-${codec}-large.bin`));
      expect(r!.key!.toString()).toBe('big');
      expect(r!.value!.length).toBeGreaterThanOrEqual(80 * 1024);
      expect(r!.value!.toString().startsWith('{"seq":0,"text":"lorem ipsum dolor"}\n{"seq":1,')).toBe(true);
    }
  });

  it('producer fields of idempotent and transactional batches', async () => {
    for (const name of ['java-txn-zstd.bin', 'java-idempotent-snappy.bin']) {
      const b = fixture(name);
      expect(batch.baseOffset(b)).toBe(1000);
      expect(batch.producerId(b)).toBe(4242);
      expect(batch.producerEpoch(b)).toBe(7);
      expect(batch.baseSequence(b)).toBe(100);
      expect(batch.partitionLeaderEpoch(b)).toBe(3);
      expect(batch.isTransactional(b)).toBe(name.includes('txn'));
      expect((await records(b)).map(plain)).toEqual(expected);
    }
    const py = fixture('kafka-python-idempotent-lz4.bin');
    expect([batch.producerId(py), batch.producerEpoch(py), batch.baseSequence(py)]).toEqual([777, 2, 5]);
  });

  // librdkafka: raw snappy, its own lz4/zstd frames; kcat -K: -H trace=abc -H empty (null value).
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    it(`librdkafka (kcat) ${codec}`, async () => {
      const b = fixture(`librdkafka-${codec}.bin`);
      const got = (await records(b)).map(plain);
      expect(got).toHaveLength(25);
      got.forEach((r, i) => {
        expect(r.offsetDelta).toBe(i);
        expect(r.key).toBe(`key-${i}`);
        expect(JSON.parse(r.value!)).toEqual({ id: i, event: 'click', note: 'ab'.repeat(i + 1) });
        expect(r.headers).toEqual([['trace', 'abc'], ['empty', null]]);
      });
    });
  }

  it('control batches: commit and abort markers from Java', () => {
    for (const [name, type] of [['java-control-commit.bin', ControlRecordType.Commit], ['java-control-abort.bin', ControlRecordType.Abort]] as const) {
      const b = fixture(name);
      expect(batch.isControl(b)).toBe(true);
      expect(batch.isTransactional(b)).toBe(true);
      const got: BatchRecord[] = [];
      expect(forEachRecordSync(b, (r) => got.push(r))).toBeNull();
      expect(got).toHaveLength(1);
      expect(parseControlKey(got[0]!.key)).toEqual({ error: null, value: { version: 0, type } });
      expect(parseEndTxnMarker(got[0]!.value)).toEqual({ error: null, value: { version: 0, coordinatorEpoch: 9 } });
    }
    expect(parseControlKey(Buffer.alloc(2)).error).toMatch(/shorter/);
    expect(parseControlKey(null).error).toMatch(/shorter/);
    expect(parseEndTxnMarker(Buffer.alloc(3)).error).toMatch(/shorter/);
  });
});

describe('zero copy', () => {
  it('keys, values and header values are views of the batch buffer when uncompressed', async () => {
    const b = fixture('java-none.bin');
    const [first] = await records(b);
    expect(first!.key!.buffer).toBe(b.buffer);
    expect(first!.value!.buffer).toBe(b.buffer);
    expect(first!.headers[0]!.value!.buffer).toBe(b.buffer);
  });

  it('records without headers share one frozen empty list', async () => {
    const rs = await records(fixture('java-none.bin'));
    expect(rs[1]!.headers).toBe(rs[2]!.headers);
    expect(Object.isFrozen(rs[1]!.headers)).toBe(true);
  });
});

/** The sample batch with `edit` applied to its records block, CRC fixed so structure is tested. */
function tampered(edit: (b: Buffer) => Buffer | void): Buffer {
  let b: Buffer = Buffer.from(fixture('java-none.bin'));
  b = edit(b) ?? b;
  b.writeInt32BE(b.length - 12, 8);
  restampCrc(b, 0, b.length);
  return b;
}

/** Offset of record i (0-based) in java-none.bin, by walking the length varints. */
function recordAt(b: Buffer, index: number): number {
  let p = BATCH_HEADER_SIZE;
  for (let i = 0; i < index; i++) {
    let len = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = b[p++]!;
      len |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    p += len >>> 1; // zig-zag, non-negative
  }
  return p;
}

describe('malformed batches give errors, not exceptions', () => {
  it('header problems', async () => {
    const good = fixture('java-none.bin');
    expect(checkBatchHeader(good)).toBeNull();
    expect(await readError(good.subarray(0, 40))).toMatch(/shorter than its 61-byte header/);
    expect(await readError(good.subarray(0, good.length - 1))).toMatch(/runs past/);
    const badCrc = Buffer.from(good);
    badCrc[200] ^= 1;
    expect(await readError(badCrc)).toBe('batch CRC32C mismatch');
    expect((await readRecords(badCrc, { verifyCrc: false })).error).toBeNull(); // a value byte: structure intact
    const magic1 = Buffer.from(good);
    magic1[16] = 1;
    expect(await readError(magic1)).toMatch(/magic 1/);
    const codec6 = tampered((b) => void b.writeInt16BE(6, 21));
    expect(await readError(codec6)).toMatch(/unknown compression codec 6/);
    const shortLength = Buffer.from(good);
    shortLength.writeInt32BE(10, 8);
    expect(await readError(shortLength)).toMatch(/shorter than the header/);
  });

  it('record count does not match the records', async () => {
    const more = tampered((b) => void b.writeInt32BE(26, OFF_RECORD_COUNT));
    expect(await readError(more)).toMatch(/record 25/);
    const fewer = tampered((b) => void b.writeInt32BE(24, OFF_RECORD_COUNT));
    expect(await readError(fewer)).toMatch(/bytes after the last record/);
    const huge = tampered((b) => void b.writeInt32BE(1_000_000, OFF_RECORD_COUNT));
    expect(await readError(huge)).toMatch(/cannot fit/);
    const negative = tampered((b) => void b.writeInt32BE(-1, OFF_RECORD_COUNT));
    expect(await readError(negative)).toMatch(/negative record count/);
  });

  it('lastOffsetDelta does not match the last record', async () => {
    const b = tampered((x) => void x.writeInt32BE(30, 23));
    expect(await readError(b)).toMatch(/last offsetDelta 24 does not match lastOffsetDelta 30/);
    expect((await readRecords(b, { allowOffsetGaps: true })).error).toBeNull(); // compacted shape
  });

  it('bad varints and lengths beyond the record or block', async () => {
    const at = recordAt(fixture('java-none.bin'), 3);
    // Record 3's length varint replaced by six continuation bytes.
    const badVarint = tampered((b) => Buffer.concat([b.subarray(0, at), Buffer.alloc(6, 0xff), b.subarray(at + 1)]));
    expect(await readError(badVarint)).toMatch(/record 3: varint longer than 5 bytes/);
    // Record 0: length(2) attributes(1) timestampDelta(1) offsetDelta(1) keyLength(1).
    const keyTooLong = tampered((b) => void (b[BATCH_HEADER_SIZE + 5] = 0xfe)); // 2-byte varint: 6911
    expect(await readError(keyTooLong)).toMatch(/record 0: key length 6911 out of bounds/);
    const keyNegative = tampered((b) => void (b[BATCH_HEADER_SIZE + 5] = 0x05)); // -3
    expect(await readError(keyNegative)).toMatch(/key length -3/);
    const lengthPastBlock = tampered((b) => {
      b[at] = 0xfe;
      return Buffer.concat([b.subarray(0, at + 1), Buffer.from([0x7f]), b.subarray(at + 1)]);
    });
    expect(await readError(lengthPastBlock)).toMatch(/record 3: length \d+ runs past the block/);
    const lengthMismatch = tampered((b) => void (b[BATCH_HEADER_SIZE] -= 2));
    expect(await readError(lengthMismatch)).toMatch(/record 0/);
  });

  it('headers: negative key length, count beyond the record', async () => {
    const one = buildBatchSync([{ key: 'k', value: 'v', headers: [{ key: 'h', value: 'x' }], timestamp: 1 }]);
    const block = one.subarray(BATCH_HEADER_SIZE);
    // ... key "k", value "v", headerCount 1, header key length 1 ...
    const hCount = block.indexOf(Buffer.from([0x02, 0x76, 0x02, 0x02, 0x68])) + 2;
    const edit = (at: number, v: number): Buffer => {
      const b = Buffer.from(one);
      b[BATCH_HEADER_SIZE + at] = v;
      restampCrc(b, 0, b.length);
      return b;
    };
    expect(await readError(edit(hCount + 1, 0x01))).toMatch(/header 0 key length -1/);
    expect(await readError(edit(hCount, 0x20))).toMatch(/header count 16 out of bounds/);
    expect(await readError(edit(hCount, 0x01))).toMatch(/header count -1/);
  });

  it('offset deltas out of sequence', async () => {
    const b = buildBatchSync([{ value: 'a', timestamp: 1 }, { value: 'b', timestamp: 1, offsetDelta: 5 }]);
    expect(await readError(b)).toMatch(/record 1: offsetDelta 5 out of sequence/);
    const compacted = await readRecords(b, { allowOffsetGaps: true });
    expect(compacted.value!.map((r) => r.offsetDelta)).toEqual([0, 5]);
  });

  it('empty batches are only valid when compacted', async () => {
    const empty = buildBatchSync([], { lastOffsetDelta: 4, baseTimestamp: 10 });
    expect(await readError(empty)).toBe('batch has no records');
    expect(await readRecords(empty, { allowOffsetGaps: true })).toEqual({ error: null, value: [] });
  });

  it('compressed payloads that do not decompress', async () => {
    const b = tampered((x) => void x.writeInt16BE(4, 21)); // claims zstd, holds plain records
    expect(await readError(b)).toMatch(/^zstd: bad frame magic/);
    const bomb = fixture('java-zstd-large.bin');
    expect((await readRecords(bomb, { maxSize: 4096 })).error).toMatch(/exceeds 4096 bytes/);
    expect(forEachRecordSync(bomb, () => {})).toMatch(/compressed batch/);
  });

  it('random corruption never throws (CRC restamped so the walker sees it)', async () => {
    let seed = 99;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const sources = ['java-none.bin', 'java-lz4.bin', 'java-snappy.bin', 'librdkafka-snappy.bin', 'java-zstd.bin', 'java-gzip.bin'].map(fixture);
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const src = sources[i % sources.length]!;
      const b = Buffer.from(src);
      for (let j = 0; j < 1 + rand(3); j++) {
        const at = BATCH_HEADER_SIZE - 4 + rand(b.length - BATCH_HEADER_SIZE + 4); // count and records
        b[at] = rand(256);
      }
      restampCrc(b, 0, b.length);
      let seen = 0;
      const error = await forEachRecord(b, () => void seen++, { maxSize: 1 << 20 });
      if (error !== null) errors++;
      else expect(seen).toBe(batch.recordCount(b));
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
