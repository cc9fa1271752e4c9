/**
 * Which partition of `__consumer_offsets` holds a group: Kafka's
 * `Utils.abs(groupId.hashCode()) % partitionCount`, with Java's String.hashCode over UTF-16 code
 * units (which is what JS strings index) and Kafka's Utils.abs (Integer.MIN_VALUE maps to 0).
 * Matching Kafka keeps a data directory's layout the same as a Kafka broker's for the same groups.
 */

/** Java's String.hashCode(): s[0]*31^(n-1) + ... + s[n-1], in 32-bit two's complement. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: |n|, except Integer.MIN_VALUE, which becomes 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function offsetsPartitionFor(groupId: string, partitionCount: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount;
}
