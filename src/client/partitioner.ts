/**
 * Kafka's default partitioner for keyed records, bit for bit: Java's
 * `Utils.toPositive(Utils.murmur2(keyBytes)) % numPartitions` (murmur2 seed 0x9747b28c), which
 * librdkafka's `murmur2_random` and kafkajs's default partitioner reproduce. Records must land
 * where the Java client would put them, or keyed data splits across partitions when clients mix.
 *
 * Records without a key are not handled here: Java (KIP-794) and librdkafka spread them
 * with sticky or random choices, and any choice of the caller's is as good.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Java's Utils.murmur2: a signed 32-bit hash of the bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // Java's switch falls through from case 3 to case 1; written out here without fallthrough.
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[length4 + 2]! << 16;
    if (rest >= 2) h ^= data[length4 + 1]! << 8;
    h ^= data[length4]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's Utils.toPositive: clears the sign bit (not Math.abs, which differs for MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Java's default partitioner picks for a keyed record. */
export function partitionForKey(key: Uint8Array | string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) throw new RangeError(`invalid partition count ${numPartitions}`);
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return toPositive(murmur2(bytes)) % numPartitions;
}

/** The name src/index.ts exports to embedders. */
export const murmur2Partition = partitionForKey;
