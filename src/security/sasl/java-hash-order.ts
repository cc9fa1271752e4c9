/**
 * The iteration order of a java.util.HashMap<String, …> filled with `keys` in this order (default
 * capacity 16, load factor 0.75): buckets by (hashCode ^ hashCode >>> 16) & (capacity - 1), in
 * insertion order within a bucket; a resize keeps that relative order.
 *
 * Why: Kafka lists SaslHandshake's enabled mechanisms and AlterUserScramCredentials' per-user
 * results out of HashMaps, so this is the order its answers have. No client depends on it; it
 * keeps the differential tests (test/differential/sasl.test.ts) exact.
 */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  let capacity = 16;
  while (keys.length > capacity * 0.75) capacity *= 2;
  const bucket = (s: string): number => {
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0; // String.hashCode over UTF-16 units
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  return keys
    .map((key, i) => ({ key, b: bucket(key), i }))
    .sort((x, y) => x.b - y.b || x.i - y.i)
    .map((x) => x.key);
}
