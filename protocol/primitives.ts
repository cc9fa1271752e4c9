/**
 * Kafka wire primitives, the one entry point the codecs and the rest of the code base import:
 *   reader.ts          a bounds-checked Reader with a sticky error flag
 *   writer.ts          a pre-sized Writer that can emit file slices between its buffer chunks
 *   sizes.ts           encoded sizes of varints, strings, bytes and record sets
 *   record-slices.ts   a record set as bytes or file slices (FileSlice, Records)
 *   int64.ts           int64 and zig-zag conversions beyond 2^53
 * These are re-exports (ESM binds them to the same classes and functions, no wrapper): see each
 * module's header for its rules.
 */
export { Reader } from './reader.js';
export { Writer } from './writer.js';
export { bytesSize, compactBytesSize, compactStringSize, nullableStringSize, recordsFieldSize, stringSize, uvarintSize, varintSize, varlongSize } from './sizes.js';
export { recordsSize, type FileSlice, type Records, type RecordSlices } from './record-slices.js';
