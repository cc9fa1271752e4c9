/**
 * The sparse offset index of one segment, Kafka's `.index` file.
 *
 * On disk: a flat array of 8-byte entries, big endian, no header:
 *
 *   relativeOffset  u32   offset - segment base offset, of the LAST offset in the indexed batch
 *   position        u32   byte position of that batch's first byte in the segment's .log
 *
 * One entry per `index.interval.bytes` of log (the first batch of a segment is never indexed;
 * a lookup that finds no entry starts at position 0). Entries are strictly increasing in both
 * fields. The file length is entries × 8 (we never pre-allocate, unlike Kafka's mmap'd files).
 *
 * In memory the entries live in two typed arrays that start small and double up to the
 * segment.index.bytes bound, so 10,000 mostly idle partitions cost a few hundred bytes each.
 * The index is a hint: the log is the truth, and a lookup only ever yields a position from which
 * the reader scans batch headers forward.
 */

export const OFFSET_INDEX_ENTRY_SIZE = 8;
const INITIAL_CAPACITY = 16;

export class OffsetIndex {
  private rel: Uint32Array;
  private pos: Uint32Array;
  private n = 0;
  /** Entries already on disk (appends after a load or a flush go after them). */
  persisted = 0;

  constructor(
    readonly baseOffset: number,
    readonly maxEntries: number,
    capacity = INITIAL_CAPACITY,
  ) {
    const cap = Math.max(1, Math.min(capacity, maxEntries));
    this.rel = new Uint32Array(cap);
    this.pos = new Uint32Array(cap);
  }

  get entries(): number {
    return this.n;
  }

  isFull(): boolean {
    return this.n >= this.maxEntries;
  }

  /** Bytes of memory held (for accounting). */
  get memoryBytes(): number {
    return this.rel.byteLength + this.pos.byteLength;
  }

  append(lastOffset: number, position: number): void {
    const r = lastOffset - this.baseOffset;
    if (this.n > 0 && (r <= this.rel[this.n - 1]! || position <= this.pos[this.n - 1]!)) {
      throw new Error(`offset index append out of order: ${lastOffset}@${position}`);
    }
    if (this.n >= this.maxEntries) throw new Error('offset index full');
    if (this.n === this.rel.length) this.grow();
    this.rel[this.n] = r;
    this.pos[this.n] = position;
    this.n++;
  }

  private grow(): void {
    const cap = Math.min(this.maxEntries, this.rel.length * 2);
    const rel = new Uint32Array(cap);
    const pos = new Uint32Array(cap);
    rel.set(this.rel);
    pos.set(this.pos);
    this.rel = rel;
    this.pos = pos;
  }

  /** The entry with the largest offset ≤ target, or the segment start. */
  lookup(targetOffset: number): { offset: number; position: number } {
    const t = targetOffset - this.baseOffset;
    let lo = 0;
    let hi = this.n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.rel[found]!, position: this.pos[found]! };
  }

  lastEntry(): { offset: number; position: number } | null {
    if (this.n === 0) return null;
    return { offset: this.baseOffset + this.rel[this.n - 1]!, position: this.pos[this.n - 1]! };
  }

  /** Drops entries pointing at or past `position` (log truncation). */
  truncateToPosition(position: number): void {
    while (this.n > 0 && this.pos[this.n - 1]! >= position) this.n--;
    if (this.persisted > this.n) this.persisted = this.n;
  }

  /** Entries [from, entries) encoded for disk. */
  encode(from = 0): Buffer {
    const out = Buffer.allocUnsafe((this.n - from) * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = from, o = 0; i < this.n; i++, o += 8) {
      out.writeUInt32BE(this.rel[i]!, o);
      out.writeUInt32BE(this.pos[i]!, o + 4);
    }
    return out;
  }

  /**
   * Loads an index file's bytes. Returns null if it fails the sanity check (length not a multiple
   * of 8, entries not strictly increasing, or a position at/after `logSize`): the caller rebuilds.
   */
  static decode(buf: Buffer, baseOffset: number, maxEntries: number, logSize: number): OffsetIndex | null {
    if (buf.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return null;
    const count = buf.length / OFFSET_INDEX_ENTRY_SIZE;
    const idx = new OffsetIndex(baseOffset, Math.max(maxEntries, count), Math.max(count, INITIAL_CAPACITY));
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0, o = 0; i < count; i++, o += 8) {
      const r = buf.readUInt32BE(o);
      const p = buf.readUInt32BE(o + 4);
      if (r <= prevRel || p <= prevPos || p >= logSize) return null;
      idx.rel[i] = r;
      idx.pos[i] = p;
      prevRel = r;
      prevPos = p;
    }
    idx.n = count;
    idx.persisted = count;
    return idx;
  }
}
