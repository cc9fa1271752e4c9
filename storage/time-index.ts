/**
 * The sparse time index of one segment, Kafka's `.timeindex` file.
 *
 * On disk: a flat array of 12-byte entries, big endian, no header:
 *
 *   timestamp       int64  the largest batch maxTimestamp seen so far in the segment
 *   relativeOffset  u32    offset - segment base of the last offset of the batch that carried it
 *
 * An entry is added next to each offset-index entry, but only when the timestamp grew, so both
 * columns are strictly increasing. When a segment is rolled or the broker shuts down cleanly a
 * final entry with the segment's max timestamp is appended, so the last entry of an inactive
 * segment's time index is the segment's max timestamp (retention reads just that).
 *
 * Lookup by timestamp T: the entry with the largest timestamp ≤ T gives an offset from which the
 * first batch with maxTimestamp ≥ T is found by scanning forward (batches before that entry's
 * offset all have smaller timestamps).
 */

export const TIME_INDEX_ENTRY_SIZE = 12;
const INITIAL_CAPACITY = 16;
const TWO_32 = 4294967296;

export class TimeIndex {
  private ts: Float64Array;
  private rel: Uint32Array;
  private n = 0;
  persisted = 0;

  constructor(
    readonly baseOffset: number,
    readonly maxEntries: number,
    capacity = INITIAL_CAPACITY,
  ) {
    const cap = Math.max(1, Math.min(capacity, maxEntries));
    this.ts = new Float64Array(cap);
    this.rel = new Uint32Array(cap);
  }

  get entries(): number {
    return this.n;
  }

  get memoryBytes(): number {
    return this.ts.byteLength + this.rel.byteLength;
  }

  lastEntry(): { timestamp: number; offset: number } | null {
    if (this.n === 0) return null;
    return { timestamp: this.ts[this.n - 1]!, offset: this.baseOffset + this.rel[this.n - 1]! };
  }

  /**
   * Appends (timestamp, offset) if the timestamp is larger than the last entry's. `force` skips the
   * capacity bound (the final entry at roll/close, as Kafka does).
   */
  maybeAppend(timestamp: number, offset: number, force = false): void {
    if (timestamp < 0) return;
    const r = offset - this.baseOffset;
    if (this.n > 0 && (timestamp <= this.ts[this.n - 1]! || r <= this.rel[this.n - 1]!)) {
      // A larger timestamp at the same offset can happen for the final entry; replace it then.
      if (this.n > 0 && r === this.rel[this.n - 1]! && timestamp > this.ts[this.n - 1]!) this.ts[this.n - 1] = timestamp;
      return;
    }
    if (this.n >= this.maxEntries && !force) return;
    if (this.n === this.ts.length) this.grow();
    this.ts[this.n] = timestamp;
    this.rel[this.n] = r;
    this.n++;
  }

  private grow(): void {
    const cap = this.ts.length * 2;
    const ts = new Float64Array(cap);
    const rel = new Uint32Array(cap);
    ts.set(this.ts);
    rel.set(this.rel);
    this.ts = ts;
    this.rel = rel;
  }

  /** The entry with the largest timestamp ≤ target, or (-1, base offset). */
  lookup(targetTimestamp: number): { timestamp: number; offset: number } {
    let lo = 0;
    let hi = this.n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! <= targetTimestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return { timestamp: -1, offset: this.baseOffset };
    return { timestamp: this.ts[found]!, offset: this.baseOffset + this.rel[found]! };
  }

  /** Drops entries whose offset ≥ `offset` (log truncation). */
  truncateToOffset(offset: number): void {
    const r = offset - this.baseOffset;
    while (this.n > 0 && this.rel[this.n - 1]! >= r) this.n--;
    if (this.persisted > this.n) this.persisted = this.n;
  }

  encode(from = 0): Buffer {
    const out = Buffer.allocUnsafe((this.n - from) * TIME_INDEX_ENTRY_SIZE);
    for (let i = from, o = 0; i < this.n; i++, o += 12) {
      const t = this.ts[i]!;
      const hi = Math.floor(t / TWO_32);
      out.writeInt32BE(hi, o);
      out.writeUInt32BE(t - hi * TWO_32, o + 4);
      out.writeUInt32BE(this.rel[i]!, o + 8);
    }
    return out;
  }

  /** Reads the last entry of an encoded index (the segment's max timestamp for inactive segments). */
  static decodeEntry(buf: Buffer, at: number, baseOffset: number): { timestamp: number; offset: number } {
    return { timestamp: buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4), offset: baseOffset + buf.readUInt32BE(at + 8) };
  }

  /** Loads a file's bytes; null if it fails the sanity check (the caller rebuilds from the log). */
  static decode(buf: Buffer, baseOffset: number, maxEntries: number, endOffset: number): TimeIndex | null {
    if (buf.length % TIME_INDEX_ENTRY_SIZE !== 0) return null;
    const count = buf.length / TIME_INDEX_ENTRY_SIZE;
    const idx = new TimeIndex(baseOffset, Math.max(maxEntries, count), Math.max(count, INITIAL_CAPACITY));
    let prevTs = -Infinity;
    let prevRel = -1;
    for (let i = 0, o = 0; i < count; i++, o += 12) {
      const e = TimeIndex.decodeEntry(buf, o, baseOffset);
      const r = e.offset - baseOffset;
      if (e.timestamp <= prevTs || r <= prevRel || e.offset >= endOffset) return null;
      idx.ts[i] = e.timestamp;
      idx.rel[i] = r;
      prevTs = e.timestamp;
      prevRel = r;
    }
    idx.n = count;
    idx.persisted = count;
    return idx;
  }
}
