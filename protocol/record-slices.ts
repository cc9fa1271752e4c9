/**
 * How a record set sits in a protocol message: raw bytes, or file slices served straight from
 * segment files. The Writer emits slices between its buffer chunks (writer.ts), so a Fetch
 * response becomes [buffer, slice, buffer, slice, ...] and record bytes are never copied through
 * JS; the response writer (src/server/response-writer.ts) sends them from the file descriptors.
 */

export interface FileSlice {
  /** A file descriptor owned by storage; the writer of the response must not close it. */
  readonly fd: number;
  readonly position: number;
  readonly length: number;
  /** Called once the bytes have been sent or the send was abandoned (releases the segment). */
  readonly release?: () => void;
}

/** A record set in a message: raw bytes, or file slices served straight from segment files. */
export type Records = Buffer | RecordSlices;

export interface RecordSlices {
  readonly slices: readonly FileSlice[];
  /** Sum of slice lengths. */
  readonly size: number;
}

export function recordsSize(r: Records): number {
  return Buffer.isBuffer(r) ? r.length : r.size;
}
