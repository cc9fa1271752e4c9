/** The one error type the compression codecs reject with, so callers can map it to Kafka codes. */
export type CodecErrorCode =
  /** The input is not valid data of the codec (CORRUPT_MESSAGE for a producer). */
  | 'CORRUPT'
  /** Decompressing would exceed the caller's size limit (a decompression bomb, or just too big). */
  | 'TOO_LARGE'
  /** Not a codec of RecordBatch v2 (attribute bits 0-2 above 4). */
  | 'UNSUPPORTED';

export class CodecError extends Error {
  constructor(
    readonly code: CodecErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}
