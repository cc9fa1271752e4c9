/**
 * Message format v0/v1 (magic 0/1) message sets for tests: what pre-0.11 producers (sarama 1.22
 * with its default config) put in Produce v0-v2. See protocol/records/legacy-message-set.ts.
 */
import zlib from 'node:zlib';

export interface LegacyMessageSpec {
  key?: string | Buffer | null;
  value?: string | Buffer | null;
  /** Magic 1 only. */
  timestamp?: number;
}

function bytesField(b: string | Buffer | null | undefined): Buffer {
  if (b === null || b === undefined) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
  const data = Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeInt32BE(data.length);
  return Buffer.concat([len, data]);
}

/** One message (crc, magic, attributes, [timestamp], key, value) without its offset/size prefix. */
export function legacyMessage(magic: 0 | 1, spec: LegacyMessageSpec, codec = 0): Buffer {
  const head = Buffer.alloc(magic === 1 ? 10 : 2);
  head.writeInt8(magic, 0);
  head.writeInt8(codec, 1);
  if (magic === 1) head.writeBigInt64BE(BigInt(spec.timestamp ?? -1), 2);
  const body = Buffer.concat([head, bytesField(spec.key), bytesField(spec.value)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([crc, body]);
}

/** A message set: each message with its offset (0, 1, ...) and size. */
export function legacyMessageSet(messages: Buffer[]): Buffer {
  return Buffer.concat(
    messages.flatMap((m, i) => {
      const prefix = Buffer.alloc(12);
      prefix.writeBigInt64BE(BigInt(i), 0);
      prefix.writeInt32BE(m.length, 8);
      return [prefix, m];
    }),
  );
}

/** A gzip wrapper message holding `inner` (a message set of the same magic). */
export function gzipWrapper(magic: 0 | 1, inner: Buffer, timestamp = -1): Buffer {
  return legacyMessage(magic, { value: zlib.gzipSync(inner), timestamp }, 1);
}
