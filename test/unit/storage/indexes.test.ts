import { describe, expect, it } from 'vitest';
import { OffsetIndex } from '../../../storage/offset-index.js';
import { TimeIndex } from '../../../storage/time-index.js';

describe('OffsetIndex', () => {
  it('finds the floor entry and falls back to the segment start', () => {
    const idx = new OffsetIndex(100, 1000);
    expect(idx.lookup(150)).toEqual({ offset: 100, position: 0 });
    idx.append(110, 4100);
    idx.append(130, 8300);
    idx.append(170, 12500);
    expect(idx.lookup(105)).toEqual({ offset: 100, position: 0 });
    expect(idx.lookup(110)).toEqual({ offset: 110, position: 4100 });
    expect(idx.lookup(129)).toEqual({ offset: 110, position: 4100 });
    expect(idx.lookup(131)).toEqual({ offset: 130, position: 8300 });
    expect(idx.lookup(10_000)).toEqual({ offset: 170, position: 12500 });
  });

  it('grows past its initial capacity and refuses out-of-order or overfull appends', () => {
    const idx = new OffsetIndex(0, 100, 2);
    for (let i = 1; i <= 100; i++) idx.append(i * 10, i * 1000);
    expect(idx.entries).toBe(100);
    expect(idx.isFull()).toBe(true);
    expect(() => idx.append(2000, 200_000)).toThrow(/full/);
    const j = new OffsetIndex(0, 10);
    j.append(5, 100);
    expect(() => j.append(5, 200)).toThrow(/out of order/);
    expect(() => j.append(6, 100)).toThrow(/out of order/);
  });

  it('round-trips through its 8-byte big-endian file format', () => {
    const idx = new OffsetIndex(1000, 100);
    idx.append(1005, 4097);
    idx.append(1010, 9000);
    const bytes = idx.encode();
    expect(bytes.length).toBe(16);
    expect(bytes.readUInt32BE(0)).toBe(5);
    expect(bytes.readUInt32BE(4)).toBe(4097);
    const back = OffsetIndex.decode(bytes, 1000, 100, 10_000)!;
    expect(back.entries).toBe(2);
    expect(back.lookup(1012)).toEqual({ offset: 1010, position: 9000 });
  });

  it('fails the sanity check on torn, non-monotonic or out-of-file entries', () => {
    const idx = new OffsetIndex(0, 100);
    idx.append(5, 4097);
    idx.append(10, 9000);
    const bytes = idx.encode();
    expect(OffsetIndex.decode(bytes.subarray(0, 12), 0, 100, 10_000)).toBeNull();
    expect(OffsetIndex.decode(bytes, 0, 100, 9000)).toBeNull(); // last entry not inside the log
    const swapped = Buffer.concat([bytes.subarray(8), bytes.subarray(0, 8)]);
    expect(OffsetIndex.decode(swapped, 0, 100, 10_000)).toBeNull();
  });

  it('truncates entries at or after a position', () => {
    const idx = new OffsetIndex(0, 100);
    idx.append(5, 100);
    idx.append(10, 200);
    idx.append(15, 300);
    idx.truncateToPosition(200);
    expect(idx.entries).toBe(1);
    expect(idx.lastEntry()).toEqual({ offset: 5, position: 100 });
  });
});

describe('TimeIndex', () => {
  it('appends only growing timestamps and looks up the floor', () => {
    const t = new TimeIndex(50, 100);
    t.maybeAppend(1000, 60);
    t.maybeAppend(900, 70); // smaller: ignored
    t.maybeAppend(2000, 80);
    expect(t.entries).toBe(2);
    expect(t.lookup(999)).toEqual({ timestamp: -1, offset: 50 });
    expect(t.lookup(1500)).toEqual({ timestamp: 1000, offset: 60 });
    expect(t.lookup(5000)).toEqual({ timestamp: 2000, offset: 80 });
  });

  it('round-trips its 12-byte entries, including timestamps above 2^32', () => {
    const t = new TimeIndex(0, 100);
    const ts = 1_700_000_000_123;
    t.maybeAppend(ts, 7);
    t.maybeAppend(ts + 5, 9);
    const bytes = t.encode();
    expect(bytes.length).toBe(24);
    expect(Number(bytes.readBigInt64BE(0))).toBe(ts);
    expect(bytes.readUInt32BE(8)).toBe(7);
    const back = TimeIndex.decode(bytes, 0, 100, 100)!;
    expect(back.lastEntry()).toEqual({ timestamp: ts + 5, offset: 9 });
    expect(TimeIndex.decode(bytes, 0, 100, 9)).toBeNull(); // entry offset beyond log end
    expect(TimeIndex.decode(bytes.subarray(0, 13), 0, 100, 100)).toBeNull();
  });
});
