/**
 * The ClassicMemberMetadata tagged field (tag 0) of Kafka's ConsumerGroupMemberMetadataValue: a
 * member of a consumer group that still uses the classic protocol (online migration) is stored
 * with its session timeout and the protocols of its JoinGroup, so a reload knows it is one.
 *
 * Kafka declares it a nullable struct, which our schema generator does not produce, so it is
 * written and read here: the value's trailing tagged-field section (one byte, 0, as the generated
 * writer leaves it) is replaced by one tag whose payload is Kafka's nullable-struct form — int8 1,
 * then SessionTimeoutMs (int32), SupportedProtocols (compact array of compact string Name and
 * compact bytes Metadata, each with an empty tag section), then the struct's empty tag section.
 */
import { Reader, Writer } from '../../../protocol/primitives.js';
import type { ClassicProtocolMetadata } from './group.js';

const CLASSIC_MEMBER_METADATA_TAG = 0;

function encodePayload(c: ClassicProtocolMetadata): Buffer {
  let size = 1 + 4 + 5 + 1;
  for (const p of c.protocols) size += 5 + Buffer.byteLength(p.name) + 5 + p.metadata.length + 1;
  const w = new Writer(size);
  w.int8(1);
  w.int32(c.sessionTimeoutMs);
  w.uvarint(c.protocols.length + 1);
  for (const p of c.protocols) {
    w.compactString(p.name);
    w.compactBytes(p.metadata);
    w.uvarint(0);
  }
  w.uvarint(0);
  return w.finish();
}

/** The member value (as the generated writer made it, no tagged fields) with the classic metadata added. */
export function withClassicMetadata(value: Buffer, c: ClassicProtocolMetadata | null): Buffer {
  if (c === null) return value;
  if (value[value.length - 1] !== 0) throw new Error('member metadata value has tagged fields already');
  const payload = encodePayload(c);
  const w = new Writer(10 + payload.length);
  w.uvarint(1);
  w.uvarint(CLASSIC_MEMBER_METADATA_TAG);
  w.uvarint(payload.length);
  w.raw(payload);
  return Buffer.concat([value.subarray(0, value.length - 1), w.finish()]);
}

/**
 * The classic metadata of a stored member value, or null (a consumer-protocol member, or an
 * unreadable value: the generated reader has already accepted the fields before the tags).
 */
export function readClassicMetadata(value: Buffer): ClassicProtocolMetadata | null {
  const r = new Reader(value);
  r.int16();
  r.compactNullableString(); // instanceId
  r.compactNullableString(); // rackId
  r.compactString(); // clientId
  r.compactString(); // clientHost
  const n = r.compactArrayLength();
  for (let i = 0; i < n && r.error === null; i++) r.compactString();
  r.compactNullableString(); // subscribedTopicRegex
  r.int32(); // rebalanceTimeoutMs
  r.compactNullableString(); // serverAssignor
  let out: ClassicProtocolMetadata | null = null;
  r.taggedFields((tag) => {
    if (tag !== CLASSIC_MEMBER_METADATA_TAG || r.int8() !== 1) return;
    const sessionTimeoutMs = r.int32();
    const count = r.compactArrayLength();
    const protocols: ClassicProtocolMetadata['protocols'] = [];
    for (let i = 0; i < count && r.error === null; i++) {
      const name = r.compactString();
      const metadata = Buffer.from(r.compactBytes());
      r.taggedFields();
      protocols.push({ name, metadata });
    }
    if (r.error === null) out = { sessionTimeoutMs, protocols };
  });
  return r.error === null ? out : null;
}
